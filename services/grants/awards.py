"""Awards within the envelope, the call's decision, the agreement, tranches, reports, payments
and repayments.

Use cases take a session (and `now`), check, write and publish their events in the caller's
unit of work; they raise `Refusal` before anything is written when they refuse.

**The envelope.** A fund's committed amount is what its awards hold: an award granted or
accepted holds its amount; a cancelled one what it paid and did not get back; a declined one
nothing (`committed_cents`, the sum of `COMMITMENTS`: issue 13's matching pots join the list).
Whatever can raise it locks the fund's row first (`lock_fund`, SELECT ... FOR UPDATE), in the
same unit of work as the award it writes: two managers granting at once are judged in turn,
the second counting the first's award. On SQLite (`make run`) every transaction takes the
database's write lock when it begins, which serialises them the same way. Locks are taken in
one order, the call's row, then the fund's, then the award's, so that none waits on another in
a circle.

**One effect per request.** An application has at most one award (a unique key): a grant sent
again with the same terms answers the award it made, with other terms it is refused. A payment
is keyed by its tranche and its bank reference: recorded again, it is the same payment. A call
decided again answers its decision and writes nothing.

**Who is told what, and when.** Awards granted while the call is in review are provisional:
nobody outside the fund manager sees them. The decision records every submitted application's
outcome and writes, in the same transaction, `award.granted` for each award and
`application.not_selected` for the others (with the jury's anonymised comments when the fund
manager releases them). After the decision, an award granted, changed or cancelled is
announced at once.
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.grants import applications, calls, documents, jury, sepa
from services.grants.bank_details import bank_details_errors, mask_iban, read_bank_details
from services.grants.config import SERVICE, treasury
from services.grants.models import (
    ACTIVE_AWARD_STATUSES,
    Account,
    Application,
    Award,
    AwardLogEntry,
    AwardReport,
    AwardTranche,
    Call,
    Fund,
    Match,
    MatchPayout,
    MatchPot,
    Outcome,
    Payment,
    Repayment,
    TranchePlanRow,
)
from shared.core.organisations import SECTOR_LABELS
from services.grants.review import CSV_DELIMITER, digits_as_text, euros, neutralise
from services.grants.tranches import (
    ACCEPTANCE,
    DEFAULT_PLAN,
    FINAL_REPORT,
    INTERIM_REPORT,
    Tranche,
    TranchePlan,
    plan_failures,
    split_award,
)
from shared.core.clock import to_paris
from shared.core.config import service_public_url
from shared.core.money import Money
from shared.core.outbox import publish
from shared.core.refusal import INVALID, Refusal

# The version of the agreement's terms an applicant accepts (the page shows them).
TERMS_VERSION = "2026-1"
NO_AWARD = "There is no such award."
NO_TRANCHE = "There is no such tranche."


# --- The envelope ---------------------------------------------------------------------------------


def lock_fund(session: Session, fund_id: int) -> Fund:
    """The fund's row, locked until the unit of work ends (see the module's docstring); taken by
    every change that can raise what the fund has committed."""
    fund = session.scalar(select(Fund).where(Fund.id == fund_id).with_for_update()
                          .execution_options(populate_existing=True))
    if fund is None:
        raise Refusal.not_found("There is no such fund.")
    return fund


def _lock_call(session: Session, call_id: int) -> Call:
    call = session.scalar(select(Call).where(Call.id == call_id).with_for_update()
                          .execution_options(populate_existing=True))
    if call is None:
        raise Refusal.not_found("There is no such call.")
    return call


def _lock_award(session: Session, award_id: int) -> Award | None:
    return session.scalar(select(Award).where(Award.id == award_id).with_for_update()
                          .execution_options(populate_existing=True))


def awards_committed(session: Session, fund_id: int) -> int:
    """What the fund's awards hold: the amounts of those granted or accepted, and what the
    cancelled ones paid and did not get back."""
    held = session.scalar(select(func.coalesce(func.sum(Award.amount_cents), 0)).where(
        Award.fund_id == fund_id, Award.status.in_(ACTIVE_AWARD_STATUSES)))
    paid = session.scalar(select(func.coalesce(func.sum(Payment.amount_cents), 0)).join(
        Award, Award.id == Payment.award_id).where(Award.fund_id == fund_id, Award.status == "cancelled"))
    back = session.scalar(select(func.coalesce(func.sum(Repayment.amount_cents), 0)).join(
        Award, Award.id == Repayment.award_id).where(Award.fund_id == fund_id, Repayment.received_on.is_not(None)))
    return int(held) + int(paid) - int(back)


def pots_committed(session: Session, fund_id: int) -> int:
    """What the fund's matching pots hold: each its whole amount, from the moment it is set aside
    (a closed pot has been brought down to what its matches hold; see matchfunding.py)."""
    return int(session.scalar(select(func.coalesce(func.sum(MatchPot.amount_cents), 0)).where(
        MatchPot.fund_id == fund_id)))


# Everything that counts against a fund's envelope, each a function of (session, fund id) giving
# cents. The matching pots (issue 13) take `lock_fund` before they grow.
COMMITMENTS: list[Callable[[Session, int], int]] = [awards_committed, pots_committed]


def committed_cents(session: Session, fund_id: int) -> int:
    return sum(commitment(session, fund_id) for commitment in COMMITMENTS)


def remaining_cents(session: Session, fund: Fund) -> int:
    return fund.envelope_cents - committed_cents(session, fund.id)


# --- Reading ------------------------------------------------------------------------------------------


def get_award(session: Session, award_id: int) -> Award:
    award = session.get(Award, award_id)
    if award is None:
        raise Refusal.not_found(NO_AWARD)
    return award


def award_of(session: Session, application_id: int) -> Award | None:
    return session.scalar(select(Award).where(Award.application_id == application_id))


def is_announced(award: Award) -> bool:
    return award.revision > 0


def organisation_of(application: Application) -> dict:
    return dict((application.snapshot or {}).get("organisation") or {})


def requested_cents_of(application: Application) -> int:
    return (application.snapshot or {}).get("requested_cents") or application.requested_cents or 0


def project_title_of(application: Application) -> str:
    return (application.snapshot or {}).get("project_title") or application.project_title or ""


def paid_cents(award: Award) -> int:
    return sum(payment.amount_cents for payment in award.payments)


def repayable_cents(award: Award) -> int:
    """What a cancelled award paid and is not yet claimed back."""
    return paid_cents(award) - sum(repayment.amount_cents for repayment in award.repayments)


def to_pay_back_cents(award: Award) -> int:
    """Claimed back and not received yet."""
    return sum(r.amount_cents for r in award.repayments if r.received_on is None)


def can_change(award: Award) -> bool:
    return award.status == "granted"


def can_cancel(award: Award) -> bool:
    return award.status in ACTIVE_AWARD_STATUSES


# --- The call's tranche plan ------------------------------------------------------------------------


def call_plan(session: Session, call_id: int) -> TranchePlan:
    """The call's plan: the fund manager's, or by default 70 % at acceptance and 30 % on the final
    report."""
    row = session.get(TranchePlanRow, call_id)
    if row is None:
        return DEFAULT_PLAN
    return TranchePlan(tuple(Tranche(item["share_bp"], item["due"]) for item in row.tranches))


def plan_refusal(tranches: list[Tranche]) -> Refusal | None:
    """The plan's failures as a refusal naming each tranche (`tranches.<position>`, from 0) or
    the plan (`tranches`)."""
    failures = plan_failures(tranches)
    if not failures:
        return None
    errors: dict[str, list[str]] = {}
    values: dict = {}
    for failure in failures:
        key = "tranches" if failure.position is None else f"tranches.{failure.position}"
        errors.setdefault(key, []).append(failure.template)
        values.update(dict(failure.values))
    return Refusal(422, "This tranche plan cannot be used; see errors.", errors, values=values)


def set_call_plan(session: Session, call_id: int, tranches: list[Tranche], now: datetime, actor_id: int) -> TranchePlan:
    """The fund manager's plan for the call, until it is decided (the award letters give it); the
    awards already granted follow it."""
    call = _lock_call(session, call_id)
    if call.status == "decided":
        raise Refusal(409, "This call is decided: its tranche plan was in the award letters and cannot change.")
    refusal = plan_refusal(tranches)
    if refusal is not None:
        raise refusal
    plan = TranchePlan(tuple(tranches))
    row = session.get(TranchePlanRow, call_id)
    if row is None:
        row = TranchePlanRow(call_id=call_id)
        session.add(row)
    row.tranches = [{"share_bp": tranche.share_bp, "due": tranche.due} for tranche in plan.tranches]
    row.updated_at, row.updated_by = now, actor_id
    for award in session.scalars(select(Award).where(Award.call_id == call_id, Award.status == "granted")):
        _split(award, plan)
    _log(session, call_id, now, actor_id, "plan_changed", details={"tranches": row.tranches})
    return plan


def _split(award: Award, plan: TranchePlan) -> None:
    """The award's tranches, made again from its amount and the plan (nothing is due before
    the agreement)."""
    amounts = split_award(plan, award.amount_cents)
    # Rows kept by their number (a new row beside an old one of the same number would meet the
    # unique key before the old one is deleted).
    existing = {tranche.number: tranche for tranche in award.tranches}
    for amount in amounts:
        tranche = existing.get(amount.number)
        if tranche is None:
            tranche = AwardTranche(number=amount.number)
            award.tranches.append(tranche)
        tranche.due, tranche.share_bp, tranche.amount_cents = amount.due, amount.share_bp, amount.cents
        tranche.status, tranche.due_at = "planned", None
    for tranche in [tranche for tranche in award.tranches if tranche.number > len(amounts)]:
        award.tranches.remove(tranche)


# --- Granting, changing, cancelling -------------------------------------------------------------------


@dataclass(frozen=True)
class Granted:
    award: Award
    created: bool  # False: the same grant was already made (a retried request)


def _check_amount(session: Session, fund: Fund, call: Call, application: Application, amount: int,
                  freed: int = 0) -> None:
    """An award's amount: above zero, at most the amount requested and the call's maximum, and
    within what the envelope has left (409, with how much is left)."""
    if amount <= 0:
        raise Refusal.invalid("amount_cents", "An award must be above zero.")
    requested = requested_cents_of(application)
    if amount > requested:
        raise Refusal.invalid("amount_cents", "An award is at most the amount requested: %(requested)s.",
                              requested=Money(requested))
    if amount > call.max_award_cents:
        raise Refusal.invalid("amount_cents", "An award is at most the call's maximum: %(maximum)s.",
                              maximum=Money(call.max_award_cents))
    left = remaining_cents(session, fund) + freed
    if amount > left:
        refusal = Refusal.about("amount_cents", 409, "This award would take the fund past its envelope: %(left)s left.",
                                left=Money(max(left, 0)))
        refusal.details["left_cents"] = max(left, 0)
        raise refusal


def _clean(text: str | None) -> str:
    return (text or "").strip()


def grant_award(session: Session, application_id: int, data: dict, now: datetime, actor_id: int) -> Granted:
    """Grant an award to a submitted application of a call in review (or decided: the applicant
    is told at once). `data`: amount_cents, conditions_fr, conditions_en."""
    application = session.get(Application, application_id)
    if application is None:
        raise Refusal.not_found("There is no such application.")
    call = _lock_call(session, application.call_id)
    fund = lock_fund(session, call.fund_id)
    conditions_fr, conditions_en = _clean(data.get("conditions_fr")), _clean(data.get("conditions_en")) or None
    existing = award_of(session, application_id)
    if existing is not None:
        same = (existing.amount_cents, existing.conditions_fr, existing.conditions_en) == (
            data["amount_cents"], conditions_fr, conditions_en)
        if same and existing.status in ACTIVE_AWARD_STATUSES:
            return Granted(existing, created=False)
        raise Refusal(409, "This application already has an award: change it instead.",
                      {"application_id": ["This application already has an award."]}, details={"award_id": existing.id})
    if call.status not in ("in_review", "decided"):
        raise Refusal(409, "Awards are granted once the call is in review.")
    if application.status != "submitted":
        raise Refusal(409, "Only a submitted application can get an award.")
    _check_amount(session, fund, call, application, data["amount_cents"])
    award = Award(application_id=application.id, call_id=call.id, fund_id=fund.id, account_id=application.account_id,
                  amount_cents=data["amount_cents"], conditions_fr=conditions_fr, conditions_en=conditions_en,
                  status="granted", revision=0, granted_at=now, granted_by=actor_id, updated_at=now)
    _split(award, call_plan(session, call.id))
    session.add(award)
    session.flush()
    _log(session, call.id, now, actor_id, "award_granted", award_id=award.id,
         details={"application_id": application.id, "amount_cents": award.amount_cents})
    if call.status == "decided":
        _announce(session, award, now)
    return Granted(award, created=True)


def change_award(session: Session, award_id: int, changes: dict, reason: str, now: datetime, actor_id: int) -> Award:
    """Change an award's amount or conditions, with a reason, until the applicant accepts it. A
    change the applicant was told of is announced again."""
    award = get_award(session, award_id)
    call = _lock_call(session, award.call_id)
    fund = lock_fund(session, award.fund_id)
    award = _lock_award(session, award_id)
    if award.status != "granted":
        raise Refusal(409, _NO_CHANGE[award.status])
    reason = _clean(reason)
    if not reason:
        raise Refusal.invalid("reason", "Say why the award changes.")
    before = {"amount_cents": award.amount_cents, "conditions_fr": award.conditions_fr,
              "conditions_en": award.conditions_en}
    if "amount_cents" in changes:
        _check_amount(session, fund, call, award.application, changes["amount_cents"], freed=award.amount_cents)
        award.amount_cents = changes["amount_cents"]
    if "conditions_fr" in changes:
        award.conditions_fr = _clean(changes["conditions_fr"])
    if "conditions_en" in changes:
        award.conditions_en = _clean(changes["conditions_en"]) or None
    after = {"amount_cents": award.amount_cents, "conditions_fr": award.conditions_fr,
             "conditions_en": award.conditions_en}
    if after == before:
        return award
    award.updated_at = now
    _split(award, call_plan(session, call.id))
    _log(session, call.id, now, actor_id, "award_changed", award_id=award.id, reason=reason,
         details={"before": before, "after": after})
    session.flush()
    if is_announced(award):
        _announce(session, award, now)
    return award


_NO_CHANGE = {
    "accepted": "The applicant accepted this award: it can no longer change.",
    "declined": "The applicant declined this award: it can no longer change.",
    "cancelled": "This award is cancelled: it can no longer change.",
}


def cancel_award(session: Session, award_id: int, reason: str, now: datetime, actor_id: int) -> Award:
    """Cancel an award, with a reason. Its amount goes back to the envelope, but for what was
    paid: that stays paid, and the fund manager records what is to be paid back."""
    award = get_award(session, award_id)
    _lock_call(session, award.call_id)
    lock_fund(session, award.fund_id)
    award = _lock_award(session, award_id)
    if award.status == "cancelled":
        raise Refusal(409, "This award is already cancelled.")
    if award.status == "declined":
        raise Refusal(409, "The applicant declined this award: there is nothing to cancel.")
    reason = _clean(reason)
    if not reason:
        raise Refusal.invalid("reason", "Say why the award is cancelled.")
    _end(award)
    award.status, award.cancelled_at, award.cancelled_by, award.cancel_reason = "cancelled", now, actor_id, reason
    award.updated_at = now
    _log(session, award.call_id, now, actor_id, "award_cancelled", award_id=award.id, reason=reason,
         details={"amount_cents": award.amount_cents, "paid_cents": paid_cents(award)})
    if is_announced(award):
        publish(session, SERVICE, "award.cancelled", 1, {
            **_facts(session, award), "cancelled_at": now, "reason": reason, "paid_cents": paid_cents(award)})
    return award


def _end(award: Award) -> None:
    """Tranches not paid in full are not paid any more."""
    for tranche in award.tranches:
        if tranche.status in ("planned", "due"):
            tranche.status = "cancelled"


# --- The decision -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    call: Call
    outcomes: tuple[Outcome, ...]
    missing_reviews: int
    replayed: bool  # the call was decided already: nothing was written


def outcomes_of_call(session: Session, call_id: int) -> tuple[Outcome, ...]:
    return tuple(session.scalars(select(Outcome).where(Outcome.call_id == call_id).order_by(Outcome.application_id)))


def decide(session: Session, call_id: int, now: datetime, actor_id: int, *, with_reviews_missing: bool = False,
           release_comments: bool = False, reason: str | None = None) -> Decision:
    """Decide the call: every submitted application is awarded (it has an award) or not
    selected, each outcome's event written with it. Refused while reviews are missing, unless
    the fund manager says so (`with_reviews_missing`): then it is logged, with how many."""
    call = _lock_call(session, call_id)
    if call.status == "decided":
        return Decision(call, outcomes_of_call(session, call_id), 0, replayed=True)
    if call.status != "in_review":
        raise Refusal.about("status", 409, calls.TRANSITION_REFUSED["decided"])
    missing = reviews_missing(session, call_id)
    if missing and not with_reviews_missing:
        raise Refusal(
            409, "The jury has not finished: reviews are still missing (%(missing)s). Decide once it is done, "
                 "or say that you decide with reviews missing.",
            {"with_reviews_missing": ["Reviews are still missing."]},
            values={"missing": missing}, details={"missing_reviews": missing})
    awards = {award.application_id: award for award in session.scalars(select(Award).where(Award.call_id == call_id))}
    submitted = list(session.scalars(select(Application).where(
        Application.call_id == call_id, Application.status == "submitted").order_by(Application.id)))
    submitted_ids = {application.id for application in submitted}
    for award in awards.values():
        if award.application_id not in submitted_ids and award.status in ACTIVE_AWARD_STATUSES:
            # Withdrawn after the award was granted: never announced, it ends here.
            _end(award)
            award.status, award.cancelled_at, award.cancelled_by = "cancelled", now, actor_id
            award.cancel_reason = "The application was withdrawn before the decision."
            _log(session, call_id, now, actor_id, "award_cancelled", award_id=award.id, reason=award.cancel_reason)
    outcomes = []
    for application in submitted:
        award = awards.get(application.id)
        awarded = award is not None and award.status in ACTIVE_AWARD_STATUSES
        outcome = Outcome(application_id=application.id, call_id=call_id, decided_at=now,
                          outcome="awarded" if awarded else "not_selected", award_id=award.id if awarded else None,
                          comments_released=release_comments and not awarded)
        session.add(outcome)
        outcomes.append(outcome)
    session.flush()
    for application, outcome in zip(submitted, outcomes):
        if outcome.outcome == "awarded":
            _announce(session, awards[application.id], now)
        else:
            _publish_not_selected(session, application, outcome, now)
    details = {"awarded": sum(o.outcome == "awarded" for o in outcomes),
               "not_selected": sum(o.outcome == "not_selected" for o in outcomes),
               "comments_released": release_comments, "missing_reviews": missing}
    _log(session, call_id, now, actor_id, "call_decided", reason=_clean(reason), details=details)
    if missing:
        _log(session, call_id, now, actor_id, "decided_with_reviews_missing", reason=_clean(reason),
             details={"missing_reviews": missing})
    calls.move_call(session, call_id, "decided", now)
    return Decision(call, tuple(outcomes), missing, replayed=False)


def reviews_missing(session: Session, call_id: int) -> int:
    """Reviews assigned and not submitted, and one for each submitted application no juror was
    given: what keeps the jury from being done."""
    return jury.missing_reviews(session, call_id) + jury.unassigned_applications(session, call_id)


def move_call(session: Session, call_id: int, status: str, now: datetime, actor_id: int) -> Call:
    """A call moved on by its status (`POST /api/calls/<id>/status`): to `decided`, that is the
    decision, with its defaults (no review may be missing, the jury's comments are kept)."""
    if status == "decided":
        return decide(session, call_id, now, actor_id).call
    return calls.move_call(session, call_id, status, now)


def _announce(session: Session, award: Award, now: datetime) -> None:
    """Tell the applicant of their award (again, after a change): `award.granted`."""
    award.revision += 1
    award.announced_at = award.announced_at or now
    outcome = session.get(Outcome, award.application_id)
    if outcome is None:
        session.add(Outcome(application_id=award.application_id, call_id=award.call_id, outcome="awarded",
                            award_id=award.id, decided_at=now, comments_released=False))
    elif outcome.outcome != "awarded" or outcome.award_id != award.id:
        outcome.outcome, outcome.award_id = "awarded", award.id
    language = award.account.language
    publish(session, SERVICE, "award.granted", 1, {
        **_facts(session, award), "revision": award.revision, "conditions": award.conditions(language),
        "tranches": _tranche_facts(award)})


def _publish_not_selected(session: Session, application: Application, outcome: Outcome, now: datetime) -> None:
    account = session.get(Account, application.account_id)
    comments = jury_comments_for(session, application.id, account.language) if outcome.comments_released else None
    publish(session, SERVICE, "application.not_selected", 1, {
        **_recipient(account), "application_id": application.id, "receipt_number": application.receipt_number,
        "call_id": application.call_id, "fund_id": application.call.fund_id, "fund_year": application.call.fund.year,
        "call_title": application.call.title(account.language), "project_title": project_title_of(application),
        "organisation": _organisation_facts(application), "requested_cents": requested_cents_of(application),
        "decided_at": now, "decision_url": decision_url(application.id),
        "jury_comments": comments["criteria"] if comments else None,
        "overall_comments": comments["overall"] if comments else None,
    })


def jury_comments_for(session: Session, application_id: int, language: str) -> dict:
    """The jury's comments on the application, anonymised (jury.anonymised_comments), each
    criterion named in the reader's language; criteria nobody commented on are left out."""
    comments = jury.anonymised_comments(session, application_id)
    return {
        "criteria": [
            {"criterion": (criterion.label_en if language == "en" and criterion.label_en else criterion.label_fr),
             "comments": list(criterion.comments)}
            for criterion in comments.criteria if criterion.comments
        ],
        "overall": list(comments.overall),
    }


# --- What the applicant sees ---------------------------------------------------------------------------


def _own_award(session: Session, account_id: int, award_id: int, lock: bool = False) -> Award:
    """The applicant's award once they were told of it; another's, or one still provisional, is
    answered as if it did not exist."""
    award = _lock_award(session, award_id) if lock else session.get(Award, award_id)
    if award is None or award.account_id != account_id or not is_announced(award):
        raise Refusal.not_found(NO_AWARD)
    return award


def own_award(session: Session, account_id: int, award_id: int) -> Award:
    return _own_award(session, account_id, award_id)


def own_awards(session: Session, account_id: int) -> list[Award]:
    return list(session.scalars(select(Award).where(Award.account_id == account_id, Award.revision > 0)
                                .order_by(Award.id.desc())))


@dataclass(frozen=True)
class ApplicantOutcome:
    """What an applicant learns of the decision on their application."""

    application: Application
    outcome: str  # pending, awarded, not_selected
    award: Award | None
    comments: dict | None  # the jury's comments, when released


def applicant_outcome(session: Session, account_id: int, application_id: int,
                      language: str | None = None) -> ApplicantOutcome:
    """The outcome of the applicant's own application; the jury's criteria named in `language`
    (by default the account's)."""
    application = applications.get_own_application(session, account_id, application_id)
    language = language or session.get(Account, account_id).language
    outcome = session.get(Outcome, application_id)
    if outcome is None:
        return ApplicantOutcome(application, "pending", None, None)
    award = session.get(Award, outcome.award_id) if outcome.award_id else None
    comments = jury_comments_for(session, application_id, language) if outcome.comments_released else None
    return ApplicantOutcome(application, outcome.outcome, award, comments)


def _agreement_problems(data: dict) -> dict[str, list[str]]:
    errors = bank_details_errors(data.get("iban"), data.get("bic"))
    if data.get("terms_accepted") is not True:
        errors["terms_accepted"] = ["Read the terms and accept them."]
    for name, message in (("signatory_name", "Name the person who signs for the organisation."),
                          ("signatory_role", "Give the signatory's role in the organisation.")):
        if not _clean(data.get(name)):
            errors[name] = [message]
    return errors


def accept_award(session: Session, account_id: int, award_id: int, data: dict, now: datetime) -> Award:
    """Accept the agreement: the terms read, the signatory named, the IBAN and BIC the grant is
    paid to. The first tranche, when due at acceptance, is due from now."""
    award = _own_award(session, account_id, award_id, lock=True)
    if award.status in ("declined", "cancelled"):
        raise Refusal(409, "This award was declined: it can no longer be accepted." if award.status == "declined"
                      else "This award is cancelled: it can no longer be accepted.")
    errors = _agreement_problems(data)
    if errors:
        raise Refusal(422, INVALID, errors)
    details = read_bank_details(data["iban"], data["bic"])
    signatory = (_clean(data["signatory_name"]), _clean(data["signatory_role"]))
    if award.status == "accepted":
        if (award.iban, award.bic, award.signatory_name, award.signatory_role) == (details.iban, details.bic, *signatory):
            return award  # the same acceptance, sent again
        raise Refusal(409, "You accepted this award already: write to the fund manager to change its details.")
    award.status, award.accepted_at, award.terms_version = "accepted", now, TERMS_VERSION
    award.signatory_name, award.signatory_role = signatory
    award.iban, award.bic = details.iban, details.bic
    award.updated_at = now
    _make_due(award, ACCEPTANCE, 1, now)
    publish(session, SERVICE, "award.accepted", 1, {
        **_facts(session, award), "accepted_at": now, "signatory_name": award.signatory_name,
        "signatory_role": award.signatory_role, "tranches": _tranche_facts(award)})
    return award


def decline_award(session: Session, account_id: int, award_id: int, reason: str | None, now: datetime) -> Award:
    """Decline the award: its amount goes back to the envelope."""
    award = _own_award(session, account_id, award_id, lock=True)
    if award.status == "declined":
        return award  # declined already: the same answer
    if award.status == "accepted":
        raise Refusal(409, "You accepted this award: write to the fund manager to give it up.")
    if award.status == "cancelled":
        raise Refusal(409, "This award is cancelled: there is nothing to decline.")
    award.status, award.declined_at, award.decline_reason = "declined", now, _clean(reason) or None
    award.updated_at = now
    _end(award)
    _log(session, award.call_id, now, account_id, "award_declined", award_id=award.id, reason=_clean(reason))
    publish(session, SERVICE, "award.declined", 1, {
        **_facts(session, award), "declined_at": now, "reason": award.decline_reason})
    return award


def _make_due(award: Award, due: str, number: int, now: datetime) -> AwardTranche | None:
    """The `number`-th tranche due on `due` becomes due, if it is still planned."""
    matching = [tranche for tranche in award.tranches if tranche.due == due]
    if len(matching) < number:
        return None
    tranche = matching[number - 1]
    if tranche.status == "planned":
        tranche.status, tranche.due_at = "due", now
    return tranche


# --- Reports --------------------------------------------------------------------------------------------


def upload_report(session: Session, account_id: int, award_id: int, kind: str, stream: BinaryIO,
                  filename: str | None, now: datetime, directory, max_bytes: int) -> AwardReport:
    """The applicant's interim or final report (PDF, checked as application documents are). The
    final report makes the last tranche due; the n-th interim report the n-th interim tranche.
    A final report sent again replaces the first one."""
    award = _own_award(session, account_id, award_id, lock=True)
    if award.status != "accepted":
        raise Refusal(409, "Reports are for an accepted award.")
    stored = applications.store_document(stream, directory, max_bytes)
    reports = [report for report in award.reports if report.kind == kind]
    if kind == "final" and reports:
        report = reports[0]
    else:
        report = AwardReport(award_id=award.id, kind=kind, number=len(reports) + 1)
        award.reports.append(report)
    report.filename = applications.clean_filename(filename)
    report.sha256, report.size, report.uploaded_at = stored.sha256, stored.size, now
    if kind == "final":
        _make_due(award, FINAL_REPORT, 1, now)
    else:
        _make_due(award, INTERIM_REPORT, report.number, now)
    award.updated_at = now
    session.flush()
    return report


def open_report(session: Session, account_id: int, roles, award_id: int, report_id: int,
                directory) -> tuple[AwardReport, BinaryIO]:
    """A report, for its applicant or a fund manager."""
    award = get_award(session, award_id) if "fund_manager" in roles else _own_award(session, account_id, award_id)
    report = next((report for report in award.reports if report.id == report_id), None)
    if report is None:
        raise Refusal.not_found("There is no such report.")
    return report, documents.open_stored(directory, report.sha256)


# --- Payments and repayments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedPayment:
    payment: Payment
    created: bool  # False: this payment was recorded already (the same bank reference)


def _today(now: datetime) -> date:
    return to_paris(now).date()


def record_payment(session: Session, tranche_id: int, data: dict, now: datetime, actor_id: int) -> RecordedPayment:
    """A payment against a due tranche: its date, amount and bank reference (its key: the same
    payment recorded twice is one). At most what is left to pay on the tranche."""
    tranche = session.get(AwardTranche, tranche_id)
    if tranche is None:
        raise Refusal.not_found(NO_TRANCHE)
    award = _lock_award(session, tranche.award_id)
    session.expire(tranche)  # read again under the award's lock: payments recorded meanwhile count
    reference = _clean(data["bank_reference"])
    existing = session.scalar(select(Payment).where(Payment.tranche_id == tranche_id,
                                                    Payment.bank_reference == reference))
    if existing is not None:
        if (existing.amount_cents, existing.paid_on) == (data["amount_cents"], data["paid_on"]):
            return RecordedPayment(existing, created=False)
        raise Refusal.about("bank_reference", 409,
                            "This bank reference is recorded on this tranche already, for another amount or date.")
    if award.status != "accepted":
        raise Refusal(409, "This award is cancelled: its tranches are no longer paid." if award.status == "cancelled"
                      else "Only an accepted award is paid.")
    if tranche.status == "planned":
        raise Refusal(409, _NOT_DUE[tranche.due])
    if tranche.status == "paid":
        raise Refusal(409, "This tranche is paid in full.")
    amount = data["amount_cents"]
    if amount <= 0:
        raise Refusal.invalid("amount_cents", "A payment must be above zero.")
    if amount > tranche.left_cents:
        raise Refusal.invalid("amount_cents", "At most %(left)s is left to pay on this tranche.",
                              left=Money(tranche.left_cents))
    if data["paid_on"] > _today(now):
        raise Refusal.invalid("paid_on", "A payment cannot be dated in the future.")
    if data["paid_on"] < _today(award.accepted_at):
        raise Refusal.invalid("paid_on", "A payment cannot be dated before the award was accepted.")
    # Through the relationships, which keep both collections right whether loaded or not.
    payment = Payment(award=award, tranche=tranche, paid_on=data["paid_on"], amount_cents=amount,
                      bank_reference=reference, recorded_at=now, recorded_by=actor_id)
    session.add(payment)
    session.flush()
    if tranche.left_cents == 0:
        tranche.status, tranche.paid_at = "paid", now
    publish(session, SERVICE, "tranche.paid", 1, {
        **_facts(session, award), "payment_id": payment.id, "tranche_number": tranche.number,
        "tranche_count": len(award.tranches), "due": tranche.due, "tranche_amount_cents": tranche.amount_cents,
        "payment_cents": amount, "paid_on": payment.paid_on, "bank_reference": reference,
        "tranche_paid": tranche.status == "paid", "award_paid_cents": paid_cents(award)})
    return RecordedPayment(payment, created=True)


_NOT_DUE = {
    ACCEPTANCE: "This tranche is due once the applicant accepts the award.",
    INTERIM_REPORT: "This tranche is due once the applicant sends the interim report.",
    FINAL_REPORT: "This tranche is due once the applicant sends the final report.",
}


def record_repayment(session: Session, award_id: int, data: dict, now: datetime, actor_id: int) -> Repayment:
    """What a cancelled award's firm is to pay back: at most what it was paid and not yet
    claimed back."""
    award = _lock_award(session, award_id)
    if award is None:
        raise Refusal.not_found(NO_AWARD)
    if award.status != "cancelled":
        raise Refusal(409, "Only a cancelled award's payments are paid back.")
    amount = data["amount_cents"]
    if amount <= 0:
        raise Refusal.invalid("amount_cents", "An amount to pay back must be above zero.")
    if amount > repayable_cents(award):
        raise Refusal.invalid("amount_cents", "At most %(left)s was paid and not yet claimed back.",
                              left=Money(repayable_cents(award)))
    reason = _clean(data.get("reason"))
    if not reason:
        raise Refusal.invalid("reason", "Say why this amount is paid back.")
    repayment = Repayment(award=award, amount_cents=amount, reason=reason, recorded_at=now, recorded_by=actor_id)
    session.add(repayment)
    _log(session, award.call_id, now, actor_id, "repayment_recorded", award_id=award.id, reason=reason,
         details={"amount_cents": amount})
    session.flush()
    return repayment


def record_repayment_received(session: Session, repayment_id: int, data: dict, now: datetime, actor_id: int) -> Repayment:
    """The money paid back came in: its date and bank reference (recorded again, the same)."""
    repayment = session.get(Repayment, repayment_id, with_for_update=True)
    if repayment is None:
        raise Refusal.not_found("There is no such repayment.")
    reference = _clean(data["bank_reference"])
    if repayment.received_on is not None:
        if (repayment.received_on, repayment.received_reference) == (data["received_on"], reference):
            return repayment
        raise Refusal(409, "This repayment is recorded as received already.")
    if data["received_on"] > _today(now):
        raise Refusal.invalid("received_on", "A repayment cannot be dated in the future.")
    repayment.received_on, repayment.received_reference = data["received_on"], reference
    _log(session, repayment.award.call_id, now, actor_id, "repayment_received", award_id=repayment.award_id,
         details={"repayment_id": repayment.id, "amount_cents": repayment.amount_cents})
    return repayment


# --- The SEPA file ---------------------------------------------------------------------------------------


def due_tranches(session: Session, fund_id: int) -> list[AwardTranche]:
    """The tranches of the fund's accepted awards that are due and not paid in full, in order."""
    return list(session.scalars(
        select(AwardTranche).join(Award, Award.id == AwardTranche.award_id)
        .where(Award.fund_id == fund_id, Award.status == "accepted", AwardTranche.status == "due")
        .order_by(AwardTranche.due_at, AwardTranche.id)))


def payment_file(session: Session, fund_id: int, execution_date: date, now: datetime,
                 schema: str = sepa.DEFAULT_SCHEMA) -> sepa.PaymentFile:
    """The pain.001 credit transfer file of the fund's tranches due, from the treasury's account
    (settings), to be executed on `execution_date`. Its message id is made of what it pays, so
    that the same tranches give the same file name."""
    calls.get_fund(session, fund_id)
    if execution_date < _today(now):
        raise Refusal.invalid("execution_date", "The execution date cannot be in the past.")
    tranches = due_tranches(session, fund_id)
    if not tranches:
        raise Refusal(409, "No tranche is due: there is nothing to pay.")
    try:
        debtor = sepa.Debtor(*treasury())
    except ValueError:
        raise Refusal(409, "The treasury's account in the settings (TREASURY_IBAN, TREASURY_BIC) is not valid.") from None
    transfers = [_transfer(tranche) for tranche in tranches]
    digest = hashlib.sha256(";".join(f"{t.end_to_end_id}:{t.amount_cents}" for t in transfers).encode()).hexdigest()
    message_id = f"TREMPLIN-{fund_id}-{execution_date:%Y%m%d}-{digest[:8].upper()}"
    return sepa.credit_transfer_file(debtor, execution_date, transfers, message_id=message_id, now=now, schema=schema)


def _transfer(tranche: AwardTranche) -> sepa.Transfer:
    award = tranche.award
    application = award.application
    return sepa.Transfer(
        creditor_name=organisation_of(application).get("legal_name") or award.account.name,
        iban=award.iban, bic=award.bic, amount_cents=tranche.left_cents,
        # One id per transfer: the tranche, and the how-many-th payment on it this is.
        end_to_end_id=f"TREMPLIN-T{tranche.id}-{len(tranche.payments) + 1}",
        remittance=f"Tremplin {application.receipt_number} tranche {tranche.number}/{len(award.tranches)} "
                   f"{application.call.title('fr')}",
    )


# --- What the fund manager reads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    """One submitted application on the decision page: its place in the ranking, its award."""

    application_id: int
    receipt_number: str
    project_title: str
    organisation: str
    requested_cents: int
    rank: int | None
    corrected_mean: object
    reviews_done: int
    reviews_assigned: int
    within_envelope: bool
    award: Award | None
    outcome: Outcome | None


@dataclass(frozen=True)
class Board:
    call: Call
    fund: Fund
    rows: tuple[BoardRow, ...]
    committed_cents: int
    remaining_cents: int
    missing_reviews: int
    reviews_complete: bool
    plan: TranchePlan
    log: tuple[AwardLogEntry, ...]


def decision_board(session: Session, call_id: int) -> Board:
    """The call's ranking beside its awards, the envelope's figures and what the decision needs."""
    ranked = jury.call_ranking(session, call_id)
    call = ranked.call
    awards = {award.application_id: award for award in session.scalars(select(Award).where(Award.call_id == call_id))}
    outcomes = {outcome.application_id: outcome for outcome in outcomes_of_call(session, call_id)}
    rows = tuple(
        BoardRow(row.application_id, *ranked.applications.get(row.application_id, ("", "", "")), row.requested_cents,
                 row.rank, row.corrected_mean, row.reviews_done, row.reviews_assigned, row.within_envelope,
                 awards.get(row.application_id), outcomes.get(row.application_id))
        for row in ranked.ranking.rows
    )
    committed = committed_cents(session, call.fund_id)
    log = tuple(session.scalars(select(AwardLogEntry).where(AwardLogEntry.call_id == call_id)
                                .order_by(AwardLogEntry.at.desc(), AwardLogEntry.id.desc())))
    missing = reviews_missing(session, call_id) if call.status != "decided" else 0
    return Board(call, call.fund, rows, committed, call.fund.envelope_cents - committed, missing, not missing,
                 call_plan(session, call_id), log)


def call_awards(session: Session, call_id: int) -> list[Award]:
    calls.get_call(session, call_id)
    return list(session.scalars(select(Award).where(Award.call_id == call_id).order_by(Award.id)))


def award_log(session: Session, award: Award) -> list[AwardLogEntry]:
    return list(session.scalars(select(AwardLogEntry).where(AwardLogEntry.award_id == award.id)
                                .order_by(AwardLogEntry.at.desc(), AwardLogEntry.id.desc())))


# --- The fund's figures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallFigures:
    call: Call
    received: int  # applications submitted (withdrawn afterwards included)
    eligible: int
    awarded: int  # awards granted or accepted
    requested_cents: int  # by the applications received
    awarded_cents: int
    paid_cents: int


@dataclass(frozen=True)
class FundFigures:
    fund: Fund
    committed_cents: int
    paid_cents: int  # every payment recorded
    repaid_cents: int  # paid back and received
    to_pay_back_cents: int  # claimed back, not received yet
    grants: int  # awards granted or accepted
    accepted: int
    calls: tuple[CallFigures, ...]
    # Matchfunding (issue 13): the pots set aside, what their matches hold reserved, and the payouts
    # to successful campaigns, committed then paid (the paid ones are in `paid_cents` too).
    pots_cents: int = 0
    match_reserved_cents: int = 0
    match_committed_cents: int = 0
    match_paid_cents: int = 0

    @property
    def envelope_cents(self) -> int:
        return self.fund.envelope_cents

    @property
    def remaining_cents(self) -> int:
        return self.fund.envelope_cents - self.committed_cents

    @property
    def objective(self) -> int:
        return self.fund.grants_objective

    @property
    def committed_percent(self) -> int:
        return min(100, self.committed_cents * 100 // self.fund.envelope_cents) if self.fund.envelope_cents else 0


def fund_figures(session: Session, fund_id: int) -> FundFigures:
    """The fund's year: its envelope, committed, paid and remaining; its grants against the
    year's objective; and per call, the applications received and eligible, the awards and the
    amounts."""
    fund = calls.get_fund(session, fund_id)
    awards = list(session.scalars(select(Award).where(Award.fund_id == fund_id)))
    paid_by_award = defaultdict(int)
    for award_id, amount in session.execute(select(Payment.award_id, Payment.amount_cents).join(
            Award, Award.id == Payment.award_id).where(Award.fund_id == fund_id)):
        paid_by_award[award_id] += amount
    repayments = list(session.scalars(select(Repayment).join(Award, Award.id == Repayment.award_id)
                                      .where(Award.fund_id == fund_id)))
    received = session.execute(
        select(Application.call_id, func.count(), func.coalesce(func.sum(
            func.coalesce(Application.snapshot["requested_cents"].as_integer(), Application.requested_cents)), 0))
        .join(Call, Call.id == Application.call_id)
        .where(Call.fund_id == fund_id, Application.submitted_at.is_not(None)).group_by(Application.call_id)).all()
    eligible = dict(session.execute(
        select(Application.call_id, func.count()).join(Call, Call.id == Application.call_id)
        .where(Call.fund_id == fund_id, Application.submitted_at.is_not(None), Application.eligible.is_(True))
        .group_by(Application.call_id)).all())
    received_by_call = {call_id: (count, int(requested)) for call_id, count, requested in received}
    per_call = []
    for call in fund.calls:
        active = [a for a in awards if a.call_id == call.id and a.status in ACTIVE_AWARD_STATUSES]
        count, requested = received_by_call.get(call.id, (0, 0))
        per_call.append(CallFigures(
            call, count, eligible.get(call.id, 0), len(active), requested, sum(a.amount_cents for a in active),
            sum(paid_by_award[a.id] for a in awards if a.call_id == call.id)))
    active = [a for a in awards if a.status in ACTIVE_AWARD_STATUSES]
    matching = _fund_matching(session, fund_id)
    return FundFigures(
        fund, committed_cents(session, fund_id), sum(paid_by_award.values()) + matching["paid"],
        sum(r.amount_cents for r in repayments if r.received_on is not None),
        sum(r.amount_cents for r in repayments if r.received_on is None),
        len(active), sum(a.status == "accepted" for a in active), tuple(per_call),
        pots_committed(session, fund_id), matching["reserved"], matching["committed"], matching["paid"])


def _fund_matching(session: Session, fund_id: int) -> dict[str, int]:
    """What the fund's matching pots hold reserved, and its payouts committed and paid."""
    reserved = session.scalar(select(func.coalesce(func.sum(Match.matched_cents), 0)).join(
        MatchPot, MatchPot.id == Match.pot_id).where(MatchPot.fund_id == fund_id, Match.status == "reserved"))
    payouts = dict(session.execute(select(MatchPayout.status, func.coalesce(func.sum(MatchPayout.amount_cents), 0))
                                   .where(MatchPayout.fund_id == fund_id).group_by(MatchPayout.status)).all())
    return {"reserved": int(reserved), "committed": int(payouts.get("committed", 0)), "paid": int(payouts.get("paid", 0))}


# --- Exports -------------------------------------------------------------------------------------------------

STATUS_LABELS = {
    "granted": {"fr": "Attribuée", "en": "Granted"},
    "accepted": {"fr": "Acceptée", "en": "Accepted"},
    "declined": {"fr": "Refusée par le bénéficiaire", "en": "Declined"},
    "cancelled": {"fr": "Annulée", "en": "Cancelled"},
}
DUE_LABELS = {
    ACCEPTANCE: {"fr": "à l'acceptation", "en": "at acceptance"},
    INTERIM_REPORT: {"fr": "au rapport intermédiaire", "en": "on the interim report"},
    FINAL_REPORT: {"fr": "au rapport final", "en": "on the final report"},
}


def _csv(header: list[str], rows: list[list], digit_columns: set[int]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([digits_as_text(cell) if index in digit_columns else neutralise(cell)
                         for index, cell in enumerate(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _day(moment: datetime | None) -> str:
    return to_paris(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def awards_csv(session: Session, fund_id: int, language: str = "fr") -> bytes:
    """The fund's awards, one row each, for French Excel (semicolons, decimal commas, a SIRET as
    text); the IBAN masked."""
    language = language if language in ("fr", "en") else "fr"
    fr = language == "fr"
    calls.get_fund(session, fund_id)
    header = [
        "N° aide" if fr else "Award no.", "Appel" if fr else "Call", "Récépissé" if fr else "Receipt",
        "Projet" if fr else "Project", "Structure" if fr else "Organisation", "SIREN/SIRET", "Secteur" if fr else "Sector",
        "Statut" if fr else "Status", "Montant (€)" if fr else "Amount (€)", "Versé (€)" if fr else "Paid (€)",
        "À rembourser (€)" if fr else "To pay back (€)",
        "Attribuée le (heure de Paris)" if fr else "Granted at (Paris time)",
        "Acceptée le (heure de Paris)" if fr else "Accepted at (Paris time)",
        "Signataire" if fr else "Signatory", "IBAN", "BIC", "Conditions",
        "Motif d'annulation" if fr else "Cancellation reason",
    ]
    rows = []
    for award in session.scalars(select(Award).where(Award.fund_id == fund_id).order_by(Award.id)):
        organisation = organisation_of(award.application)
        signatory = f"{award.signatory_name} ({award.signatory_role})" if award.signatory_name else ""
        rows.append([
            award.id, award.call.title(language), award.application.receipt_number, project_title_of(award.application),
            organisation.get("legal_name"), organisation.get("siret"),
            SECTOR_LABELS.get(organisation.get("sector"), {}).get(language, organisation.get("sector")),
            STATUS_LABELS[award.status][language], euros(award.amount_cents), euros(paid_cents(award)),
            euros(to_pay_back_cents(award)), _day(award.granted_at), _day(award.accepted_at), signatory,
            mask_iban(award.iban) if award.iban else "", award.bic or "", award.conditions(language),
            award.cancel_reason or "",
        ])
    return _csv(header, rows, {5})


def payments_csv(session: Session, fund_id: int, language: str = "fr") -> bytes:
    """The fund's payments, one row each, for French Excel; the IBAN masked."""
    language = language if language in ("fr", "en") else "fr"
    fr = language == "fr"
    calls.get_fund(session, fund_id)
    header = [
        "N° paiement" if fr else "Payment no.", "N° aide" if fr else "Award no.", "Récépissé" if fr else "Receipt",
        "Structure" if fr else "Organisation", "SIREN/SIRET", "Tranche", "Échéance" if fr else "Due",
        "Montant de la tranche (€)" if fr else "Tranche amount (€)", "Montant versé (€)" if fr else "Amount paid (€)",
        "Date du virement" if fr else "Paid on", "Référence bancaire" if fr else "Bank reference", "IBAN",
        "Enregistré le (heure de Paris)" if fr else "Recorded at (Paris time)",
    ]
    rows = []
    for payment in session.scalars(select(Payment).join(Award, Award.id == Payment.award_id)
                                   .where(Award.fund_id == fund_id).order_by(Payment.paid_on, Payment.id)):
        award, tranche = payment.award, payment.tranche
        organisation = organisation_of(award.application)
        rows.append([
            payment.id, award.id, award.application.receipt_number, organisation.get("legal_name"),
            organisation.get("siret"), f"{tranche.number}/{len(award.tranches)}", DUE_LABELS[tranche.due][language],
            euros(tranche.amount_cents), euros(payment.amount_cents), payment.paid_on.strftime("%d/%m/%Y"),
            payment.bank_reference, mask_iban(award.iban) if award.iban else "", _day(payment.recorded_at),
        ])
    return _csv(header, rows, {4})


# --- Events and links ---------------------------------------------------------------------------------------


def award_url(award_id: int) -> str:
    return f"{service_public_url(SERVICE)}/awards/{award_id}"


def decision_url(application_id: int) -> str:
    return f"{service_public_url(SERVICE)}/applications/{application_id}/decision"


def _recipient(account: Account) -> dict:
    return {"email": account.email, "name": account.name, "language": account.language}


def _organisation_facts(application: Application) -> dict:
    organisation = organisation_of(application)
    return {
        "siret": organisation.get("siret"), "siren": jury.siren_of(organisation.get("siret")),
        "rna": organisation.get("rna"), "legal_name": organisation.get("legal_name") or "",
        "kind": organisation.get("kind") or "", "sector": organisation.get("sector") or "",
        "postal_code": organisation.get("postal_code") or "", "city": organisation.get("city") or "",
        "created_on": organisation.get("created_on"),
    }


def _facts(session: Session, award: Award) -> dict:
    """What every award event says: who (the applicant and their organisation), which award,
    how much, since when."""
    account = session.get(Account, award.account_id)
    application = award.application
    return {
        **_recipient(account), "award_id": award.id, "application_id": application.id,
        "receipt_number": application.receipt_number, "call_id": award.call_id, "fund_id": award.fund_id,
        "fund_year": award.fund.year, "call_title": award.call.title(account.language),
        "project_title": project_title_of(application), "organisation": _organisation_facts(application),
        "amount_cents": award.amount_cents, "granted_at": award.granted_at, "award_url": award_url(award.id),
    }


def _tranche_facts(award: Award) -> list[dict]:
    return [{"number": t.number, "due": t.due, "share_bp": t.share_bp, "amount_cents": t.amount_cents}
            for t in award.tranches]


def _log(session: Session, call_id: int, now: datetime, actor_id: int | None, action: str, *,
         award_id: int | None = None, reason: str = "", details: dict | None = None) -> None:
    session.add(AwardLogEntry(call_id=call_id, award_id=award_id, at=now, actor_id=actor_id, action=action,
                              reason=reason, details=details or {}))
