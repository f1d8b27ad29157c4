"""The close: at a campaign's end time its outcome is decided, and a successful one's saved cards
are charged, each once, at Stripe's pace.

**Deciding** (`close_campaign`, called by schedule.end_campaign under the campaign's row lock, at
the end time by a delayed message and by the sweeper of any worker that starts later):
- all-or-nothing: the confirmed pledges reach the goal, it succeeds; otherwise it fails;
- keep-it-all: it succeeds when anything was pledged.
On success each confirmed card pledge is `to_charge` and each received transfer `paid`
(`campaign.succeeded`); on failure nothing is charged, every pledge is `released` and its saved
card detached by the worker (`campaign.failed`, to the backers).

**Charging** (`charge_pledge`, one dramatiq message per pledge, fed by the sweeper at most a few
seconds' worth at a time): one PaymentIntent per attempt (customer, payment method, amount, eur,
`off_session`, `confirm`), with the idempotency key `tremplin-pledge-<id>-<reference>-charge-<n>`.
- The attempt's row is committed as `requested` before Stripe is called (after the request's
  slot is taken), and its PaymentIntent id kept as soon as Stripe answers. A worker killed between the two
  leaves a `requested` attempt with no id: the next one asks Stripe for the PaymentIntent carrying
  the attempt's key before making any (localstripe ignores idempotency keys; the real Stripe would
  answer the first result again). No pledge is charged twice.
- Each request to Stripe takes a slot of the Redis pace (STRIPE_MAX_REQUESTS_PER_SECOND across
  every process). Redis down: the message fails before Stripe is called and is tried again; the
  sweeper queues again any pledge queued long ago and not charged (a dead worker's, a lost send).
- A PostgreSQL advisory lock per pledge (`pledge_lock`) is held from the first read to the last
  write of a charge, of a webhook about its PaymentIntents (webhooks.py), of the recovery page's
  payment and of a refund: two of them never settle one pledge at once.

**When the bank says no** (`authentication_required`, or a decline): the pledge is
`action_needed` until `action_expires_at` (PLEDGE_ACTION_DAYS, 7), the backer is told
(`pledge.action_needed`, reminder 0) and reminded at 2 and 5 days (1, 2), and finishes on the
recovery page (payments.py: 3-D Secure on-session, or another card). Not paid by then, the pledge
is `failed`: it no longer counts, its tier place is freed and the owner is told (`pledge.failed`);
its PaymentIntents still open are cancelled at Stripe (`cancel_intent`).
The reminders and the expiry are delayed messages, and the sweeper catches up any that were lost.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, joinedload

from services.crowdfunding import campaigns, matchfunding
from services.crowdfunding.config import SERVICE, action_days, reminder_days
from services.crowdfunding.models import Account, Campaign, ChargeAttempt, Owner, Pledge
from services.crowdfunding.payments import ChargeRefused, PaymentIntent, Payments
from shared.core.config import service_public_url
from shared.core.outbox import publish

# The advisory locks' first key: this service's pledges (the second is the pledge's id).
PLEDGE_LOCK_CLASS = 0x4346  # "CF"
AUTHENTICATION_REQUIRED = "authentication_required"
SETTLED = ("succeeded", "failed", "canceled")


# --- Deciding ------------------------------------------------------------------------------------


def outcome_of(funding_model: str, goal_cents: int, pledged_cents: int) -> str:
    """succeeded or failed, from the total at the end time: the confirmed pledges and what the
    grant fund's pot matched of them (the progress bar counts both toward the goal, and says which
    is which)."""
    if funding_model == "keep_it_all":
        return "succeeded" if pledged_cents > 0 else "failed"
    return "succeeded" if pledged_cents >= goal_cents else "failed"


def close_campaign(session: Session, campaign: Campaign, now: datetime) -> str:
    """Decide an ended campaign (its waiting pledges already let go, its row locked); once."""
    if campaign.outcome is not None:
        return campaign.outcome
    confirmed = session.scalars(
        select(Pledge).where(Pledge.campaign_id == campaign.id, Pledge.status == "confirmed")
        .order_by(Pledge.id).with_for_update()
    ).all()
    pledged = sum(pledge.amount_cents for pledge in confirmed)
    outcome = outcome_of(campaign.funding_model, campaign.goal_cents,
                         pledged + matchfunding.matched_cents(session, campaign.id))
    campaign.outcome = outcome
    campaign.closed_at = now
    campaign.closed_pledged_cents = pledged
    for pledge in confirmed:
        if outcome == "failed":
            pledge.payment_status = "released"
        elif pledge.method == "card":
            pledge.payment_status = "to_charge"
        else:
            pledge.payment_status = "paid"
            pledge.paid_cents = pledge.amount_cents
            pledge.paid_at = pledge.transfer_received_at or now
    session.flush()
    facts = closed_facts(session, campaign, confirmed, now)
    if outcome == "succeeded":
        publish(session, SERVICE, "campaign.succeeded", 1, facts)
    else:
        publish(session, SERVICE, "campaign.failed", 1, {**facts, "recipients": backers_of(session, confirmed)})
    return outcome


def backers_of(session: Session, pledges: list[Pledge]) -> list[dict]:
    """The pledges' backers as recipients, once each, in the pledges' order (one query)."""
    ids = list(dict.fromkeys(pledge.account_id for pledge in pledges))
    found = {person.id: person for person in session.scalars(select(Account).where(Account.id.in_(ids)))} if ids else {}
    return [{"email": found[i].email, "name": found[i].name, "language": found[i].language} for i in ids]


def organisation_of(owner: Owner) -> dict:
    siret = owner.siret
    return {"siret": siret, "siren": siret[:9] if siret else None, "rna": owner.rna, "legal_name": owner.legal_name,
            "kind": owner.kind, "sector": owner.sector, "postal_code": owner.postal_code, "city": owner.city}


def closed_facts(session: Session, campaign: Campaign, confirmed: list[Pledge], now: datetime) -> dict:
    owner_account = session.get(Account, campaign.account_id)
    return {
        **campaigns.campaign_event_ref(owner_account, campaign, campaigns.campaign_url(campaign.id)),
        "owner_account_id": campaign.account_id,
        "organisation": organisation_of(campaign.owner),
        "funding_model": campaign.funding_model, "goal_cents": campaign.goal_cents,
        "ends_at": campaign.ends_at, "closed_at": campaign.closed_at or now,
        "pledged_cents": sum(p.amount_cents for p in confirmed),
        "card_pledged_cents": sum(p.amount_cents for p in confirmed if p.method == "card"),
        "transfer_cents": sum(p.amount_cents for p in confirmed if p.method == "transfer"),
        "backers": len({p.account_id for p in confirmed}),
        "matched_cents": matchfunding.matched_cents(session, campaign.id),
    }


# --- Feeding the charging queue --------------------------------------------------------------------


def pledges_to_queue(session: Session, now: datetime, limit: int, requeue_after: float) -> list[int]:
    """Card pledges to charge not queued yet, or queued so long ago that their message was lost;
    marked queued now (rows taken with SKIP LOCKED: two sweepers never queue one twice at once).
    At most `limit`, minus those queued recently and not charged yet: the queue holds a few
    seconds of charges, never a whole campaign."""
    stale = now - timedelta(seconds=requeue_after)
    in_flight = session.scalar(select(func.count()).select_from(Pledge).where(
        Pledge.payment_status == "to_charge", Pledge.charge_queued_at > stale)) or 0
    room = limit - in_flight
    if room <= 0:
        return []
    due = session.scalars(
        select(Pledge).where(Pledge.payment_status == "to_charge",
                             (Pledge.charge_queued_at.is_(None)) | (Pledge.charge_queued_at <= stale))
        .order_by(Pledge.id).limit(room).with_for_update(skip_locked=True)
    ).all()
    for pledge in due:
        pledge.charge_queued_at = now
    return [pledge.id for pledge in due]


# --- The lock --------------------------------------------------------------------------------------


@contextmanager
def pledge_lock(engine, pledge_id: int, timeout_seconds: int = 30) -> Iterator[None]:
    """The pledge's advisory lock, on a connection of its own held for the block (its own
    transactions commit inside it). A worker that dies loses its connection, and the lock with it."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text(f"SET lock_timeout = '{int(timeout_seconds)}s'"))
        connection.execute(select(func.pg_advisory_lock(PLEDGE_LOCK_CLASS, pledge_id)))
        connection.commit()
        try:
            yield
        finally:
            connection.execute(select(func.pg_advisory_unlock(PLEDGE_LOCK_CLASS, pledge_id)))
            connection.execute(text("RESET lock_timeout"))  # the pooled connection goes back as it came
            connection.commit()


def lock_in_transaction(session: Session, pledge_id: int) -> None:
    """The same lock, for the caller's transaction (a webhook): released at its commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(PLEDGE_LOCK_CLASS, pledge_id)))


# --- Charging --------------------------------------------------------------------------------------


def attempt_key(pledge: Pledge, number: int) -> str:
    return f"tremplin-pledge-{pledge.id}-{pledge.reference}-charge-{number}"


def latest_attempt(session: Session, pledge_id: int, lock: bool = False) -> ChargeAttempt | None:
    query = select(ChargeAttempt).where(ChargeAttempt.pledge_id == pledge_id).order_by(ChargeAttempt.number.desc()).limit(1)
    if lock:
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def new_attempt(session: Session, pledge: Pledge, payment_method_id: str, off_session: bool,
                latest: ChargeAttempt | None | bool = False, requested_at: datetime | None = None) -> ChargeAttempt:
    """The pledge's next attempt (`latest`: its latest attempt when the caller read it already, None
    when it has none). With `requested_at` it is written as requested: its request goes out after
    the commit, so a lost answer is looked for before another is sent."""
    last = latest_attempt(session, pledge.id) if latest is False else latest
    number = (last.number if last else 0) + 1
    attempt = ChargeAttempt(
        pledge_id=pledge.id, number=number, idempotency_key=attempt_key(pledge, number), off_session=off_session,
        customer_id=pledge.stripe_customer_id, payment_method_id=payment_method_id,
        amount_cents=pledge.amount_cents, status="requested" if requested_at else "created", requested_at=requested_at,
    )
    session.add(attempt)
    session.flush()
    return attempt


def attempt_metadata(pledge: Pledge, attempt: ChargeAttempt) -> dict:
    return {"pledge_id": str(pledge.id), "reference": pledge.reference, "campaign_id": str(pledge.campaign_id),
            "attempt": str(attempt.number), "attempt_key": attempt.idempotency_key}


@dataclass(frozen=True)
class Charged:
    outcome: str  # paid, action_needed, not_to_charge, ...
    reminders: tuple[float, ...] = ()  # delays in seconds of the reminders to send (a new action_needed)
    expiry: float | None = None  # delay in seconds of the expiry to send


def _take_slot(pace, timeout: float = 30.0) -> None:
    if not pace.acquire(timeout):
        raise TimeoutError("no Stripe slot within the pace's timeout")


@dataclass(frozen=True)
class AttemptRequest:
    """What an attempt sends to Stripe, read under the pledge's lock."""

    attempt_id: int
    payment_intent_id: str | None  # Stripe answered before: read it back
    lost: bool  # sent before and its answer lost: look for what Stripe made before sending again
    idempotency_key: str
    customer_id: str
    payment_method_id: str
    amount_cents: int
    off_session: bool
    metadata: dict

    @classmethod
    def of(cls, pledge: Pledge, attempt: ChargeAttempt, lost: bool) -> "AttemptRequest":
        return cls(attempt.id, attempt.payment_intent_id, lost, attempt.idempotency_key, attempt.customer_id,
                   attempt.payment_method_id, attempt.amount_cents, attempt.off_session,
                   attempt_metadata(pledge, attempt))


def send_attempt(payments: Payments, pace, request: AttemptRequest) -> PaymentIntent | ChargeRefused:
    """Send an attempt to Stripe, or read back what an earlier send made. The slot of its first
    request is taken already; a second request (a lost answer not found) takes its own."""
    if request.payment_intent_id is not None:
        return payments.retrieve_payment_intent(request.payment_intent_id)
    if request.lost:
        found = payments.find_payment_intent(request.customer_id, request.idempotency_key)
        if found is not None:
            return found
        _take_slot(pace)
    try:
        return payments.create_payment_intent(
            customer_id=request.customer_id, payment_method_id=request.payment_method_id,
            amount_cents=request.amount_cents, off_session=request.off_session, metadata=request.metadata,
            idempotency_key=request.idempotency_key)
    except ChargeRefused as refusal:
        return refusal


def charge_pledge(db, payments: Payments, pace, pledge_id: int, now: datetime) -> Charged:
    """Charge one pledge `to_charge` off-session, once, whatever ran before (the worker's message).

    Under the pledge's lock: a Stripe slot (Redis down: raised here, before anything is written or
    sent), one transaction that reads the pledge and writes its attempt as requested, the request,
    one transaction that settles what Stripe answered."""
    with pledge_lock(db.engine, pledge_id):
        _take_slot(pace)
        with db.unit_of_work() as session:
            pledge = session.get(Pledge, pledge_id, populate_existing=True)
            if pledge is None or pledge.payment_status != "to_charge":
                return Charged("not_to_charge")
            attempt = latest_attempt(session, pledge_id)
            if attempt is None or attempt.status in SETTLED or not attempt.off_session:
                attempt = new_attempt(session, pledge, pledge.stripe_payment_method_id, off_session=True,
                                      latest=attempt, requested_at=now)
                lost = False
            else:
                lost = attempt.status == "requested" and attempt.payment_intent_id is None
                if attempt.status == "created":
                    attempt.status, attempt.requested_at = "requested", now
            request = AttemptRequest.of(pledge, attempt, lost)
        answer = send_attempt(payments, pace, request)
        with db.unit_of_work() as session:
            attempt = session.scalar(
                select(ChargeAttempt).where(ChargeAttempt.id == request.attempt_id)
                .options(joinedload(ChargeAttempt.pledge).options(
                    joinedload(Pledge.campaign), joinedload(Pledge.tier), joinedload(Pledge.backer))))
            return settle_attempt(session, attempt, answer, now, pledge=attempt.pledge)


def settle_attempt(session: Session, attempt: ChargeAttempt, answer: PaymentIntent | ChargeRefused,
                   now: datetime, pledge: Pledge | None = None) -> Charged:
    """What Stripe's answer (from the worker, the recovery page or a webhook) means for the attempt
    and its pledge. Only ever moves forward: a settled attempt, or a paid pledge, stays so; a
    repeated or late answer changes nothing. `pledge`: the attempt's pledge when the caller read it
    in this transaction under the pledge's lock (else it is read again here)."""
    if pledge is None:
        pledge = session.get(Pledge, attempt.pledge_id, populate_existing=True)
    if isinstance(answer, ChargeRefused):
        intent, code, message = answer.intent, answer.code, answer.message
    else:
        intent, code, message = answer, answer.error_code, answer.error_message
    if intent is not None and attempt.payment_intent_id is None:
        attempt.payment_intent_id = intent.id
    if attempt.status == "succeeded":
        return Charged("already_paid")
    if intent is not None and intent.status == "succeeded":
        attempt.status = "succeeded"
        attempt.charge_id = intent.charge_id
        attempt.fee_cents = intent.fee_cents
        attempt.settled_at = now
        attempt.error_code = attempt.error_message = None
        return _paid(session, pledge, attempt, now)
    if intent is not None and intent.status in ("processing", "requires_confirmation", "requires_capture"):
        return Charged("waiting")
    if intent is not None and intent.status == "requires_action":
        attempt.status = "requires_action"
        code, message = AUTHENTICATION_REQUIRED, "The bank asks the backer to confirm the payment."
    elif isinstance(answer, ChargeRefused) or (intent is not None and intent.status in ("requires_payment_method", "canceled")):
        attempt.status = "failed" if code != AUTHENTICATION_REQUIRED else "requires_action"
        code = code or "card_declined"
    else:
        return Charged("waiting")
    attempt.error_code = (code or "")[:60]
    attempt.error_message = (message or "")[:500]
    attempt.settled_at = now
    return _needs_action(session, pledge, attempt, code, now)


def _settled_ref(session: Session, pledge: Pledge, attempt: ChargeAttempt) -> dict:
    from services.crowdfunding.pledges import _event_ref

    return {**_event_ref(session, pledge), "backer_account_id": pledge.account_id, "attempt": attempt.number}


def _paid(session: Session, pledge: Pledge, attempt: ChargeAttempt, now: datetime) -> Charged:
    if pledge.payment_status == "paid":
        return Charged("already_paid")
    if pledge.payment_status not in ("to_charge", "action_needed"):
        # Paid after it failed or the campaign was cancelled: kept, for the fund manager to refund.
        pledge.paid_cents = attempt.amount_cents
        pledge.paid_at = now
        return Charged("paid_late")
    pledge.payment_status = "paid"
    pledge.paid_cents = attempt.amount_cents
    pledge.paid_at = now
    pledge.action_reason = None
    publish(session, SERVICE, "pledge.charged", 1, {
        **_settled_ref(session, pledge, attempt), "payment_intent_id": attempt.payment_intent_id, "charged_at": now,
    })
    return Charged("paid")


def action_url(pledge_id: int) -> str:
    return f"{service_public_url(SERVICE)}/pledges/{pledge_id}/pay"


def _needs_action(session: Session, pledge: Pledge, attempt: ChargeAttempt, code: str, now: datetime) -> Charged:
    if pledge.payment_status == "action_needed":
        pledge.action_reason = code[:60]  # another card refused on the recovery page: the same deadline
        return Charged("action_needed_again")
    if pledge.payment_status != "to_charge":
        return Charged("not_to_charge")
    pledge.payment_status = "action_needed"
    pledge.action_reason = code[:60]
    pledge.action_since = now
    pledge.action_expires_at = now + timedelta(days=action_days())
    pledge.reminders_sent = 0
    publish(session, SERVICE, "pledge.action_needed", 1, _action_payload(session, pledge, attempt, 0))
    delays = tuple(days * 86400 for days in reminder_days())
    return Charged("action_needed", reminders=delays, expiry=action_days() * 86400)


def _action_payload(session: Session, pledge: Pledge, attempt: ChargeAttempt | None, reminder: int) -> dict:
    attempt = attempt or latest_attempt(session, pledge.id)
    return {**_settled_ref(session, pledge, attempt), "reason": pledge.action_reason,
            "action_url": action_url(pledge.id), "expires_at": pledge.action_expires_at, "reminder": reminder}


# --- Reminders and expiry --------------------------------------------------------------------------


def remind(session: Session, pledge_id: int, reminder: int, now: datetime) -> bool:
    """Reminder `reminder` (1, 2...) of a pledge still needing action, once, and only when due."""
    pledge = session.get(Pledge, pledge_id, with_for_update=True)
    if pledge is None or pledge.payment_status != "action_needed" or pledge.reminders_sent >= reminder:
        return False
    days = reminder_days()
    if reminder > len(days) or now < pledge.action_since + timedelta(days=days[reminder - 1]):
        return False
    if now >= pledge.action_expires_at:
        return False
    pledge.reminders_sent = reminder
    publish(session, SERVICE, "pledge.action_needed", 1, _action_payload(session, pledge, None, reminder))
    return True


def expire(session: Session, pledge_id: int, now: datetime) -> bool:
    """A pledge not paid by its deadline fails: it no longer counts, its place is freed, the owner
    is told. Once, and only when due."""
    pledge = session.get(Pledge, pledge_id, with_for_update=True)
    if pledge is None or pledge.payment_status != "action_needed" or now < pledge.action_expires_at:
        return False
    attempt = latest_attempt(session, pledge.id)
    reason = pledge.action_reason or "card_declined"
    pledge.payment_status = "failed"
    pledge.status = "failed"
    pledge.failed_at = now
    campaign = pledge.campaign
    owner = session.get(Account, campaign.account_id)
    publish(session, SERVICE, "pledge.failed", 1, {
        **_settled_ref(session, pledge, attempt), "reason": reason, "failed_at": now,
        "owner": {"email": owner.email, "name": owner.name, "language": owner.language},
    })
    return True


def intents_to_cancel(session: Session, limit: int = 100) -> list[int]:
    """The attempts of failed pledges whose PaymentIntent may still be confirmed (3-D Secure left
    open, a declined card's): each is cancelled at Stripe, so that a page left open cannot take the
    money of a pledge that no longer counts."""
    return list(session.scalars(
        select(ChargeAttempt.id).join(Pledge, Pledge.id == ChargeAttempt.pledge_id)
        .where(Pledge.payment_status == "failed", ChargeAttempt.payment_intent_id.is_not(None),
               ChargeAttempt.status.not_in(("succeeded", "canceled")))
        .order_by(ChargeAttempt.id).limit(limit)))


def cancel_intent(db, payments: Payments, pace, attempt_id: int, now: datetime) -> str | None:
    """Cancel a failed pledge's PaymentIntent at Stripe, once: the attempt's status after it
    (canceled; succeeded when the backer paid just before, kept as paid late), or None when there
    was nothing to cancel."""
    with db.unit_of_work() as session:
        attempt = session.get(ChargeAttempt, attempt_id)
        if attempt is None:
            return None
        pledge_id = attempt.pledge_id
    with pledge_lock(db.engine, pledge_id):
        with db.unit_of_work() as session:
            attempt = session.get(ChargeAttempt, attempt_id, populate_existing=True)
            pledge = session.get(Pledge, pledge_id, populate_existing=True)
            if pledge.payment_status != "failed" or attempt.payment_intent_id is None \
                    or attempt.status in ("succeeded", "canceled"):
                return None
            intent_id = attempt.payment_intent_id
        _take_slot(pace)
        answer = payments.cancel_payment_intent(intent_id)
        with db.unit_of_work() as session:
            attempt = session.get(ChargeAttempt, attempt_id, populate_existing=True)
            if answer.status == "canceled":
                attempt.status, attempt.settled_at = "canceled", attempt.settled_at or now
            else:
                settle_attempt(session, attempt, answer, now)
            return attempt.status


def catch_up_actions(session: Session, now: datetime, limit: int = 100) -> tuple[int, int]:
    """Reminders and expiries due and not done (their delayed messages lost): (reminded, failed)."""
    waiting = session.scalars(
        select(Pledge.id).where(Pledge.payment_status == "action_needed").order_by(Pledge.action_expires_at).limit(limit)
    ).all()
    reminded = failed = 0
    for pledge_id in waiting:
        if expire(session, pledge_id, now):
            failed += 1
            continue
        for number in range(1, len(reminder_days()) + 1):
            if remind(session, pledge_id, number, now):
                reminded += 1
    return reminded, failed


# --- Progress --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeProgress:
    """Where the close's charging stands: pledges and cents per payment status."""

    outcome: str | None
    counts: dict
    cents: dict

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def settled(self) -> int:
        return self.total - self.counts.get("to_charge", 0)

    @property
    def percent_settled(self) -> int:
        return self.settled * 100 // self.total if self.total else 100


PROGRESS_STATUSES = ("paid", "to_charge", "action_needed", "failed", "released")


def charge_progress(session: Session, campaign: Campaign) -> ChargeProgress:
    rows = session.execute(
        select(Pledge.payment_status, func.count(), func.coalesce(func.sum(Pledge.amount_cents), 0))
        .where(Pledge.campaign_id == campaign.id, Pledge.payment_status.is_not(None))
        .group_by(Pledge.payment_status)
    ).all()
    counts = {status: 0 for status in PROGRESS_STATUSES}
    cents = {status: 0 for status in PROGRESS_STATUSES}
    for status, count, total in rows:
        counts[status] = count
        cents[status] = int(total)
    return ChargeProgress(campaign.outcome, counts, cents)


# --- After a failed close --------------------------------------------------------------------------


def cards_to_detach(session: Session, campaign_id: int | None) -> list[int]:
    """Released card pledges whose card is still saved (of one campaign, or of all)."""
    query = select(Pledge.id).where(Pledge.payment_status == "released", Pledge.method == "card",
                                    Pledge.stripe_payment_method_id.is_not(None), Pledge.card_detached_at.is_(None))
    if campaign_id is not None:
        query = query.where(Pledge.campaign_id == campaign_id)
    return list(session.scalars(query.order_by(Pledge.id)))


def detach_card(db, payments: Payments, pledge_id: int, now: datetime) -> bool:
    """Forget a released pledge's saved card at Stripe, once."""
    with db.unit_of_work() as session:
        pledge = session.get(Pledge, pledge_id)
        if pledge is None or pledge.payment_status != "released" or not pledge.stripe_payment_method_id \
                or pledge.card_detached_at is not None:
            return False
        payment_method = pledge.stripe_payment_method_id
    payments.detach_payment_method(payment_method)
    with db.unit_of_work() as session:
        session.get(Pledge, pledge_id, with_for_update=True).card_detached_at = now
    return True
