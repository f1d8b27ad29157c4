"""Stripe's webhooks (`POST /api/stripe/webhook`): what Stripe tells us, each event once.

The signature is checked on the raw body by the adapter (`Payments.read_webhook`, 300 s
tolerance) before anything here runs: a forged or stale one is a 400 and changes nothing. Each
event's id is recorded in the same transaction as its effect, so a replay finds it and does
nothing; two deliveries at once meet on its primary key. Events may come in any order: each
effect only ever moves a pledge forward (pledges.apply_setup_intent), so a late or repeated one
changes nothing.

Handled:
- `setup_intent.succeeded` (a card saved: the pledge is confirmed) and `setup_intent.setup_failed`
  (the reason is kept for the backer);
- `payment_intent.succeeded`, `payment_intent.payment_failed`, `payment_intent.requires_action`:
  what the worker (or the recovery page) saw, or would have seen had its answer not been lost.
  The attempt is found by its PaymentIntent id, or by the attempt's key in the metadata when the
  worker died before keeping the id; the pledge's advisory lock is taken first (closing.py), so a
  worker and a webhook never settle one pledge at once; `closing.settle_attempt` only moves
  forward, so a webhook about a pledge the worker already settled changes nothing;
- `charge.refunded`: each refund in it completes our record of it, once (refunds.apply_stripe_refund).
Every other event is recorded and left alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sqlalchemy import select

from services.crowdfunding import closing, pledges, refunds
from services.crowdfunding.models import ChargeAttempt, Refund, StripeEvent
from services.crowdfunding.payments import PaymentIntent, SetupIntent, StripeRefund, WebhookEvent


@dataclass(frozen=True)
class Handled:
    outcome: str
    detach: str | None = None  # a saved card nothing will use, to forget after the commit


def _setup_intent(session: Session, event: WebhookEvent, now: datetime) -> Handled:
    result = pledges.apply_setup_intent(session, SetupIntent.of(event.object), now)
    described = result.outcome if result.pledge is None else f"pledge {result.pledge.id}: {result.outcome}"
    return Handled(described, result.detach)


def _attempt_of(session: Session, intent: PaymentIntent) -> ChargeAttempt | None:
    attempt = session.scalar(select(ChargeAttempt).where(ChargeAttempt.payment_intent_id == intent.id))
    if attempt is None and intent.metadata.get("attempt_key"):
        attempt = session.scalar(select(ChargeAttempt).where(
            ChargeAttempt.idempotency_key == intent.metadata["attempt_key"]))
        if attempt is not None and attempt.payment_intent_id not in (None, intent.id):
            return None  # the key of another PaymentIntent's attempt: not ours to settle
    return attempt


def _payment_intent(session: Session, event: WebhookEvent, now: datetime) -> Handled:
    intent = PaymentIntent.of(event.object)
    found = _attempt_of(session, intent)
    if found is None:
        return Handled("not ours")
    closing.lock_in_transaction(session, found.pledge_id)
    attempt = session.get(ChargeAttempt, found.id, populate_existing=True)
    if attempt.payment_intent_id not in (None, intent.id):
        return Handled("not ours")
    charged = closing.settle_attempt(session, attempt, intent, now)
    return Handled(f"pledge {attempt.pledge_id}: {charged.outcome}")


def _charge_refunded(session: Session, event: WebhookEvent, now: datetime) -> Handled:
    refunds_data = (event.object.get("refunds") or {}).get("data") or []
    outcomes = []
    for data in refunds_data:
        made = StripeRefund.of(data)
        refund = session.scalar(select(Refund).where(Refund.stripe_refund_id == made.id))
        if refund is None and made.metadata.get("refund_key"):
            refund = session.scalar(select(Refund).where(Refund.idempotency_key == made.metadata["refund_key"]))
        if refund is None:
            outcomes.append(f"{made.id}: not ours")
            continue
        closing.lock_in_transaction(session, refund.pledge_id)
        session.refresh(refund)
        outcomes.append(f"refund {refund.id}: {refunds.apply_stripe_refund(session, refund, made, now)}")
    return Handled("; ".join(outcomes) or "no refund in it")


HANDLED = {
    "setup_intent.succeeded": _setup_intent,
    "setup_intent.setup_failed": _setup_intent,
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "payment_intent.requires_action": _payment_intent,
    "charge.refunded": _charge_refunded,
}


def already_processed(session: Session, event_id: str) -> bool:
    return session.get(StripeEvent, event_id) is not None


def handle_event(session: Session, event: WebhookEvent, now: datetime) -> Handled:
    """Apply one verified event once; a replay answers "replayed" and does nothing."""
    if already_processed(session, event.id):
        return Handled("replayed")
    record = StripeEvent(id=event.id, type=event.type, object_id=event.object.get("id"), created=event.created,
                         received_at=now, outcome="")
    session.add(record)
    # Flushed first: two deliveries of one event at once meet on the primary key here.
    session.flush()
    handler = HANDLED.get(event.type)
    handled = handler(session, event, now) if handler else Handled("ignored")
    record.outcome = handled.outcome[:100]
    return handled
