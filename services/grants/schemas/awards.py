"""Awards, the decision, the agreement, tranches and payments as the API reads and writes them
(amounts in integer cents), and the pages' forms (amounts in euros, read by the same rules).

The IBAN is never written whole in an answer: `iban_masked` only."""
from __future__ import annotations

import re

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from services.grants.awards import (
    award_url,
    can_cancel,
    can_change,
    is_announced,
    organisation_of,
    paid_cents,
    project_title_of,
    to_pay_back_cents,
)
from services.grants.bank_details import mask_iban
from services.grants.schemas.calls import CHOICE
from services.grants.sepa import DEFAULT_SCHEMA, SCHEMAS
from services.grants.tranches import DUE_CONDITIONS, MAX_TRANCHES, WHOLE, Tranche, share_from_percent
from shared.core.fields import StrictBoolean, Trimmed
from shared.core.money import Cents, Euros

TEXT = validate.Length(max=5000)
REASON = validate.Length(min=1, max=2000, error="Say why, in at most 2000 characters.")
DUE = validate.OneOf(DUE_CONDITIONS, error=CHOICE)
BANK_REFERENCE = validate.Length(min=1, max=35, error="A bank reference has 1 to 35 characters.")


# --- What the fund manager sends ---------------------------------------------------------------------


class GrantInputSchema(Schema):
    amount_cents = Cents(required=True)
    conditions_fr = Trimmed(load_default="", validate=TEXT, metadata={"description": "Conditions, in French"})
    conditions_en = Trimmed(load_default=None, allow_none=True, validate=TEXT)


class AwardChangeSchema(Schema):
    amount_cents = Cents()
    conditions_fr = Trimmed(validate=TEXT)
    conditions_en = Trimmed(allow_none=True, validate=TEXT)
    reason = Trimmed(required=True, validate=REASON)


class ReasonSchema(Schema):
    reason = Trimmed(required=True, validate=REASON)


class DecisionInputSchema(Schema):
    with_reviews_missing = StrictBoolean(load_default=False, metadata={
        "description": "Decide although reviews are missing (refused with 409 otherwise); logged"})
    release_comments = StrictBoolean(load_default=False, metadata={
        "description": "Send the not-selected applicants the jury's comments per criterion, anonymised"})
    reason = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class TrancheInputSchema(Schema):
    share_bp = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=WHOLE),
                              metadata={"description": "The share in basis points: 7000 is 70 %"})
    due = fields.String(required=True, validate=DUE, metadata={
        "description": "acceptance, interim_report or final_report"})


class PlanInputSchema(Schema):
    tranches = fields.List(fields.Nested(TrancheInputSchema), required=True,
                           validate=validate.Length(min=1, max=MAX_TRANCHES))


def plan_tranches(data: dict) -> list[Tranche]:
    return [Tranche(item["share_bp"], item["due"]) for item in data["tranches"]]


class PaymentInputSchema(Schema):
    paid_on = fields.Date(required=True, metadata={"description": "The date of the transfer (YYYY-MM-DD)"})
    amount_cents = Cents(required=True)
    bank_reference = Trimmed(required=True, validate=BANK_REFERENCE, metadata={
        "description": "The transfer's reference on the treasury's statement: the payment's key within its tranche"})


class RepaymentInputSchema(Schema):
    amount_cents = Cents(required=True)
    reason = Trimmed(required=True, validate=REASON)


class RepaymentReceivedSchema(Schema):
    received_on = fields.Date(required=True)
    bank_reference = Trimmed(required=True, validate=BANK_REFERENCE)


class PaymentFileQuerySchema(Schema):
    execution_date = fields.Date(required=True, metadata={"description": "When the bank executes the transfers"})
    schema = fields.String(load_default=DEFAULT_SCHEMA, validate=validate.OneOf(SCHEMAS, error=CHOICE))


class LanguageQuerySchema(Schema):
    lang = fields.String(load_default="fr", validate=validate.OneOf(("fr", "en"), error=CHOICE),
                         metadata={"description": "Language of the column names and labels"})


# --- What the applicant sends -------------------------------------------------------------------------


class AcceptInputSchema(Schema):
    terms_accepted = StrictBoolean(required=True, metadata={"description": "The terms were read and are accepted"})
    signatory_name = Trimmed(required=True, validate=validate.Length(max=200))
    signatory_role = Trimmed(required=True, validate=validate.Length(max=200))
    iban = fields.String(required=True, validate=validate.Length(max=50))
    bic = fields.String(required=True, validate=validate.Length(max=20))


class DeclineInputSchema(Schema):
    reason = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ReportUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "A PDF (checked by its content)"})


# --- Answers ----------------------------------------------------------------------------------------------


class TrancheSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    due = fields.String(metadata={"description": "acceptance, interim_report or final_report"})
    share_bp = fields.Integer()
    amount_cents = fields.Integer()
    status = fields.String(metadata={"description": "planned, due, paid or cancelled"})
    due_at = fields.AwareDateTime(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)
    paid_cents = fields.Integer()
    left_cents = fields.Integer()


class PaymentSchema(Schema):
    id = fields.Integer()
    award_id = fields.Integer()
    tranche_id = fields.Integer()
    tranche_number = fields.Function(lambda payment: payment.tranche.number)
    paid_on = fields.Date()
    amount_cents = fields.Integer()
    bank_reference = fields.String()
    recorded_at = fields.AwareDateTime()


class RepaymentSchema(Schema):
    id = fields.Integer()
    award_id = fields.Integer()
    amount_cents = fields.Integer()
    reason = fields.String()
    recorded_at = fields.AwareDateTime()
    received_on = fields.Date(allow_none=True)
    received_reference = fields.String(allow_none=True)


class ReportSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "interim or final"})
    number = fields.Integer()
    filename = fields.String()
    size = fields.Integer(metadata={"description": "Bytes"})
    sha256 = fields.String()
    uploaded_at = fields.AwareDateTime()
    download_url = fields.Function(lambda report: f"/api/awards/{report.award_id}/reports/{report.id}")


class AwardOrganisationSchema(Schema):
    legal_name = fields.String(allow_none=True)
    siret = fields.String(allow_none=True)
    sector = fields.String(allow_none=True)
    city = fields.String(allow_none=True)


class ApplicantAwardSchema(Schema):
    """An award as its applicant reads it."""

    id = fields.Integer()
    application_id = fields.Integer()
    call_id = fields.Integer()
    call_title_fr = fields.Function(lambda award: award.call.title_fr)
    call_title_en = fields.Function(lambda award: award.call.title_en)
    project_title = fields.Function(lambda award: project_title_of(award.application))
    receipt_number = fields.Function(lambda award: award.application.receipt_number)
    amount_cents = fields.Integer()
    conditions_fr = fields.String()
    conditions_en = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "granted, accepted, declined or cancelled"})
    announced_at = fields.AwareDateTime(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    terms_version = fields.String(allow_none=True)
    signatory_name = fields.String(allow_none=True)
    signatory_role = fields.String(allow_none=True)
    iban_masked = fields.Function(lambda award: mask_iban(award.iban) if award.iban else None,
                                  metadata={"description": "The IBAN, masked: it is whole only in the SEPA file"})
    bic = fields.String(allow_none=True)
    declined_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    tranches = fields.List(fields.Nested(TrancheSchema))
    reports = fields.List(fields.Nested(ReportSchema))
    paid_cents = fields.Function(paid_cents)
    url = fields.Function(lambda award: award_url(award.id), metadata={"description": "The page"})


class AwardSchema(ApplicantAwardSchema):
    """An award as the fund manager reads it."""

    fund_id = fields.Integer()
    organisation = fields.Function(lambda award: AwardOrganisationSchema().dump(organisation_of(award.application)))
    revision = fields.Integer(metadata={"description": "How many times the applicant was told of it (0: not yet)"})
    announced = fields.Function(is_announced)
    can_change = fields.Function(can_change)
    can_cancel = fields.Function(can_cancel)
    granted_at = fields.AwareDateTime()
    decline_reason = fields.String(allow_none=True)
    payments = fields.List(fields.Nested(PaymentSchema))
    repayments = fields.List(fields.Nested(RepaymentSchema))
    to_pay_back_cents = fields.Function(to_pay_back_cents)


class OutcomeSchema(Schema):
    application_id = fields.Integer()
    outcome = fields.String(metadata={"description": "awarded or not_selected"})
    award_id = fields.Integer(allow_none=True)
    decided_at = fields.AwareDateTime()
    comments_released = fields.Boolean()


class DecisionSchema(Schema):
    call_id = fields.Function(lambda decision: decision.call.id)
    status = fields.Function(lambda decision: decision.call.status)
    replayed = fields.Boolean(metadata={"description": "The call was decided already: nothing was written"})
    missing_reviews = fields.Integer()
    outcomes = fields.List(fields.Nested(OutcomeSchema))


class CriterionCommentsSchema(Schema):
    criterion = fields.String()
    comments = fields.List(fields.String())


class ApplicantOutcomeSchema(Schema):
    application_id = fields.Function(lambda found: found.application.id)
    outcome = fields.String(metadata={"description": "pending, awarded or not_selected"})
    award = fields.Nested(ApplicantAwardSchema, allow_none=True)
    jury_comments = fields.Function(lambda found: found.comments["criteria"] if found.comments else None,
                                    metadata={"description": "Per criterion, anonymised; null unless released"})
    overall_comments = fields.Function(lambda found: found.comments["overall"] if found.comments else None)


class PlanTrancheSchema(Schema):
    share_bp = fields.Integer()
    percent = fields.Function(lambda tranche: str(tranche.percent))
    due = fields.String()


class PlanSchema(Schema):
    tranches = fields.List(fields.Nested(PlanTrancheSchema))


class BoardAwardSchema(Schema):
    id = fields.Integer()
    amount_cents = fields.Integer()
    status = fields.String()
    revision = fields.Integer()


class BoardRowSchema(Schema):
    application_id = fields.Integer()
    receipt_number = fields.String()
    project_title = fields.String()
    organisation = fields.String()
    requested_cents = fields.Integer()
    rank = fields.Integer(allow_none=True)
    corrected_mean = fields.Float(allow_none=True)
    reviews_done = fields.Integer()
    reviews_assigned = fields.Integer()
    within_envelope = fields.Boolean(metadata={"description": "The ranking's running total of requests"})
    award = fields.Nested(BoardAwardSchema, allow_none=True)
    outcome = fields.Function(lambda row: row.outcome.outcome if row.outcome else None)


class BoardSchema(Schema):
    call_id = fields.Function(lambda board: board.call.id)
    call_status = fields.Function(lambda board: board.call.status)
    fund_id = fields.Function(lambda board: board.fund.id)
    envelope_cents = fields.Function(lambda board: board.fund.envelope_cents)
    committed_cents = fields.Integer()
    remaining_cents = fields.Integer()
    missing_reviews = fields.Integer()
    plan = fields.Nested(PlanSchema)
    rows = fields.List(fields.Nested(BoardRowSchema))


class CallFiguresSchema(Schema):
    call_id = fields.Function(lambda figures: figures.call.id)
    title_fr = fields.Function(lambda figures: figures.call.title_fr)
    status = fields.Function(lambda figures: figures.call.status)
    received = fields.Integer(metadata={"description": "Applications submitted"})
    eligible = fields.Integer()
    awarded = fields.Integer(metadata={"description": "Awards granted or accepted"})
    requested_cents = fields.Integer()
    awarded_cents = fields.Integer()
    paid_cents = fields.Integer()


class FundFiguresSchema(Schema):
    fund_id = fields.Function(lambda figures: figures.fund.id)
    name = fields.Function(lambda figures: figures.fund.name)
    year = fields.Function(lambda figures: figures.fund.year)
    envelope_cents = fields.Integer()
    committed_cents = fields.Integer(metadata={"description": "Awards granted or accepted, what cancelled ones kept, and matching pots"})
    paid_cents = fields.Integer()
    repaid_cents = fields.Integer(metadata={"description": "Paid back and received"})
    to_pay_back_cents = fields.Integer(metadata={"description": "Claimed back, not received yet"})
    remaining_cents = fields.Integer()
    grants = fields.Integer(metadata={"description": "Awards granted or accepted"})
    accepted = fields.Integer()
    objective = fields.Integer(metadata={"description": "The number of grants the fund aims at this year"})
    calls = fields.List(fields.Nested(CallFiguresSchema))
    pots_cents = fields.Integer(metadata={"description": "Matching pots set aside (counted in committed_cents)"})
    match_reserved_cents = fields.Integer(metadata={"description": "Matches reserved for live campaigns' pledges"})
    match_committed_cents = fields.Integer(metadata={"description": "Successful campaigns' matches, to pay"})
    match_paid_cents = fields.Integer(metadata={"description": "Successful campaigns' matches, paid (in paid_cents)"})


# --- The pages' forms ----------------------------------------------------------------------------------------


class GrantFormSchema(GrantInputSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount", required=True)


class AwardChangeFormSchema(AwardChangeSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount")

    @pre_load
    def _emptied(self, form: dict, **kwargs) -> dict:
        # The change form shows the conditions: an emptied one clears them.
        return {"conditions_fr": "", "conditions_en": None, **form}


class ReasonFormSchema(ReasonSchema):
    class Meta:
        unknown = EXCLUDE


class DecisionFormSchema(DecisionInputSchema):
    class Meta:
        unknown = EXCLUDE

    with_reviews_missing = fields.Boolean(load_default=False)
    release_comments = fields.Boolean(load_default=False)


_PLAN_ROW = re.compile(r"^tranche-(\d+)-(share|due)$")


class PlanFormSchema(Schema):
    """The plan form: a row per tranche, its share as a percentage (`tranche-<n>-share`, "70" or
    "33,34") and its condition (`tranche-<n>-due`); empty rows are spare ones."""

    class Meta:
        unknown = EXCLUDE

    tranches = fields.List(fields.Nested(TrancheInputSchema), required=True,
                           validate=validate.Length(min=1, max=MAX_TRANCHES, error="Give 1 to 6 tranches."))

    @pre_load
    def _gather(self, form: dict, **kwargs) -> dict:
        numbers = sorted({int(match.group(1)) for key in form if (match := _PLAN_ROW.match(key))})
        tranches, errors = [], {}
        for number in numbers:
            share, due = (str(form.get(f"tranche-{number}-{name}", "")).strip() for name in ("share", "due"))
            if not share and not due:
                continue
            try:
                tranches.append({"share_bp": share_from_percent(share), "due": due})
            except ValueError as error:
                errors[f"tranche-{number}-share"] = [str(error)]
        if errors:
            raise ValidationError(errors)
        return {"tranches": tranches}


class AcceptFormSchema(AcceptInputSchema):
    class Meta:
        unknown = EXCLUDE

    terms_accepted = fields.Boolean(load_default=False)
    signatory_name = Trimmed(load_default="", validate=validate.Length(max=200))
    signatory_role = Trimmed(load_default="", validate=validate.Length(max=200))
    iban = fields.String(load_default="", validate=validate.Length(max=50))
    bic = fields.String(load_default="", validate=validate.Length(max=20))


class DeclineFormSchema(DeclineInputSchema):
    class Meta:
        unknown = EXCLUDE


class PaymentFormSchema(PaymentInputSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount", required=True)


class RepaymentFormSchema(RepaymentInputSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount", required=True)


class RepaymentReceivedFormSchema(RepaymentReceivedSchema):
    class Meta:
        unknown = EXCLUDE


class PaymentFileFormSchema(PaymentFileQuerySchema):
    class Meta:
        unknown = EXCLUDE
