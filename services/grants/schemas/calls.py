"""Calls for projects as the API reads and writes them.

Times: an ISO 8601 value with its offset is an instant; a value without offset
("2026-11-22T18:00", what a page's datetime-local field sends) is a wall-clock time in
Europe/Paris. Either way the call keeps it in UTC and shows it in UTC and in Paris time.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from shared.core.organisations import (
    ORGANISATION_KINDS,
    SECTORS,
    InvalidPostalCode,
    check_postal_code,
)
from shared.core.clock import parse_paris_input, to_paris
from shared.core.fields import Id, Instant
from shared.core.money import Cents, Euros, euros_text

_WALL_CLOCK = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")
CHOICE = "Must be one of the choices offered."
CODE = validate.Regexp(r"^[a-z0-9_]{1,60}$", error="Use 1 to 60 lowercase letters, digits or underscores.")


class ParisDateTime(Instant):
    """An aware ISO 8601 instant, or a Paris wall-clock time; loaded as aware UTC."""

    default_error_messages = {"naive": "Give a time with its offset, or a Paris time as YYYY-MM-DDTHH:MM."}

    def _read(self, value, attr, data, **kwargs) -> datetime:
        if isinstance(value, str) and _WALL_CLOCK.fullmatch(value.strip()):
            try:
                return parse_paris_input(value)
            except ValueError:
                raise ValidationError(
                    "This time does not exist in Europe/Paris: clocks skip that hour when summer time starts."
                ) from None
        return super()._read(value, attr, data, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(timezone.utc).isoformat()


def _postal_code(value: str) -> None:
    try:
        check_postal_code(value)
    except InvalidPostalCode as error:
        raise ValidationError(error.message) from None


def _unique(values: list) -> None:
    if len(values) != len(set(values)):
        raise ValidationError("Each value may appear only once.")


def _unique_codes(items: list[dict]) -> None:
    _unique([item["code"] for item in items])


class RequiredDocumentSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    label_fr = fields.String(required=True, validate=validate.Length(min=1, max=200))
    label_en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class LevelSchema(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))
    description = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class CriterionSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    label_fr = fields.String(required=True, validate=validate.Length(min=1, max=200))
    label_en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    weight = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))
    levels = fields.List(fields.Nested(LevelSchema), load_default=list)

    @validates_schema
    def _distinct_scores(self, data, **kwargs):
        scores = [level["score"] for level in data.get("levels", [])]
        if len(scores) != len(set(scores)):
            raise ValidationError("Each level needs its own score.", "levels")


class CallInputSchema(Schema):
    """A call as the fund manager writes it (all fields on creation; any of them on edit)."""

    fund_id = Id(required=True)
    title_fr = fields.String(required=True, validate=validate.Length(min=1, max=300))
    title_en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    description_fr = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    description_en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000))
    opens_at = ParisDateTime(required=True)
    closes_at = ParisDateTime(required=True)
    max_award_cents = Cents(required=True)
    postal_codes = fields.List(fields.String(validate=_postal_code), load_default=list, validate=_unique)
    sectors = fields.List(fields.String(validate=validate.OneOf(SECTORS, error=CHOICE)), load_default=list, validate=_unique)
    organisation_kinds = fields.List(
        fields.String(validate=validate.OneOf(ORGANISATION_KINDS, error=CHOICE)), load_default=list, validate=_unique
    )
    min_other_funding_share_percent = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=100)
    )
    required_documents = fields.List(
        fields.Nested(RequiredDocumentSchema), load_default=list, validate=_unique_codes
    )
    scoring_grid = fields.List(fields.Nested(CriterionSchema), load_default=list, validate=_unique_codes)

    @validates_schema
    def _closes_after_opens(self, data, **kwargs):
        if "opens_at" in data and "closes_at" in data and data["closes_at"] <= data["opens_at"]:
            raise ValidationError("The call must close after it opens.", "closes_at")


class CallSchema(Schema):
    id = fields.Integer()
    fund_id = fields.Integer()
    status = fields.String(metadata={"description": "draft, open, closed, in_review or decided"})
    accepting_applications = fields.Method("_accepting")
    title_fr = fields.String()
    title_en = fields.String(allow_none=True)
    description_fr = fields.String()
    description_en = fields.String(allow_none=True)
    opens_at = ParisDateTime(metadata={"description": "UTC"})
    closes_at = ParisDateTime(metadata={"description": "UTC"})
    opens_at_paris = fields.Method("_opens_paris", metadata={"description": "The same instant in Paris time"})
    closes_at_paris = fields.Method("_closes_paris", metadata={"description": "The same instant in Paris time"})
    max_award_cents = fields.Integer()
    postal_codes = fields.List(fields.String())
    sectors = fields.List(fields.String())
    organisation_kinds = fields.List(fields.String())
    min_other_funding_share_percent = fields.Integer()
    required_documents = fields.List(fields.Nested(RequiredDocumentSchema))
    scoring_grid = fields.List(fields.Nested(CriterionSchema))

    def _accepting(self, call) -> bool:
        from services.grants.calls import accepts_applications
        from shared.core.clock import utcnow

        return accepts_applications(call, utcnow())

    def _opens_paris(self, call) -> str:
        return to_paris(call.opens_at).isoformat()

    def _closes_paris(self, call) -> str:
        return to_paris(call.closes_at).isoformat()


class CallStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("open", "closed", "in_review", "decided"), error=CHOICE))


class CallFilterSchema(Schema):
    status = fields.String(
        load_default=None, validate=validate.OneOf(("draft", "open", "closed", "in_review", "decided"), error=CHOICE)
    )


class CallChangesSchema(CallInputSchema):
    """Changes to a call: any of CallInputSchema's fields, each given whole."""

    def __init__(self, *args, **kwargs):
        # Partial at the top only: a required document or a criterion sent keeps its required
        # fields (marshmallow's partial=True would also let a criterion come without its code).
        kwargs["partial"] = tuple(CallInputSchema._declared_fields)
        super().__init__(*args, **kwargs)


# --- The fund manager's call form: euros, Paris times, rows of documents and criteria ---------------

_ROW_KEY = re.compile(r"^(document|criterion)-(\d+)-(\w+)$")
_LEVEL = re.compile(r"^\s*(\d+)\s*:\s*(.*)$")
DOCUMENT_INPUTS = ("code", "label_fr", "label_en")
CRITERION_INPUTS = ("code", "label_fr", "label_en", "weight", "levels")


class LevelsText(fields.Field):
    """A criterion's levels as the form writes them: one a line, "score: description"; a line
    without a score takes its position."""

    def _deserialize(self, value, attr, data, **kwargs) -> list[dict]:
        levels = []
        for position, line in enumerate(line for line in str(value).splitlines() if line.strip()):
            match = _LEVEL.match(line)
            if match:
                levels.append({"score": int(match.group(1)), "description": match.group(2).strip()})
            else:
                levels.append({"score": position, "description": line.strip()})
        return LevelSchema(many=True).load(levels)

    def _serialize(self, value, attr, obj, **kwargs):
        return "\n".join(f"{level['score']}: {level['description']}" for level in value or ())


class DocumentRowSchema(RequiredDocumentSchema):
    class Meta:
        unknown = EXCLUDE


class CriterionRowSchema(CriterionSchema):
    class Meta:
        unknown = EXCLUDE

    weight = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    levels = LevelsText(load_default=list)


class CallFormSchema(CallInputSchema):
    """The call form of the fund manager's pages, read as the API reads JSON: the maximum award in
    euros, times as Paris wall-clock values, postal codes in one text, and the repeated rows of
    required documents and scoring criteria (`document-<n>-code`, `criterion-<n>-weight`...)."""

    class Meta:
        unknown = EXCLUDE

    fund_id = Id(required=True, strict=False)
    max_award_cents = Euros(data_key="max_award", required=True)
    min_other_funding_share_percent = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100))
    required_documents = fields.List(fields.Nested(DocumentRowSchema), load_default=list, validate=_unique_codes)
    scoring_grid = fields.List(fields.Nested(CriterionRowSchema), load_default=list, validate=_unique_codes)

    @pre_load
    def _gather(self, form: dict, **kwargs) -> dict:
        data = {key: value for key, value in form.items() if not _ROW_KEY.match(key)}
        if "postal_codes" in data and isinstance(data["postal_codes"], str):
            data["postal_codes"] = [code for code in re.split(r"[\s,;]+", data["postal_codes"]) if code]
        data["required_documents"] = _rows(form, "document", DOCUMENT_INPUTS)
        data["scoring_grid"] = _rows(form, "criterion", CRITERION_INPUTS)
        # A form leaves out what a person emptied: an emptied input clears the value.
        for key in ("postal_codes", "sectors", "organisation_kinds"):
            data.setdefault(key, [])
        for key in ("title_en", "description_en"):
            data.setdefault(key, None)
        data.setdefault("min_other_funding_share_percent", 0)
        return data


def _rows(form: dict, prefix: str, names: tuple[str, ...]) -> list[dict]:
    """The filled rows of a repeated group of inputs, in their order; empty rows are the form's
    spare ones."""
    numbers = sorted({int(match.group(2)) for key in form if (match := _ROW_KEY.match(key)) and match.group(1) == prefix})
    rows = []
    for number in numbers:
        row = {name: value for name in names if (value := str(form.get(f"{prefix}-{number}-{name}", "")).strip())}
        if row:
            rows.append(row)
    return rows


def call_form_values(call, language: str) -> dict:
    """An existing call as its form shows it."""
    values = {
        "fund_id": call.fund_id, "title_fr": call.title_fr, "title_en": call.title_en or "",
        "description_fr": call.description_fr, "description_en": call.description_en or "",
        "opens_at": paris_input(call.opens_at), "closes_at": paris_input(call.closes_at),
        "max_award": euros_text(call.max_award_cents, language),
        "postal_codes": " ".join(call.postal_codes), "sectors": list(call.sectors),
        "organisation_kinds": list(call.organisation_kinds),
        "min_other_funding_share_percent": call.min_other_funding_share_percent,
    }
    for number, document in enumerate(call.required_documents):
        for name in DOCUMENT_INPUTS:
            values[f"document-{number}-{name}"] = document.get(name) or ""
    for number, criterion in enumerate(call.scoring_grid):
        for name in ("code", "label_fr", "label_en", "weight"):
            values[f"criterion-{number}-{name}"] = criterion.get(name) or ("0" if name == "weight" else "")
        values[f"criterion-{number}-levels"] = LevelsText()._serialize(criterion.get("levels"), None, None)
    return values


def paris_input(moment) -> str:
    """A datetime-local input's value: the Paris wall-clock time to the minute."""
    return to_paris(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""
