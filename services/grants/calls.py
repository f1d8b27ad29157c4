"""Funds and calls for projects: what the fund manager creates, edits, opens and closes.

A call moves draft → open → closed → in_review → decided. Once open, its rules may only
change in ways that cannot hurt an applicant who already started: a later closing time, a
wider territory, more sectors or kinds, a lower share of other funding, a higher maximum
award, fewer required documents, and any change of text.

Use cases take a session (and `now` where time matters), validate and write; the caller's unit
of work commits. A refusal raises `Refusal` before anything is written.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.grants.config import SERVICE
from services.grants.eligibility import CallRules
from services.grants.models import Call, Fund
from shared.core.outbox import publish
from shared.core.refusal import Refusal

# Number of grants a fund aims at: fewer the first year, while the process beds in.
FIRST_YEAR_GRANTS_OBJECTIVE = 5
LATER_YEARS_GRANTS_OBJECTIVE = 10

TEXT_FIELDS = ("title_fr", "title_en", "description_fr", "description_en")
# Which status a call may move to, from which.
TRANSITIONS = {"open": "draft", "closed": "open", "in_review": "closed", "decided": "in_review"}
NEXT_STATUS = {before: after for after, before in TRANSITIONS.items()}
TRANSITION_REFUSED = {
    "open": "Only a draft call can open.",
    "closed": "Only an open call can close.",
    "in_review": "Only a closed call can go to review.",
    "decided": "Only a call in review can be decided.",
}


# --- Funds -----------------------------------------------------------------------------------


def default_grants_objective(session: Session, name: str, year: int) -> int:
    earlier = session.scalar(select(Fund.id).where(Fund.name == name, Fund.year < year).limit(1))
    return LATER_YEARS_GRANTS_OBJECTIVE if earlier else FIRST_YEAR_GRANTS_OBJECTIVE


def create_fund(
    session: Session, *, name: str, year: int, envelope_cents: int, grants_objective: int | None = None
) -> Fund:
    name = name.strip()
    if session.scalar(select(Fund.id).where(Fund.name == name, Fund.year == year)):
        raise Refusal.about("year", 409, "A fund with this name already exists for this year.")
    if grants_objective is None:
        grants_objective = default_grants_objective(session, name, year)
    fund = Fund(name=name, year=year, envelope_cents=envelope_cents, grants_objective=grants_objective)
    session.add(fund)
    session.flush()
    return fund


def list_funds(session: Session) -> list[Fund]:
    return list(
        session.scalars(select(Fund).options(selectinload(Fund.calls)).order_by(Fund.year.desc(), Fund.name))
    )


def get_fund(session: Session, fund_id: int) -> Fund:
    fund = session.get(Fund, fund_id)
    if fund is None:
        raise Refusal.not_found("There is no such fund.")
    return fund


# --- Reading calls ---------------------------------------------------------------------------


def accepts_applications(call: Call, now: datetime) -> bool:
    """Whether an applicant may start, edit or submit an application to this call now.

    A call past its closing time is closed for applicants whatever its stored status, so
    nobody depends on the fund manager pressing "close" on time.
    """
    return call.status == "open" and call.opens_at <= now < call.closes_at


def effective_status(call: Call, now: datetime) -> str:
    """The status people see: an open call past its closing time shows as closed."""
    if call.status == "open" and now >= call.closes_at:
        return "closed"
    return call.status


def call_rules(call: Call) -> CallRules:
    """The call's eligibility rules, as `eligibility.failing_rules` reads them."""
    return CallRules(
        postal_codes=tuple(call.postal_codes or ()),
        sectors=tuple(call.sectors or ()),
        organisation_kinds=tuple(call.organisation_kinds or ()),
        min_other_funding_share_percent=call.min_other_funding_share_percent,
        max_award_cents=call.max_award_cents,
        required_documents=tuple(document["code"] for document in call.required_documents or ()),
    )


def get_call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise Refusal.not_found("There is no such call.")
    return call


def get_public_call(session: Session, call_id: int) -> Call:
    """A call as anyone may read it: drafts are the fund manager's own and do not exist outside."""
    call = session.get(Call, call_id)
    if call is None or call.status == "draft":
        raise Refusal.not_found("There is no such call.")
    return call


def list_calls(session: Session, status: str | None = None) -> list[Call]:
    query = select(Call).order_by(Call.opens_at.desc(), Call.id.desc())
    if status is not None:
        query = query.where(Call.status == status)
    return list(session.scalars(query))


def open_calls(session: Session, now: datetime) -> list[Call]:
    """Calls that are open and not yet past their closing time, soonest deadline first
    (including those opened by the fund manager whose opening time is still ahead)."""
    return [call for call in session.scalars(_OPEN_CALLS) if now < call.closes_at]


def next_opening_or_closing(found: list[Call], now: datetime) -> datetime:
    """The next time one of these calls opens or closes: until then, nothing that `open_calls`
    or a call's page shows of them changes with the clock alone."""
    return min([moment for call in found for moment in (call.opens_at, call.closes_at) if moment > now],
               default=now + timedelta(days=1))


# Built once: building the statement and its cache key on every public read cost more than the
# query (issue 15).
_OPEN_CALLS = select(Call).where(Call.status == "open").order_by(Call.closes_at, Call.id)


# --- Writing calls ---------------------------------------------------------------------------


def create_call(session: Session, data: dict) -> Call:
    """A new call, in draft; `data` is validated by CallInputSchema."""
    fund = session.get(Fund, data["fund_id"])
    if fund is None:
        raise Refusal.invalid("fund_id", "There is no such fund.")
    _ensure_within_envelope(fund, data["max_award_cents"])
    call = Call(status="draft", **data)
    session.add(call)
    session.flush()
    return call


def _ensure_within_envelope(fund: Fund, max_award_cents: int) -> None:
    # One award can never be larger than the whole fund it is paid from.
    if max_award_cents > fund.envelope_cents:
        raise Refusal.invalid("max_award_cents", "The maximum award is above the fund's envelope.")


def update_call(session: Session, call_id: int, changes: dict) -> Call:
    """Change some fields of a call; `changes` is validated by CallInputSchema(partial=True)."""
    call = get_call(session, call_id)
    fund = session.get(Fund, changes["fund_id"]) if "fund_id" in changes else call.fund
    if fund is None:
        raise Refusal.invalid("fund_id", "There is no such fund.")
    opens_at = changes.get("opens_at", call.opens_at)
    closes_at = changes.get("closes_at", call.closes_at)
    if closes_at <= opens_at:
        raise Refusal.invalid("closes_at", "The call must close after it opens.")
    _ensure_within_envelope(fund, changes.get("max_award_cents", call.max_award_cents))
    if call.status == "open":
        errors = _harm_to_applicants(call, changes)
        if errors:
            raise Refusal(409, "This call is open: these changes could hurt applicants who already started.", errors)
    elif call.status != "draft":
        errors = {
            field: ["Only the texts of a call can change once it is closed."]
            for field, value in changes.items()
            if field not in TEXT_FIELDS and _differs(call, field, value)
        }
        if errors:
            raise Refusal(409, "Only the texts of a call can change once it is closed.", errors)
    # Applicants may have a reminder scheduled from the old closing time (only an open call has
    # applicants, and it may only close later).
    extended = call.status == "open" and "closes_at" in changes and changes["closes_at"] > call.closes_at
    for field, value in changes.items():
        setattr(call, field, value)
    if extended:
        publish(session, SERVICE, "call.closing_extended", 1,
                {"call_id": call.id, "call_title": call.title("fr"), "closes_at": call.closes_at})
    return call


def _differs(call: Call, field: str, value) -> bool:
    return getattr(call, field) != value


def _widens(current: list, new: list) -> bool:
    """Whether a restriction list (empty: no restriction) lets in at least everyone it did."""
    if not new:
        return True
    return bool(current) and set(current) <= set(new)


def _harm_to_applicants(call: Call, changes: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if "fund_id" in changes and changes["fund_id"] != call.fund_id:
        refuse("fund_id", "An open call cannot move to another fund.")
    if "opens_at" in changes and changes["opens_at"] > call.opens_at:
        refuse("opens_at", "An open call cannot open later.")
    if "closes_at" in changes and changes["closes_at"] < call.closes_at:
        refuse("closes_at", "An open call cannot close earlier; it may close later.")
    if "max_award_cents" in changes and changes["max_award_cents"] < call.max_award_cents:
        refuse("max_award_cents", "An open call's maximum award cannot go down.")
    if "min_other_funding_share_percent" in changes and (
        changes["min_other_funding_share_percent"] > call.min_other_funding_share_percent
    ):
        refuse("min_other_funding_share_percent", "An open call cannot ask for a higher share of other funding.")
    if "postal_codes" in changes and not _widens(call.postal_codes, changes["postal_codes"]):
        refuse("postal_codes", "An open call's territory can grow but not shrink.")
    if "sectors" in changes and not _widens(call.sectors, changes["sectors"]):
        refuse("sectors", "An open call may accept more sectors, not fewer.")
    if "organisation_kinds" in changes and not _widens(call.organisation_kinds, changes["organisation_kinds"]):
        refuse("organisation_kinds", "An open call may accept more kinds of applicant, not fewer.")
    if "required_documents" in changes:
        before = {document["code"] for document in call.required_documents}
        if {document["code"] for document in changes["required_documents"]} - before:
            refuse("required_documents", "An open call cannot require more documents.")
    if "scoring_grid" in changes and changes["scoring_grid"] != call.scoring_grid:
        refuse("scoring_grid", "The scoring grid was published with the call; it cannot change once the call is open.")
    return errors


def opening_problems(call: Call, now: datetime) -> dict[str, list[str]]:
    """What keeps a draft from opening, per field (empty when it is complete)."""
    errors: dict[str, list[str]] = {}
    if call.closes_at <= call.opens_at:
        errors["closes_at"] = ["The call must close after it opens."]
    elif call.closes_at <= now:
        errors["closes_at"] = ["The closing time is already past."]
    if call.max_award_cents <= 0:
        errors["max_award_cents"] = ["Set a maximum award above zero."]
    elif call.max_award_cents > call.fund.envelope_cents:
        errors["max_award_cents"] = ["The maximum award is above the fund's envelope."]
    if not any(criterion["weight"] > 0 for criterion in call.scoring_grid):
        errors["scoring_grid"] = ["The scoring grid needs at least one criterion with a weight above zero."]
    elif any(not criterion["levels"] for criterion in call.scoring_grid):
        errors["scoring_grid"] = ["Describe at least one level for each criterion."]
    return errors


def move_call(session: Session, call_id: int, status: str, now: datetime) -> Call:
    """Move a call to its next status: open, closed, in_review, decided."""
    call = get_call(session, call_id)
    required = TRANSITIONS.get(status)
    if required is None:
        raise Refusal.invalid("status", "Unknown status.")
    if call.status != required:
        raise Refusal.about("status", 409, TRANSITION_REFUSED[status])
    if status == "open":
        errors = opening_problems(call, now)
        if errors:
            raise Refusal(409, "This call cannot open yet: complete it first.", errors)
    if status == "closed" and now < call.closes_at:
        # Closing before the announced time would shut out applicants who are still writing.
        raise Refusal.about("status", 409, "This call cannot close before its closing time.")
    call.status = status
    return call


def next_status(call: Call) -> str | None:
    """Where the fund manager can move this call next (None once decided)."""
    return NEXT_STATUS.get(call.status)


def open_call(session: Session, call_id: int, now: datetime) -> Call:
    return move_call(session, call_id, "open", now)


def close_call(session: Session, call_id: int, now: datetime) -> Call:
    return move_call(session, call_id, "closed", now)


def start_review(session: Session, call_id: int, now: datetime) -> Call:
    return move_call(session, call_id, "in_review", now)


def mark_decided(session: Session, call_id: int, now: datetime) -> Call:
    return move_call(session, call_id, "decided", now)
