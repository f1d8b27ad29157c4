"""Refunds of paid pledges, and the cancellation of a successful campaign.

- The fund manager refunds a paid pledge in full or in part, with a reason (`refund_pledge`).
- A backer asks for a refund within REFUND_REQUEST_DAYS of being charged (`request_refund`); the
  fund manager approves or refuses it (`decide_refund`).
- The fund manager cancels a successful campaign (`cancel_campaign`): every paid pledge is refunded
  what is left of it, nothing more is charged, and the backers are told (`campaign.cancelled`).

An approved refund is recorded first (the pledge's row locked: refunds never add up to more than
was paid), then sent to Stripe by `send_refund` under the pledge's advisory lock, with the key
`tremplin-pledge-<id>-<reference>-refund-<refund id>`; `sent_at` is committed before the call, so
a resumed send looks for the refund carrying its key before making one (localstripe ignores
keys). The request sends a single refund itself; the worker sends the cancellation's, and any
left behind. A transfer's refund is paid back by bank transfer: it is recorded, not sent.
`charge.refunded` (webhooks.py) completes a refund whose answer was lost, once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from services.crowdfunding import campaigns, closing
from services.crowdfunding.config import SERVICE, refund_request_days
from services.crowdfunding.models import Campaign, ChargeAttempt, Pledge, Refund
from services.crowdfunding.payments import Payments, PaymentsUnavailable, StripeRefund
from shared.core.outbox import publish
from shared.core.refusal import Refusal

NOT_FOUND = "There is no such refund."
PLEDGE_NOT_FOUND = "There is no such pledge."
NOT_PAID = "This pledge was not paid: there is nothing to refund."
TOO_MUCH = "At most %(left)s is left to refund on this pledge."
ALREADY_DECIDED = "This refund request has already been decided."
WINDOW_CLOSED = "Refunds may be asked for within %(days)s days of the payment."
ALREADY_ASKED = "You have already asked for a refund of this pledge."
NOT_SUCCEEDED = "Only a successful campaign can be cancelled."


def _left(session: Session, pledge: Pledge) -> int:
    """What may still be refunded: paid, less refunds made or on their way."""
    engaged = session.scalar(select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
        Refund.pledge_id == pledge.id, Refund.status.in_(("approved", "succeeded")))) or 0
    return pledge.paid_cents - int(engaged)


def refund_key(pledge: Pledge, refund_id: int) -> str:
    return f"tremplin-pledge-{pledge.id}-{pledge.reference}-refund-{refund_id}"


def _new_refund(session: Session, pledge: Pledge, amount_cents: int, reason: str, status: str, by: int,
                now: datetime) -> Refund:
    refund = Refund(pledge_id=pledge.id, amount_cents=amount_cents, reason=reason, status=status,
                    requested_by=by, requested_at=now, idempotency_key=f"pending-{pledge.id}-{now.timestamp()}-{by}")
    if status == "approved":
        refund.decided_by, refund.decided_at = by, now
    session.add(refund)
    session.flush()
    refund.idempotency_key = refund_key(pledge, refund.id)
    return refund


def _paid_pledge(session: Session, pledge_id: int) -> Pledge:
    pledge = session.get(Pledge, pledge_id, with_for_update=True)
    if pledge is None:
        raise Refusal.not_found(PLEDGE_NOT_FOUND)
    if pledge.payment_status != "paid" or pledge.paid_cents <= 0:
        raise Refusal(409, NOT_PAID)
    return pledge


def _check_amount(session: Session, pledge: Pledge, amount_cents: int | None) -> int:
    left = _left(session, pledge)
    amount = left if amount_cents is None else amount_cents
    if amount <= 0 or amount > left:
        from shared.core.money import Money

        raise Refusal.invalid("amount_cents", TOO_MUCH, left=Money(max(left, 0)))
    return amount


def refund_pledge(session: Session, manager_id: int, pledge_id: int, amount_cents: int | None, reason: str,
                  now: datetime) -> Refund:
    """The fund manager refunds a paid pledge (all that is left of it when no amount is given)."""
    pledge = _paid_pledge(session, pledge_id)
    amount = _check_amount(session, pledge, amount_cents)
    return _new_refund(session, pledge, amount, reason, "approved", manager_id, now)


def request_refund(session: Session, account_id: int, pledge_id: int, amount_cents: int | None, reason: str,
                   now: datetime) -> Refund:
    """A backer asks for a refund of their paid pledge, within the window."""
    pledge = session.get(Pledge, pledge_id, with_for_update=True)
    if pledge is None or pledge.account_id != account_id:
        raise Refusal.not_found(PLEDGE_NOT_FOUND)
    if pledge.payment_status != "paid" or pledge.paid_cents <= 0:
        raise Refusal(409, NOT_PAID)
    days = refund_request_days()
    if now > pledge.paid_at + timedelta(days=days):
        raise Refusal(409, WINDOW_CLOSED, values={"days": f"{days:g}"})
    if session.scalar(select(Refund.id).where(Refund.pledge_id == pledge.id, Refund.status == "requested")):
        raise Refusal(409, ALREADY_ASKED)
    amount = _check_amount(session, pledge, amount_cents)
    return _new_refund(session, pledge, amount, reason, "requested", account_id, now)


def decide_refund(session: Session, manager_id: int, refund_id: int, decision: str, reason: str | None,
                  now: datetime) -> Refund:
    refund = session.get(Refund, refund_id, with_for_update=True)
    if refund is None:
        raise Refusal.not_found(NOT_FOUND)
    if refund.status != "requested":
        raise Refusal(409, ALREADY_DECIDED)
    pledge = session.get(Pledge, refund.pledge_id, with_for_update=True)
    refund.decided_by, refund.decided_at = manager_id, now
    if decision == "refused":
        refund.status = "refused"
        refund.refusal_reason = reason
        return refund
    # Approved: still no more than is left (a refund may have been made since it was asked for).
    if refund.amount_cents > _left(session, pledge):
        from shared.core.money import Money

        raise Refusal.about("amount_cents", 409, TOO_MUCH, left=Money(max(_left(session, pledge), 0)))
    refund.status = "approved"
    return refund


def requested_refunds(session: Session) -> list[Refund]:
    return list(session.scalars(
        select(Refund).where(Refund.status == "requested")
        .options(selectinload(Refund.pledge).selectinload(Pledge.campaign), selectinload(Refund.pledge).selectinload(Pledge.backer))
        .order_by(Refund.requested_at)
    ))


def pledge_refunds(session: Session, pledge_id: int) -> list[Refund]:
    return list(session.scalars(select(Refund).where(Refund.pledge_id == pledge_id).order_by(Refund.id)))


# --- Sending -------------------------------------------------------------------------------------


def send_refund(db, payments: Payments, pace, refund_id: int, now: datetime) -> str:
    """Send an approved refund once (see the module's text). PaymentsUnavailable: tried again."""
    with db.unit_of_work() as session:
        refund = session.get(Refund, refund_id)
        if refund is None:
            return "unknown"
        pledge_id = refund.pledge_id
    with closing.pledge_lock(db.engine, pledge_id):
        with db.unit_of_work() as session:
            refund = session.get(Refund, refund_id, populate_existing=True)
            if refund.status != "approved":
                return refund.status
            pledge = session.get(Pledge, pledge_id, populate_existing=True)
            if pledge.method == "transfer":
                return _succeeded(session, refund, None, now)
            attempt = session.scalar(select(ChargeAttempt).where(
                ChargeAttempt.pledge_id == pledge_id, ChargeAttempt.status == "succeeded"))
            intent_id, key, sent = attempt.payment_intent_id, refund.idempotency_key, refund.sent_at is not None
            metadata = {"pledge_id": str(pledge.id), "refund_key": key, "reason": refund.reason[:500]}
            amount = refund.amount_cents
        made: StripeRefund | None = None
        if sent:
            pace.acquire(30)
            made = payments.find_refund(intent_id, key)
        if made is None:
            if not pace.acquire(30):
                raise TimeoutError("no Stripe slot")
            with db.unit_of_work() as session:
                session.get(Refund, refund_id, populate_existing=True).sent_at = now
            try:
                made = payments.create_refund(payment_intent_id=intent_id, amount_cents=amount, metadata=metadata,
                                              idempotency_key=key)
            except PaymentsUnavailable as error:
                with db.unit_of_work() as session:
                    session.get(Refund, refund_id, populate_existing=True).error_message = str(error)[:500]
                raise
        with db.unit_of_work() as session:
            refund = session.get(Refund, refund_id, populate_existing=True)
            return apply_stripe_refund(session, refund, made, now)


def apply_stripe_refund(session: Session, refund: Refund, made: StripeRefund, now: datetime) -> str:
    """Stripe's word on a refund (its answer, or `charge.refunded`): once."""
    if refund.stripe_refund_id is None:
        refund.stripe_refund_id = made.id
    if refund.status != "approved":
        return "already_" + refund.status
    if made.status in ("succeeded", "pending"):
        return _succeeded(session, refund, made.id, now)
    if made.status in ("failed", "canceled"):
        refund.status = "failed"
        refund.error_message = f"Stripe: {made.status}"
        return "failed"
    return "waiting"


def _succeeded(session: Session, refund: Refund, stripe_id: str | None, now: datetime) -> str:
    pledge = session.get(Pledge, refund.pledge_id, with_for_update=True)
    refund.status = "succeeded"
    refund.refunded_at = now
    pledge.refunded_cents += refund.amount_cents
    attempt = closing.latest_attempt(session, pledge.id)
    ref = closing._settled_ref(session, pledge, attempt) if attempt else _transfer_ref(session, pledge)
    publish(session, SERVICE, "pledge.refunded", 1, {
        **ref,
        "refund_id": refund.id, "refund_cents": refund.amount_cents, "refunded_total_cents": pledge.refunded_cents,
        "fully_refunded": pledge.refunded_cents >= pledge.paid_cents, "reason": refund.reason, "refunded_at": now,
    })
    return "succeeded"


def _transfer_ref(session: Session, pledge: Pledge) -> dict:
    from services.crowdfunding.pledges import _event_ref

    return {**_event_ref(session, pledge), "backer_account_id": pledge.account_id, "attempt": 0}


def refunds_to_send(session: Session, now: datetime, stale_seconds: float, limit: int = 200) -> list[int]:
    """Approved refunds never given to the worker, or given long ago and still not done."""
    stale = now - timedelta(seconds=stale_seconds)
    due = session.scalars(
        select(Refund).where(Refund.status == "approved", (Refund.queued_at.is_(None)) | (Refund.queued_at <= stale))
        .order_by(Refund.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    for refund in due:
        refund.queued_at = now
    return [refund.id for refund in due]


# --- Cancelling a successful campaign ------------------------------------------------------------


def cancel_campaign(session: Session, manager_id: int, campaign_id: int, reason: str, now: datetime) -> Campaign:
    """Every paid pledge refunded what is left of it, nothing more charged, the backers told."""
    campaign = campaigns.get_campaign(session, campaign_id, lock=True)
    if campaign.outcome != "succeeded":
        raise Refusal(409, NOT_SUCCEEDED)
    campaign.outcome = "cancelled"
    campaign.cancelled_at, campaign.cancelled_by, campaign.cancel_reason = now, manager_id, reason
    counted = session.scalars(
        select(Pledge).where(Pledge.campaign_id == campaign.id, Pledge.payment_status.is_not(None))
        .order_by(Pledge.id).with_for_update()
    ).all()
    for pledge in counted:
        if pledge.payment_status in ("to_charge", "action_needed"):
            pledge.payment_status = "released"
        elif pledge.payment_status == "paid":
            left = _left(session, pledge)
            if left > 0:
                _new_refund(session, pledge, left, reason, "approved", manager_id, now)
    confirmed = [pledge for pledge in counted if pledge.status == "confirmed"]
    publish(session, SERVICE, "campaign.cancelled", 1, {
        **closing.closed_facts(session, campaign, confirmed, now), "cancelled_at": now, "reason": reason,
        "recipients": closing.backers_of(session, confirmed),
    })
    return campaign
