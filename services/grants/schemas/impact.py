"""Impact as the API reads and writes it: supported firms with their supports, checks and manual
statuses; the manual status; advice requests, sessions and alternative funding; the indicators
report (amounts in integer cents, shares as decimals from 0 to 1). The pages' forms are read by
the form schemas below (amounts in euros, mechanisms as checkboxes)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from services.grants.impact import firm_follow_up
from services.grants.models import FIRM_STATUSES, MECHANISMS
from services.grants.schemas.calls import CHOICE
from shared.core.fields import Id, Trimmed
from shared.core.money import Cents, Euros

SOURCE = validate.Length(min=1, max=2000, error="Say where the status comes from.")
ORGANISATION = validate.Length(min=1, max=300, error="Name the organisation, in at most 300 characters.")
def SIREN(value) -> None:  # noqa: N802  (a validator, named as the others)
    """Nine digits, or none (a blank input is read as none)."""
    if value is not None and not (len(value) == 9 and value.isdigit()):
        raise ValidationError("A SIREN has 9 digits.")


MECHANISM = validate.OneOf(MECHANISMS, error=CHOICE)


class _Siren(Trimmed):
    """A SIREN written with or without spaces; empty is none."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).replace(" ", "")
        return text or None


# --- Supported firms -------------------------------------------------------------------------------


class SupportSchema(Schema):
    kind = fields.String()
    on = fields.Date()
    amount_cents = fields.Integer()
    source_key = fields.String()


class RegistryCheckSchema(Schema):
    id = fields.Integer()
    checked_at = fields.AwareDateTime()
    status = fields.String(metadata={"description": "active, ceased, unknown (not found or not listed), invalid"})
    closed_on = fields.Date(allow_none=True)
    created_on = fields.Date(allow_none=True)
    http_status = fields.Integer()
    url = fields.String()
    answer = fields.String(metadata={"description": "the registry's answer as received"})


class ManualStatusSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    closed_on = fields.Date(allow_none=True)
    known_on = fields.Date()
    source = fields.String()
    recorded_at = fields.AwareDateTime()


class FirmSchema(Schema):
    id = fields.Integer()
    legal_name = fields.String()
    siren = fields.String(allow_none=True)
    rna = fields.String(allow_none=True)
    group = fields.Method("_group", metadata={"description": "supported, or comparison (scored, not selected)"})
    first_support_on = fields.Date(allow_none=True)
    comparison_since = fields.Date(allow_none=True)
    registry_status = fields.String(allow_none=True)
    registry_closed_on = fields.Date(allow_none=True)
    created_on = fields.Date(allow_none=True)
    last_checked_on = fields.Date(allow_none=True)
    next_check_at = fields.AwareDateTime(allow_none=True)
    manual_status = fields.String(allow_none=True)
    manual_closed_on = fields.Date(allow_none=True)
    closed_on = fields.Method("_closed_on", metadata={"description": "as the survival reads it"})
    demo = fields.Boolean()
    supports = fields.List(fields.Nested(SupportSchema))

    def _group(self, firm) -> str:
        return "supported" if firm.first_support_on else "comparison"

    def _closed_on(self, firm):
        closed = firm_follow_up(firm).closed_on
        return closed.isoformat() if closed else None


class FirmDetailSchema(FirmSchema):
    checks = fields.List(fields.Nested(RegistryCheckSchema))
    manual_statuses = fields.List(fields.Nested(ManualStatusSchema))


class ManualStatusInputSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(FIRM_STATUSES, error=CHOICE))
    closed_on = fields.Date(load_default=None, allow_none=True)
    known_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "by default, today"})
    source = Trimmed(required=True, validate=SOURCE)


# --- The referent ---------------------------------------------------------------------------------


class AdviceRequestInputSchema(Schema):
    organisation = Trimmed(required=True, validate=ORGANISATION)
    siren = _Siren(load_default=None, allow_none=True, validate=SIREN)
    project = Trimmed(required=True, validate=validate.Length(min=1, max=5000,
                                                              error="Describe your project, in at most 5000 characters."))
    mechanisms = fields.List(fields.String(validate=MECHANISM), load_default=list)


class AdviceRequestSchema(Schema):
    id = fields.Integer()
    account_id = fields.Integer()
    requester_name = fields.Function(lambda r: r.account.name)
    requester_email = fields.Function(lambda r: r.account.email)
    organisation = fields.String()
    siren = fields.String(allow_none=True)
    project = fields.String()
    mechanisms = fields.List(fields.String())
    status = fields.String()
    requested_at = fields.AwareDateTime()


class OwnAdviceRequestSchema(Schema):
    id = fields.Integer()
    organisation = fields.String()
    project = fields.String()
    mechanisms = fields.List(fields.String())
    status = fields.String()
    requested_at = fields.AwareDateTime()


class RequestQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(("open", "answered"), error=CHOICE))


class AdviceSessionInputSchema(Schema):
    request_id = Id(load_default=None, allow_none=True)
    organisation = Trimmed(load_default=None, allow_none=True, validate=ORGANISATION)
    siren = _Siren(load_default=None, allow_none=True, validate=SIREN)
    held_on = fields.Date(required=True)
    mechanisms = fields.List(fields.String(validate=MECHANISM), required=True,
                             validate=validate.Length(min=1, error="Tick at least one mechanism discussed."),
                             error_messages={"required": "Tick at least one mechanism discussed."})
    notes = Trimmed(load_default="", validate=validate.Length(max=10000))


class AdviceSessionSchema(Schema):
    id = fields.Integer()
    request_id = fields.Integer(allow_none=True)
    organisation = fields.String()
    siren = fields.String(allow_none=True)
    held_on = fields.Date()
    mechanisms = fields.List(fields.String())
    notes = fields.String()
    demo = fields.Boolean()


class FundingInputSchema(Schema):
    organisation = Trimmed(required=True, validate=ORGANISATION)
    siren = _Siren(load_default=None, allow_none=True, validate=SIREN)
    kind = fields.String(required=True, validate=MECHANISM)
    amount_cents = Cents(required=True)
    obtained_on = fields.Date(required=True)
    source = Trimmed(required=True, validate=validate.Length(min=1, max=300, error="Name the funder, in at most 300 characters."))
    session_id = Id(load_default=None, allow_none=True)

    @validates("amount_cents")
    def _positive(self, value, **kwargs):
        if value == 0:
            raise ValidationError("An amount obtained is above 0.")


class FundingSchema(Schema):
    id = fields.Integer()
    organisation = fields.String()
    siren = fields.String(allow_none=True)
    kind = fields.String()
    amount_cents = fields.Integer()
    obtained_on = fields.Date()
    source = fields.String()
    session_id = fields.Integer(allow_none=True)
    demo = fields.Boolean()


# The pages' forms, read by shared.web.pages.load_form (blank inputs absent, checkboxes a list).


class AdviceSessionFormSchema(AdviceSessionInputSchema):
    request_id = Id(load_default=None, allow_none=True, strict=False)


class FundingFormSchema(FundingInputSchema):
    amount_cents = Euros(required=True, data_key="amount")
    session_id = Id(load_default=None, allow_none=True, strict=False)


# --- The report -----------------------------------------------------------------------------------


class ReportQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # a page's address carries its language (`lang`) too

    year_from = fields.Integer(data_key="from", load_default=None, strict=False,
                               validate=validate.Range(min=2000, max=2200, error="A year, such as 2024."))
    year_to = fields.Integer(data_key="to", load_default=None, strict=False,
                             validate=validate.Range(min=2000, max=2200, error="A year, such as 2024."))


class SurvivalPointSchema(Schema):
    years = fields.Integer()
    at_risk = fields.Integer()
    closures = fields.Integer()
    survival = fields.Float(allow_none=True)
    low = fields.Float(allow_none=True, metadata={"description": "95 % interval, log-log"})
    high = fields.Float(allow_none=True)
    reason = fields.String(allow_none=True, metadata={
        "description": "why no figure: too_few_at_risk, no_closure_yet, undefined_interval"})


class SurvivalCurveSchema(Schema):
    years = fields.List(fields.Float())
    survival = fields.List(fields.Float())
    low = fields.List(fields.Float())
    high = fields.List(fields.Float())


class SurvivalTableSchema(Schema):
    firms = fields.Integer()
    closures = fields.Integer()
    points = fields.List(fields.Nested(SurvivalPointSchema))
    curve = fields.Nested(SurvivalCurveSchema)


class CohortTableSchema(SurvivalTableSchema):
    cohort = fields.Integer()


class KindTableSchema(SurvivalTableSchema):
    kind = fields.String()


class BaselineSchema(Schema):
    cohort = fields.Integer()
    survival = fields.Float()
    source = fields.String()


class SurvivalSchema(Schema):
    supported = fields.Nested(SurvivalTableSchema)
    comparison = fields.Nested(SurvivalTableSchema)
    by_cohort = fields.List(fields.Nested(CohortTableSchema))
    by_kind = fields.List(fields.Nested(KindTableSchema))
    baselines = fields.List(fields.Nested(BaselineSchema))
    not_followed = fields.Integer()
    min_at_risk = fields.Integer()


class YearOutputSchema(Schema):
    year = fields.Integer()
    grants = fields.Integer()
    amount_cents = fields.Integer()
    objective = fields.Integer()


class CrowdfundingSchema(Schema):
    year = fields.Integer()
    campaigns = fields.Integer()
    succeeded = fields.Integer()
    success_rate = fields.Float(allow_none=True)
    raised_cents = fields.Integer()
    backers = fields.Integer()


class MatchfundingSchema(Schema):
    year = fields.Integer()
    matches = fields.Integer()
    amount_cents = fields.Integer()


class DeclaredSchema(Schema):
    kind = fields.String()
    sources = fields.Integer()
    amount_cents = fields.Integer()


class MechanismCountSchema(Schema):
    mechanism = fields.String()
    sessions = fields.Integer()


class FundingTotalSchema(Schema):
    kind = fields.String()
    count = fields.Integer()
    amount_cents = fields.Integer()


class ReferentFiguresSchema(Schema):
    sessions_held = fields.Integer()
    sessions_by_mechanism = fields.List(fields.Nested(MechanismCountSchema))
    funding_obtained = fields.List(fields.Nested(FundingTotalSchema))


class IndicatorsReportSchema(Schema):
    year_from = fields.Integer()
    year_to = fields.Integer()
    outputs = fields.List(fields.Nested(YearOutputSchema))
    crowdfunding = fields.List(fields.Nested(CrowdfundingSchema))
    matchfunding = fields.List(fields.Nested(MatchfundingSchema))
    declared_funding = fields.List(fields.Nested(DeclaredSchema))
    referent = fields.Nested(ReferentFiguresSchema)
    survival = fields.Nested(SurvivalSchema)
