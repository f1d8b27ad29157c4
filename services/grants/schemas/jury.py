"""The jury as the API reads and writes it, and the forms of the jurors' and the fund manager's
jury pages (read by the same schemas' rules)."""
from __future__ import annotations

import re
from dataclasses import fields as dataclass_fields

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from services.grants.models import RECOMMENDATIONS
from services.grants.ranking import TIE_RULE, JurorFigures, RankedApplication
from services.grants.schemas.calls import CHOICE, ParisDateTime
from shared.core.clock import to_paris
from shared.core.fields import Id, StrictBoolean

COMMENT = validate.Length(max=5000)


# --- The fund manager's side -------------------------------------------------------------------------


class JurySettingsInputSchema(Schema):
    reviews_per_application = fields.Integer(strict=True, validate=validate.Range(min=1, max=10))
    review_deadline = ParisDateTime(allow_none=True, metadata={
        "description": "ISO 8601 with its offset, or a Paris time as YYYY-MM-DDTHH:MM; null: none"})
    reminder_days_before = fields.Integer(strict=True, validate=validate.Range(min=1, max=30), metadata={
        "description": "Days before the deadline when jurors with reviews left get a reminder (3 by default)"})
    disagreement_threshold = fields.Integer(strict=True, validate=validate.Range(min=0, max=100), metadata={
        "description": "Spread between an application's jurors (in points of 100) above which it is flagged"})


class JurySettingsFormSchema(JurySettingsInputSchema):
    """The jury settings form: numbers as typed, the deadline as a Paris datetime-local (empty: none)."""

    class Meta:
        unknown = EXCLUDE

    reviews_per_application = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    reminder_days_before = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    disagreement_threshold = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    review_deadline = ParisDateTime(load_default=None, allow_none=True)


class JurorSchema(Schema):
    id = fields.Integer(attribute="account_id")
    name = fields.String()
    email = fields.String()
    organisation = fields.String(allow_none=True)
    siren = fields.String(allow_none=True)


class JurySchema(Schema):
    call_id = fields.Integer()
    reviews_per_application = fields.Integer()
    review_deadline = ParisDateTime(allow_none=True, metadata={"description": "UTC"})
    review_deadline_paris = fields.Function(
        lambda jury: to_paris(jury.review_deadline).isoformat() if jury.review_deadline else None)
    reminder_days_before = fields.Integer()
    disagreement_threshold = fields.Integer()
    deliberation_opened_at = fields.AwareDateTime(allow_none=True)


class PanelMemberInputSchema(Schema):
    juror_id = Id(required=True)


class PanelMemberFormSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    juror_id = Id(required=True, strict=False)


class AssignmentInputSchema(Schema):
    application_id = Id(required=True)
    juror_id = Id(required=True)


class AssignmentFormSchema(AssignmentInputSchema):
    class Meta:
        unknown = EXCLUDE

    application_id = Id(required=True, strict=False)
    juror_id = Id(required=True, strict=False)


class AssignmentRunSchema(Schema):
    added = fields.Integer()
    unfilled = fields.Function(lambda run: [{"application_id": a, "missing": m} for a, m in run.unfilled],
                               metadata={"description": "Applications still short of reviews: no juror free"})


class SeatSchema(Schema):
    """One assignment as the fund manager sees it."""

    id = fields.Integer(attribute="assignment.id")
    application_id = fields.Integer(attribute="assignment.application_id")
    juror_id = fields.Integer(attribute="assignment.juror_id")
    juror_name = fields.String(attribute="assignment.juror.name")
    origin = fields.String(attribute="assignment.origin", metadata={"description": "automatic, manual or replacement"})
    assigned_at = fields.AwareDateTime(attribute="assignment.assigned_at")
    stage = fields.String(metadata={"description": "withdrawn, to_declare, recused, awaiting_check, to_score, draft, submitted"})
    review_id = fields.Function(lambda seat: seat.review.id if seat.review else None)


class ApplicationSeatsSchema(Schema):
    application_id = fields.Integer(attribute="application.id")
    receipt_number = fields.String(attribute="application.receipt_number")
    project_title = fields.String(attribute="cover.project_title")
    organisation = fields.String(attribute="cover.organisation")
    reviews_counted = fields.Integer(attribute="counted", metadata={"description": "Assignments that are not recused"})
    assignments = fields.List(fields.Nested(SeatSchema), attribute="seats")


class CoverSchema(Schema):
    application_id = fields.Integer()
    project_title = fields.String()
    organisation = fields.String()
    city = fields.String()


class DeclarationSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    juror_id = fields.Integer()
    conflict = fields.Boolean()
    reason = fields.String()
    declared_at = fields.AwareDateTime()


class ManagerDeclarationSchema(Schema):
    declaration = fields.Nested(DeclarationSchema)
    juror_name = fields.String(attribute="juror.name")
    application = fields.Nested(CoverSchema)


class FlagSchema(Schema):
    id = fields.Integer(attribute="flag.id")
    application = fields.Nested(CoverSchema)
    juror_id = fields.Integer(attribute="flag.juror_id")
    juror_name = fields.String(attribute="juror.name")
    rule = fields.String(attribute="flag.rule", metadata={"description": "same_siren or same_email_domain"})
    detail = fields.String(attribute="flag.detail")
    status = fields.String(attribute="flag.status", metadata={"description": "open, confirmed or cleared"})
    flagged_at = fields.AwareDateTime(attribute="flag.flagged_at")
    decided_at = fields.AwareDateTime(attribute="flag.decided_at", allow_none=True)


class DeclarationsAndFlagsSchema(Schema):
    declarations = fields.List(fields.Nested(ManagerDeclarationSchema))
    flags = fields.List(fields.Nested(FlagSchema))


class FlagDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("confirm", "clear"), error=CHOICE))


class FlagDecisionFormSchema(FlagDecisionSchema):
    class Meta:
        unknown = EXCLUDE


class ProgressSchema(Schema):
    juror = fields.Nested(JurorSchema)
    assigned = fields.Integer(metadata={"description": "Assignments that are not recused"})
    declared = fields.Integer()
    recused = fields.Integer()
    drafts = fields.Integer()
    submitted = fields.Integer()


class LogEntrySchema(Schema):
    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    application_id = fields.Integer(allow_none=True)
    juror_id = fields.Integer(allow_none=True)
    details = fields.Dict()


class RankedRowSchema(Schema):
    rank = fields.Integer(allow_none=True, metadata={"description": "null: no submitted review yet"})
    application_id = fields.Integer()
    receipt_number = fields.String()
    project_title = fields.String()
    organisation = fields.String()
    raw_mean = fields.Float(allow_none=True)
    corrected_mean = fields.Float(allow_none=True)
    reviews_done = fields.Integer()
    reviews_assigned = fields.Integer()
    spread = fields.Float(allow_none=True)
    disagreement = fields.Boolean()
    raw_kept = fields.Boolean(metadata={"description": "Some reviews by jurors with too few reviews to correct"})
    fund = fields.Integer()
    maybe = fields.Integer()
    dont_fund = fields.Integer()
    requested_cents = fields.Integer()
    running_total_cents = fields.Integer(allow_none=True)
    within_envelope = fields.Boolean()


class JurorFiguresSchema(Schema):
    juror_id = fields.Integer()
    reviews = fields.Integer()
    mean = fields.Float()
    spread = fields.Float()
    corrected = fields.Boolean()


class RankingSchema(Schema):
    call_id = fields.Integer()
    envelope_cents = fields.Integer()
    disagreement_threshold = fields.Integer()
    minimum_reviews_for_correction = fields.Integer()
    panel_mean = fields.Float(allow_none=True)
    panel_spread = fields.Float(allow_none=True)
    tie_rule = fields.String()
    rows = fields.List(fields.Nested(RankedRowSchema))
    jurors = fields.List(fields.Nested(JurorFiguresSchema))


def ranking_answer(ranked) -> dict:
    """A `jury.RankedCall` as RankingSchema dumps it.

    Each row is read attribute by attribute: its values are numbers, booleans and None, which
    `dataclasses.asdict` would deep-copy one by one (20 ms of a 1,000-application ranking's
    answer, about an eighth of the request; bench/platform_load.py's ranking row)."""
    result = ranked.ranking
    rows = []
    for row in result.rows:
        answer = {name: getattr(row, name) for name in _RANKED_ROW}
        answer["receipt_number"], answer["project_title"], answer["organisation"] = ranked.applications[row.application_id]
        rows.append(answer)
    return {
        "call_id": ranked.call.id, "envelope_cents": result.envelope_cents,
        "disagreement_threshold": result.disagreement_threshold,
        "minimum_reviews_for_correction": result.minimum_reviews_for_correction,
        "panel_mean": result.panel_mean, "panel_spread": result.panel_spread, "tie_rule": TIE_RULE,
        "rows": rows, "jurors": [{name: getattr(juror, name) for name in _JUROR_FIGURES} for juror in result.jurors],
    }


_RANKED_ROW = tuple(field.name for field in dataclass_fields(RankedApplication))
_JUROR_FIGURES = tuple(field.name for field in dataclass_fields(JurorFigures))


class CsvLanguageSchema(Schema):
    lang = fields.String(load_default="fr", validate=validate.OneOf(("fr", "en"), error=CHOICE),
                         metadata={"description": "Language of the column names and labels"})


# --- The juror's side ----------------------------------------------------------------------------------


class JurorCallSchema(Schema):
    call_id = fields.Integer(attribute="call.id")
    title_fr = fields.String(attribute="call.title_fr")
    title_en = fields.String(attribute="call.title_en", allow_none=True)
    status = fields.String(attribute="call.status")
    review_deadline = ParisDateTime(attribute="jury.review_deadline", allow_none=True)
    assigned = fields.Integer(metadata={"description": "Your assignments that are not recused"})
    submitted = fields.Integer(metadata={"description": "Your reviews submitted: scored x of y"})
    recused = fields.Integer()


class JurorAssignmentSchema(Schema):
    """An assignment as its juror sees it: before declaring, only the cover."""

    application_id = fields.Integer(attribute="cover.application_id")
    call_id = fields.Integer(attribute="cover.call_id")
    project_title = fields.String(attribute="cover.project_title")
    organisation = fields.String(attribute="cover.organisation")
    city = fields.String(attribute="cover.city")
    stage = fields.String(attribute="seat.stage",
                          metadata={"description": "withdrawn, to_declare, recused, awaiting_check, to_score, draft, submitted"})
    declaration = fields.Nested(DeclarationSchema, attribute="seat.declaration", allow_none=True)


class DeclarationInputSchema(Schema):
    conflict = StrictBoolean(required=True, metadata={"description": "true: a conflict of interest (you are recused)"})
    reason = fields.String(load_default="", validate=validate.Length(max=2000),
                           metadata={"description": "Required with a conflict"})


class DeclarationFormSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    conflict = fields.Boolean(required=True, error_messages={"required": "Choose one answer."})
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class SubmittedApplicationSchema(Schema):
    """The application as submitted, frozen (its snapshot), for a juror cleared to read it.
    The applicant's personal name and address are not in it."""

    application_id = fields.Integer(attribute="id")
    receipt_number = fields.String()
    submitted_at = fields.AwareDateTime()
    snapshot = fields.Dict(metadata={"description": "The application as submitted"})


class CriterionScoreSchema(Schema):
    criterion = fields.String(required=True, validate=validate.Length(min=1, max=60))
    level = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0, max=100),
                           metadata={"description": "The score of one of the criterion's levels"})
    comment = fields.String(load_default="", validate=COMMENT)


class ReviewInputSchema(Schema):
    criteria = fields.List(fields.Nested(CriterionScoreSchema), validate=validate.Length(max=50))
    recommendation = fields.String(allow_none=True, validate=validate.OneOf(RECOMMENDATIONS, error=CHOICE),
                                   metadata={"description": "fund, maybe or dont_fund"})
    overall_comment = fields.String(validate=validate.Length(max=10000))


def _criteria(review) -> list[dict]:
    codes = list(dict.fromkeys([*(review.levels or {}), *(review.comments or {})]))
    return [{"criterion": code, "level": (review.levels or {}).get(code), "comment": (review.comments or {}).get(code, "")}
            for code in codes]


class ReviewSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    status = fields.String(metadata={"description": "draft or submitted"})
    criteria = fields.Function(_criteria)
    recommendation = fields.String(allow_none=True)
    overall_comment = fields.String()
    submitted_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime()


class PanelReviewSchema(Schema):
    juror_name = fields.String()
    organisation = fields.String(allow_none=True)
    own = fields.Boolean()
    review = fields.Nested(ReviewSchema)


_SCORE_INPUT = re.compile(r"^(level|comment)-([a-z0-9_]{1,60})$")


class ReviewFormSchema(ReviewInputSchema):
    """The scoring form: `level-<code>` (a radio per level) and `comment-<code>` per criterion,
    the recommendation's radios, the overall comment."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _gather(self, form: dict, **kwargs) -> dict:
        data = {key: value for key, value in form.items() if not _SCORE_INPUT.match(key)}
        criteria: dict[str, dict] = {}
        for key, value in form.items():
            match = _SCORE_INPUT.match(key)
            if match:
                kind, code = match.groups()
                criteria.setdefault(code, {"criterion": code})[kind] = value
        data["criteria"] = [
            {"criterion": code, "comment": item.get("comment", ""),
             **({"level": int(item["level"])} if str(item.get("level", "")).isdigit() else {})}
            for code, item in criteria.items()
        ]
        data.setdefault("overall_comment", "")
        return data
