"""Stripe's webhooks (`POST /api/stripe/webhook`): what Stripe tells us, each event once.

The signature is checked on the raw body by the adapter (`Payments.read_webhook`, 300 s
tolerance) before anything here runs: a forged or stale one is a 400 and changes nothing. Each
event's id is recorded in the same transaction as its effect, so a replay finds it and does
nothing; two deliveries at once meet on its primary key. Events may come in any order: each
effect only ever moves a pledge forward (pledges.apply_setup_intent), so a late or repeated one
changes nothing.

Handled today: `setup_intent.succeeded` (a card saved: the pledge is confirmed) and
`setup_intent.setup_failed` (the reason is kept for the backer). Every other event is recorded
and left alone; charges and refunds (the next issue) add theirs to HANDLED.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from services.crowdfunding import pledges
from services.crowdfunding.models import StripeEvent
from services.crowdfunding.payments import SetupIntent, WebhookEvent


@dataclass(frozen=True)
class Handled:
    outcome: str
    detach: str | None = None  # a saved card nothing will use, to forget after the commit


def _setup_intent(session: Session, event: WebhookEvent, now: datetime) -> Handled:
    result = pledges.apply_setup_intent(session, SetupIntent.of(event.object), now)
    described = result.outcome if result.pledge is None else f"pledge {result.pledge.id}: {result.outcome}"
    return Handled(described, result.detach)


HANDLED = {
    "setup_intent.succeeded": _setup_intent,
    "setup_intent.setup_failed": _setup_intent,
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
