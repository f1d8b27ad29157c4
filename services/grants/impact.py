"""Impact: supported firms, their registry checks and their statuses recorded by hand.

An organisation becomes a supported firm when it accepts a grant (`award.accepted`), when its
campaign succeeds (`campaign.succeeded`) or when it receives matchfunding (`record_support` with
kind "matchfunding", called by the matchfunding's code when a campaign's matches are paid). The
applicants the jury scored but who were not selected (`application.not_selected` of an
application with a submitted review) are followed the same way: the comparison group.

Checks: every firm with a SIREN is checked in the company registry when it is first followed,
then every `IMPACT_CHECK_INTERVAL_SECONDS` (30 days by default), by dramatiq delayed messages
(the `grants.check_firm` actor): nothing polls. Each firm's row holds the due time of its next
check (`next_check_at`), which is the token of the one message that may run it: a message
delivered twice, or one left from an earlier schedule, finds another token and does nothing.
The message is sent inside the transaction that sets the token, before its commit: if the
commit fails, the message finds no such token and does nothing; if sending fails, the
transaction rolls back and the event or the check is tried again. Redis-backed dramatiq refuses
delays of a week or more: a check due later is reached in hops of at most six days.

Every answer is kept (`registry_checks`, with the body as received), so that the history shows
when a firm closed; the firm's row keeps the latest, which the survival estimate reads.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import dramatiq
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren

from services.grants.models import (
    FIRM_STATUSES,
    SUPPORT_KINDS,
    Account,
    Application,
    CampaignOutcome,
    ManualStatus,
    RegistryCheck,
    Review,
    Support,
    SupportedFirm,
)
from services.grants.registry import (
    ACTIVE,
    CEASED,
    RegistryAnswer,
    RegistryAnswerInvalid,
    RegistryBusy,
    RegistryUnavailable,
)
from shared.core.clock import to_paris, utcnow
from shared.core.db import Database
from shared.core.events import Event
from shared.core.refusal import INVALID, Refusal

DEFAULT_CHECK_INTERVAL_SECONDS = 30 * 24 * 3600
MAX_HOP_SECONDS = 6 * 24 * 3600  # dramatiq's Redis broker refuses delays of 7 days or more
LONGEST_RETRY_SECONDS = 6 * 3600

NOT_A_FIRM = "This supported firm does not exist."


def check_interval() -> timedelta:
    """Between two checks of a firm (read at call time: tests set it)."""
    return timedelta(seconds=float(os.environ.get("IMPACT_CHECK_INTERVAL_SECONDS", DEFAULT_CHECK_INTERVAL_SECONDS)))


def _day(moment: datetime) -> date:
    return to_paris(moment).date()


# --- Which organisation ---------------------------------------------------------------------------


def siren_of(organisation: Mapping) -> str | None:
    """The organisation's SIREN: its `siren`, or the first nine digits of its `siret`, when valid."""
    for value in (organisation.get("siren"), organisation.get("siret")):
        digits = "".join(character for character in value or "" if character.isdigit())
        if len(digits) in (9, 14):
            try:
                return stdnum_siren.validate(digits[:9])
            except ValidationError:
                continue
    return None


def follow_key(organisation: Mapping, account_id: int | None) -> str:
    """One row per organisation: by SIREN, else by RNA number, else by the account that holds it."""
    siren = siren_of(organisation)
    if siren:
        return f"siren:{siren}"
    rna = (organisation.get("rna") or "").strip().upper()
    if rna:
        return f"rna:{rna}"
    if account_id is None:
        raise ValueError("An organisation with no SIREN and no RNA number is followed by its account.")
    return f"account:{account_id}"


def _firm(session: Session, organisation: Mapping, account_id: int | None, now: datetime, demo: bool) -> SupportedFirm:
    """The organisation's row, created when missing, locked for this transaction."""
    key = follow_key(organisation, account_id)
    query = select(SupportedFirm).where(SupportedFirm.follow_key == key).with_for_update()
    firm = session.scalar(query)
    if firm is not None:
        return firm
    try:
        # A savepoint: two events of one new organisation at once meet on the unique key, and the
        # second reads the first's row instead of losing its own event.
        with session.begin_nested():
            firm = SupportedFirm(
                follow_key=key, siren=siren_of(organisation), rna=(organisation.get("rna") or None),
                legal_name=organisation["legal_name"], sector=organisation.get("sector"), demo=demo, created_at=now,
                has_grant=False, has_crowdfunding=False,
            )
            session.add(firm)
    except IntegrityError:
        firm = session.scalar(query)
    return firm


# --- Supports and the comparison group ---------------------------------------------------------------


def record_support(session: Session, organisation: Mapping, kind: str, on: date, amount_cents: int, source_key: str,
                   *, account_id: int | None = None, now: datetime | None = None, demo: bool = False,
                   schedule: bool = True) -> Support:
    """The organisation is supported (`kind`: grant, crowdfunding or matchfunding) on `on`, for
    `amount_cents`. Idempotent by `source_key` (award:<id>, campaign:<id>, match:<pledge id>...): a
    second call with the same key returns the first support. `organisation` carries legal_name
    and siren or siret (or rna), as the events' organisations do; `account_id` keys an
    organisation with neither."""
    if kind not in SUPPORT_KINDS:
        raise ValueError(f"A support is one of {', '.join(SUPPORT_KINDS)}.")
    if amount_cents < 0:
        raise ValueError("A support's amount is not negative.")
    now = now or utcnow()
    found = session.scalar(select(Support).where(Support.source_key == source_key))
    if found is not None:
        return found
    firm = _firm(session, organisation, account_id, now, demo)
    support = Support(firm_id=firm.id, kind=kind, on=on, amount_cents=amount_cents, source_key=source_key,
                      recorded_at=now)
    session.add(support)
    if firm.first_support_on is None or on < firm.first_support_on:
        firm.first_support_on = on
    if kind == "grant":
        firm.has_grant = True
    else:
        firm.has_crowdfunding = True
    session.flush()
    if schedule:
        _follow(session, firm, now)
    return support


def record_comparison(session: Session, organisation: Mapping, since: date, *, account_id: int | None = None,
                      now: datetime | None = None, demo: bool = False, schedule: bool = True) -> SupportedFirm:
    """An applicant the jury scored and the decision did not select: followed from `since`."""
    now = now or utcnow()
    firm = _firm(session, organisation, account_id, now, demo)
    if firm.comparison_since is None or since < firm.comparison_since:
        firm.comparison_since = since
    session.flush()
    if schedule:
        _follow(session, firm, now)
    return firm


def on_award_accepted(session: Session, event: Event) -> None:
    payload = event.payload
    application = session.get(Application, payload["application_id"])
    record_support(session, payload["organisation"], "grant", _day(payload["accepted_at"]), payload["amount_cents"],
                   f"award:{payload['award_id']}", account_id=application.account_id if application else None,
                   now=payload["accepted_at"])


def on_application_not_selected(session: Session, event: Event) -> None:
    """The comparison group: only an application the jury scored (a submitted review)."""
    payload = event.payload
    scored = session.scalar(select(exists().where(Review.application_id == payload["application_id"],
                                                  Review.status == "submitted")))
    if not scored:
        return
    application = session.get(Application, payload["application_id"])
    record_comparison(session, payload["organisation"], _day(payload["decided_at"]),
                      account_id=application.account_id if application else None)


def _campaign_outcome(session: Session, payload: Mapping, outcome: str) -> None:
    row = session.get(CampaignOutcome, payload["campaign_id"], with_for_update=True)
    if row is None:
        row = CampaignOutcome(campaign_id=payload["campaign_id"])
        session.add(row)
    row.outcome = outcome
    row.closed_on = _day(payload["closed_at"])
    row.legal_name = payload["organisation"]["legal_name"]
    row.siren = siren_of(payload["organisation"])
    row.goal_cents = payload["goal_cents"]
    row.pledged_cents = payload["pledged_cents"]
    row.backers = payload["backers"]
    row.matched_cents = payload["matched_cents"]
    row.updated_at = utcnow()
    session.flush()


def on_campaign_succeeded(session: Session, event: Event) -> None:
    """A campaign that succeeded: its outcome for the report, and its owner's organisation supported."""
    payload = event.payload
    _campaign_outcome(session, payload, "succeeded")
    record_support(session, payload["organisation"], "crowdfunding", _day(payload["closed_at"]),
                   payload["pledged_cents"], f"campaign:{payload['campaign_id']}",
                   account_id=payload["owner_account_id"], now=payload["closed_at"])


def on_campaign_failed(session: Session, event: Event) -> None:
    """A campaign below its goal: counted in the report's success rate; nobody is supported."""
    _campaign_outcome(session, event.payload, "failed")


# --- Registry checks --------------------------------------------------------------------------------


# The actor (services/grants/actors.py, which imports this module) is named, not imported.
CHECK_ACTOR, CHECK_QUEUE = "grants.check_firm", "grants_registry"


def _send_check(firm_id: int, token: str, delay_seconds: float, attempt: int = 0) -> None:
    delay_ms = max(0, int(min(delay_seconds, MAX_HOP_SECONDS) * 1000))
    message = dramatiq.Message(queue_name=CHECK_QUEUE, actor_name=CHECK_ACTOR, args=(firm_id, token, attempt),
                               kwargs={}, options={})
    from shared.core.broker import broker  # built from the environment on first use

    broker.enqueue(message, delay=delay_ms or None)


def _token(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def schedule_check(session: Session, firm: SupportedFirm, at: datetime, now: datetime) -> None:
    """The firm's next check is due at `at`; the message that runs it is sent now (delayed)."""
    # Whole seconds in UTC (rounded up: never earlier than asked), so that the token reads the
    # same after any database's round trip.
    at = at.astimezone(timezone.utc)
    if at.microsecond:
        at = at.replace(microsecond=0) + timedelta(seconds=1)
    firm.next_check_at = at
    session.flush()
    _send_check(firm.id, _token(at), (at - now).total_seconds())


def _follow(session: Session, firm: SupportedFirm, now: datetime) -> None:
    """A firm with a SIREN newly followed is checked at once, then on its schedule."""
    if firm.siren and firm.next_check_at is None:
        schedule_check(session, firm, now, now)


@dataclass(frozen=True)
class CheckRun:
    """What a check's message did: `checked`, `stale` (not the firm's current schedule),
    `waiting` (due later: sent on again) or `retry` (no answer: sent again after `retry_in` s)."""

    outcome: str
    retry_in: float | None = None
    check_id: int | None = None


def run_check(db: Database, registry, firm_id: int, token: str, now: datetime, attempt: int = 0) -> CheckRun:
    """Run the scheduled check of one firm if `token` is still its schedule and it is due; record
    the registry's answer and schedule the next. The registry is asked outside any transaction."""
    with db.unit_of_work() as session:
        firm = session.get(SupportedFirm, firm_id)
        if firm is None or firm.next_check_at is None or _token(firm.next_check_at) != token or not firm.siren:
            return CheckRun("stale")
        due = firm.next_check_at
        siren = firm.siren
    if due > now:
        _send_check(firm_id, token, (due - now).total_seconds(), attempt)
        return CheckRun("waiting", (due - now).total_seconds())
    try:
        answer: RegistryAnswer | RegistryAnswerInvalid = registry.check(siren)
    except RegistryBusy as busy:
        _send_check(firm_id, token, busy.retry_after, attempt + 1)
        return CheckRun("retry", busy.retry_after)
    except RegistryUnavailable:
        wait = min(30.0 * 2 ** min(attempt, 16), LONGEST_RETRY_SECONDS)
        _send_check(firm_id, token, wait, attempt + 1)
        return CheckRun("retry", wait)
    except RegistryAnswerInvalid as invalid:
        answer = invalid
    with db.unit_of_work() as session:
        firm = session.get(SupportedFirm, firm_id, with_for_update=True)
        if firm is None or firm.next_check_at is None or _token(firm.next_check_at) != token:
            return CheckRun("stale")  # another delivery of this message recorded it first
        check = record_check(session, firm, answer, now)
        schedule_check(session, firm, now + check_interval(), now)
        return CheckRun("checked", check_id=check.id)


def record_check(session: Session, firm: SupportedFirm, answer, at: datetime) -> RegistryCheck:
    """Keep one answer of the registry (a RegistryAnswer, or the RegistryAnswerInvalid it raised)
    and bring the firm's row up to date with it."""
    if isinstance(answer, RegistryAnswerInvalid):
        check = RegistryCheck(firm_id=firm.id, checked_at=at, status="invalid", http_status=answer.http_status or 0,
                              url="", answer=answer.raw if answer.raw is not None else str(answer))
        session.add(check)
        session.flush()
        return check
    check = RegistryCheck(firm_id=firm.id, checked_at=at, status=answer.status, closed_on=answer.closed_on,
                          created_on=answer.created_on, http_status=answer.http_status, url=answer.url[:500],
                          answer=answer.raw)
    session.add(check)
    firm.registry_status = answer.status
    firm.registry_closed_on = answer.closed_on if answer.status == CEASED else None
    firm.created_on = answer.created_on or firm.created_on
    firm.last_checked_on = _day(at)
    session.flush()
    return check


# --- Statuses recorded by hand ----------------------------------------------------------------------


def record_manual_status(session: Session, firm_id: int, data: dict, now: datetime, actor_id: int | None) -> ManualStatus:
    """The fund manager records a firm's status (active, ceased on a date, unknown) with its source,
    for a firm the registry cannot answer for. `data`: status, closed_on (for ceased), known_on
    (default today), source."""
    firm = session.get(SupportedFirm, firm_id, with_for_update=True)
    if firm is None:
        raise Refusal.not_found(NOT_A_FIRM)
    status, source = data.get("status"), (data.get("source") or "").strip()
    known_on = data.get("known_on") or _day(now)
    closed_on = data.get("closed_on")
    errors = {}
    if status not in FIRM_STATUSES:
        errors["status"] = ["Choose active, ceased or unknown."]
    if not source:
        errors["source"] = ["Say where the status comes from."]
    if status == CEASED and closed_on is None:
        errors["closed_on"] = ["Give the date the firm ceased."]
    if status != CEASED and closed_on is not None:
        errors["closed_on"] = ["Only a ceased firm has a closing date."]
    if closed_on is not None and closed_on > _day(now):
        errors["closed_on"] = ["The closing date cannot be in the future."]
    if known_on > _day(now):
        errors["known_on"] = ["The date the status was known cannot be in the future."]
    if errors:
        raise Refusal(422, INVALID, errors)
    row = ManualStatus(firm_id=firm.id, status=status, closed_on=closed_on, known_on=known_on, source=source,
                       recorded_at=now, recorded_by=actor_id)
    session.add(row)
    if firm.manual_on is None or known_on >= firm.manual_on:
        firm.manual_status, firm.manual_closed_on, firm.manual_on = status, closed_on, known_on
    session.flush()
    return row


# --- Reading ----------------------------------------------------------------------------------------


def get_firm(session: Session, firm_id: int) -> SupportedFirm:
    firm = session.get(SupportedFirm, firm_id)
    if firm is None:
        raise Refusal.not_found(NOT_A_FIRM)
    return firm


def list_firms(session: Session) -> list[SupportedFirm]:
    return list(session.scalars(select(SupportedFirm).order_by(SupportedFirm.legal_name, SupportedFirm.id)))


def checks_of(session: Session, firm_id: int) -> list[RegistryCheck]:
    return list(session.scalars(select(RegistryCheck).where(RegistryCheck.firm_id == firm_id)
                                .order_by(RegistryCheck.checked_at.desc(), RegistryCheck.id.desc())))


def manual_statuses_of(session: Session, firm_id: int) -> list[ManualStatus]:
    return list(session.scalars(select(ManualStatus).where(ManualStatus.firm_id == firm_id)
                                .order_by(ManualStatus.known_on.desc(), ManualStatus.id.desc())))


@dataclass(frozen=True)
class FollowUp:
    """What the survival estimate knows of one firm: closed on a date, or active on its last
    known day; `None` both when nothing is known (no answer, status unknown)."""

    closed_on: date | None
    last_known_on: date | None

    @property
    def known(self) -> bool:
        return self.closed_on is not None or self.last_known_on is not None


def follow_up(registry_status, registry_closed_on, last_checked_on, manual_status, manual_closed_on,
              manual_on) -> FollowUp:
    """The registry's word when it knows the firm (active or ceased); the status recorded by hand
    otherwise. A ceased firm with no closing date closed by its check's day at the latest."""
    if registry_status == CEASED:
        return FollowUp(registry_closed_on or last_checked_on, None)
    if registry_status == ACTIVE:
        return FollowUp(None, last_checked_on)
    if manual_status == CEASED:
        return FollowUp(manual_closed_on or manual_on, None)
    if manual_status == ACTIVE:
        return FollowUp(None, manual_on)
    return FollowUp(None, None)


def firm_follow_up(firm: SupportedFirm) -> FollowUp:
    return follow_up(firm.registry_status, firm.registry_closed_on, firm.last_checked_on, firm.manual_status,
                     firm.manual_closed_on, firm.manual_on)


def referents(session: Session) -> list[Account]:
    """The people who hold the referent role (the service's copy of the accounts)."""
    return [account for account in session.scalars(select(Account).order_by(Account.name))
            if "referent" in (account.roles or ())]
