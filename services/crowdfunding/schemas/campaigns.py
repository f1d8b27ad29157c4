"""Campaigns and reward tiers as the API reads and writes them, and the owner's forms.

Times: the API takes ISO 8601 instants with their offset; the owner's form takes Paris wall-clock
times (what a datetime-local input sends). Either way they are kept in UTC and shown in Paris
time. Amounts: cents in the API, euros in the forms.
"""
from __future__ import annotations

import re
from datetime import date, timezone

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from services.crowdfunding.models import FUNDING_MODELS
from shared.core.clock import parse_paris_input, to_paris
from shared.core.fields import INT_MAX, Instant
from shared.core.money import Cents, Euros, euros_text
from shared.core.organisations import SECTORS

CHOICE = "Must be one of the choices offered."
RECEIPT_NUMBER = validate.Regexp(r"^TR-\d{4}-\d{6}$", error="A grants receipt number looks like TR-2026-000042.")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _text(maximum: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=maximum), **kwargs)


def _optional_text(maximum: int) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=maximum))


class BudgetLineSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount_cents = Cents(required=True, validate=validate.Range(min=1))


class UtcInstant(Instant):
    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.astimezone(timezone.utc).isoformat()


class CampaignInputSchema(Schema):
    """A campaign as its owner writes it (all these on creation; any of them on a change)."""

    title_fr = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title_en = _optional_text(200)
    pitch_fr = _text(20000, load_default="")
    pitch_en = _optional_text(20000)
    sector = fields.String(required=True, validate=validate.OneOf(SECTORS, error=CHOICE))
    goal_cents = Cents(required=True, validate=validate.Range(min=100, error="Set a goal of at least €1."))
    starts_at = UtcInstant(required=True)
    ends_at = UtcInstant(required=True)
    funding_model = fields.String(required=True, validate=validate.OneOf(FUNDING_MODELS, error=CHOICE),
                                  metadata={"description": "all_or_nothing or keep_it_all"})
    budget = fields.List(fields.Nested(BudgetLineSchema), load_default=list, validate=validate.Length(max=50))
    grant_receipt_number = fields.String(load_default=None, allow_none=True, validate=RECEIPT_NUMBER,
                                         metadata={"description": "The receipt number of the grants award it belongs to"})

    @validates_schema
    def _ends_after_start(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("A campaign must end after it starts.", "ends_at")


class CampaignChangesSchema(CampaignInputSchema):
    """Changes to a campaign: any of its fields, each given whole."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = tuple(CampaignInputSchema._declared_fields)
        super().__init__(*args, **kwargs)


class Month(fields.Field):
    """A month as "YYYY-MM" (what an <input type="month"> sends), kept as its first day."""

    default_error_messages = {"invalid": "Give a month as YYYY-MM."}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        match = _MONTH.fullmatch(str(value).strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2999:
            raise self.make_error("invalid")
        return date(int(match.group(1)), int(match.group(2)), 1)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value.year:04d}-{value.month:02d}"


class TierInputSchema(Schema):
    title_fr = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title_en = _optional_text(200)
    description_fr = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    description_en = _optional_text(5000)
    minimum_cents = Cents(required=True, validate=validate.Range(min=100, error="A reward asks for at least €1."))
    quantity = fields.Integer(load_default=None, allow_none=True, strict=True,
                              validate=validate.Range(min=1, max=INT_MAX),
                              metadata={"description": "Places on offer; null for unlimited"})
    delivery_month = Month(required=True, metadata={"description": "Estimated delivery, YYYY-MM"})


class TierChangesSchema(TierInputSchema):
    def __init__(self, *args, **kwargs):
        kwargs["partial"] = tuple(TierInputSchema._declared_fields)
        super().__init__(*args, **kwargs)


class TierSchema(Schema):
    id = fields.Integer()
    title_fr = fields.String()
    title_en = fields.String(allow_none=True)
    description_fr = fields.String()
    description_en = fields.String(allow_none=True)
    minimum_cents = fields.Integer()
    quantity = fields.Integer(allow_none=True)
    delivery_month = Month()
    places_left = fields.Integer(allow_none=True, metadata={"description": "null when unlimited"})


class ProgressSchema(Schema):
    pledged_cents = fields.Integer(metadata={"description": "The crowd's: confirmed pledges"})
    matched_cents = fields.Integer(metadata={"description": "Matched by the grant fund's pot (reserved)"})
    total_cents = fields.Integer(metadata={"description": "The crowd's and the match, toward the goal"})
    goal_cents = fields.Integer()
    percent = fields.Integer(metadata={"description": "Of the goal (crowd and match), rounded down; may pass 100"})
    backers = fields.Integer()
    days_left = fields.Integer(metadata={"description": "Whole days in Paris time until the last day"})
    ended = fields.Boolean()


class CoverSchema(Schema):
    widths = fields.List(fields.Integer())
    urls = fields.List(fields.String())
    alt_fr = fields.String(allow_none=True)
    alt_en = fields.String(allow_none=True)


class CampaignSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "draft, submitted, changes_requested, approved, rejected, "
                                                    "live or ended (live and ended read the clock)"})
    organisation = fields.String(attribute="owner.legal_name")
    title_fr = fields.String()
    title_en = fields.String(allow_none=True)
    pitch_fr = fields.String()
    pitch_en = fields.String(allow_none=True)
    sector = fields.String()
    goal_cents = fields.Integer()
    starts_at = UtcInstant()
    ends_at = UtcInstant()
    starts_at_paris = fields.Function(lambda view: to_paris(view.starts_at).isoformat())
    ends_at_paris = fields.Function(lambda view: to_paris(view.ends_at).isoformat())
    funding_model = fields.String()
    budget = fields.List(fields.Nested(BudgetLineSchema))
    grant_receipt_number = fields.String(allow_none=True)
    moderation_reason = fields.String(allow_none=True)
    cover = fields.Nested(CoverSchema, allow_none=True)
    tiers = fields.List(fields.Nested(TierSchema))
    progress = fields.Nested(ProgressSchema)
    public_backers = fields.List(fields.String())
    anonymous_backers = fields.Integer()
    url = fields.String()


class CampaignSummarySchema(Schema):
    id = fields.Integer()
    status = fields.String()
    title_fr = fields.String()
    title_en = fields.String(allow_none=True)
    sector = fields.String()
    goal_cents = fields.Integer()
    starts_at = UtcInstant()
    ends_at = UtcInstant()
    funding_model = fields.String()
    url = fields.String()


class CampaignFilterSchema(Schema):
    sector = fields.String(load_default=None, validate=validate.OneOf(SECTORS, error=CHOICE))


class ManagedCampaignFilterSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ("draft", "submitted", "changes_requested", "approved", "rejected", "live", "ended"), error=CHOICE))


class CoverUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "A PNG or JPEG (checked by its content)"})


class CoverTextSchema(Schema):
    """The cover's text alternative, for people who do not see it."""

    alt_fr = fields.String(required=True, validate=validate.Length(min=1, max=300))
    alt_en = fields.String(load_default=None, validate=validate.Length(max=300))


class NewsInputSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=10000))


class NewsSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    posted_at = UtcInstant()


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "changes_requested", "rejected"),
                                                                     error=CHOICE))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000),
                           metadata={"description": "Required for changes_requested and rejected: emailed to the owner"})


class DecisionRecordSchema(Schema):
    decision = fields.String()
    reason = fields.String(allow_none=True)
    decided_at = UtcInstant()


# --- The owner's forms: euros, Paris times, rows of budget lines ------------------------------------

_BUDGET_KEY = re.compile(r"^budget-(\d+)-(label|amount)$")


class ParisWallClock(Instant):
    """A Paris wall-clock time as a datetime-local input sends it ("2026-11-22T18:00"), as UTC."""

    default_error_messages = {"naive": "Give a date and a time."}

    def _read(self, value, attr, data, **kwargs):
        try:
            return parse_paris_input(str(value))
        except ValueError as error:
            if "does not exist" in str(error):
                raise ValidationError(
                    "This time does not exist in Europe/Paris: clocks skip that hour when summer time starts."
                ) from None
            raise self.make_error("naive") from None


class BudgetRowSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount_cents = Euros(data_key="amount", required=True, validate=validate.Range(min=1))


class CampaignFormSchema(CampaignInputSchema):
    """The campaign editor's form, read as the API reads JSON."""

    class Meta:
        unknown = EXCLUDE

    goal_cents = Euros(data_key="goal", required=True, validate=validate.Range(min=100, error="Set a goal of at least €1."))
    starts_at = ParisWallClock(required=True)
    ends_at = ParisWallClock(required=True)
    budget = fields.List(fields.Nested(BudgetRowSchema), load_default=list, validate=validate.Length(max=50))

    @pre_load
    def _gather(self, form: dict, **kwargs) -> dict:
        data = {key: value for key, value in form.items() if not _BUDGET_KEY.match(key)}
        numbers = sorted({int(match.group(1)) for key in form if (match := _BUDGET_KEY.match(key))})
        rows = []
        for number in numbers:
            row = {name: value for name in ("label", "amount")
                   if (value := str(form.get(f"budget-{number}-{name}", "")).strip())}
            if row:  # an empty row is one of the form's spare ones
                rows.append(row)
        data["budget"] = rows
        # A form leaves out what a person emptied: an emptied input clears the value.
        for key in ("title_en", "pitch_en", "grant_receipt_number"):
            data.setdefault(key, None)
        data.setdefault("pitch_fr", "")
        return data


def campaign_form_values(campaign, language: str) -> dict:
    values = {
        "title_fr": campaign.title_fr, "title_en": campaign.title_en or "", "pitch_fr": campaign.pitch_fr,
        "pitch_en": campaign.pitch_en or "", "sector": campaign.sector,
        "goal": euros_text(campaign.goal_cents, language),
        "starts_at": paris_input(campaign.starts_at), "ends_at": paris_input(campaign.ends_at),
        "funding_model": campaign.funding_model, "grant_receipt_number": campaign.grant_receipt_number or "",
    }
    for number, line in enumerate(campaign.budget or ()):
        values[f"budget-{number}-label"] = line["label"]
        values[f"budget-{number}-amount"] = euros_text(line["amount_cents"], language)
    return values


def paris_input(moment) -> str:
    return to_paris(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


class TierFormSchema(TierInputSchema):
    class Meta:
        unknown = EXCLUDE

    minimum_cents = Euros(data_key="minimum", required=True,
                          validate=validate.Range(min=100, error="A reward asks for at least €1."))
    quantity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=INT_MAX))

    @pre_load
    def _emptied(self, form: dict, **kwargs) -> dict:
        data = dict(form)
        for key in ("title_en", "description_en", "quantity"):
            data.setdefault(key, None)
        return data


def tier_form_values(tier, language: str) -> dict:
    return {
        "title_fr": tier.title_fr, "title_en": tier.title_en or "", "description_fr": tier.description_fr,
        "description_en": tier.description_en or "", "minimum": euros_text(tier.minimum_cents, language),
        "quantity": "" if tier.quantity is None else str(tier.quantity),
        "delivery_month": f"{tier.delivery_month.year:04d}-{tier.delivery_month.month:02d}",
    }
