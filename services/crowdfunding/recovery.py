"""The recovery page's use cases: a backer whose bank said no at the close finishes paying,
on-session, before the pledge's deadline.

- **Authentication asked** (`authentication_required`): the page gets the PaymentIntent's client
  secret (`payment_state`) and Stripe.js completes 3-D Secure with it (`confirmCardPayment`); the
  page then asks the server to check (`check_payment`), which reads the PaymentIntent at Stripe
  itself. The webhook `payment_intent.succeeded` does the same, whichever comes first.
- **Declined** (`card_declined`, `insufficient_funds`, `expired_card`...): the backer enters
  another card on the same page (a SetupIntent for their Customer, `new_card`), and the server
  charges it on-session in a new attempt (`pay_with_card`); a bank asking for authentication then
  gets it through Stripe.js as above.
Every step takes the pledge's advisory lock (closing.pledge_lock): the worker, a webhook and the
page never settle one pledge at once. Another backer's pledge is a 404.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.crowdfunding import closing
from services.crowdfunding.models import ChargeAttempt, Pledge
from services.crowdfunding.payments import Payments, PaymentsUnavailable
from services.crowdfunding.pledges import STRIPE_DOWN, CardSetup, get_own_pledge
from shared.core.refusal import Refusal

NOT_NEEDED = "This pledge needs nothing more from you."
EXPIRED = "The time to finish this payment has passed: the pledge no longer counts."
NOT_YOUR_CARD = "This card was not saved for this pledge."
CARD_NOT_SAVED = "Your card is not saved yet: enter it in the card field."


@dataclass(frozen=True)
class PaymentState:
    """What the recovery page shows, and what Stripe.js needs."""

    pledge: Pledge
    reason: str | None
    expires_at: datetime | None
    # Set when the bank asks for authentication of the latest attempt (Stripe.js confirmCardPayment).
    client_secret: str | None
    payment_method_id: str | None
    publishable_key: str
    js_url: str

    @property
    def needs_authentication(self) -> bool:
        return self.client_secret is not None


def _needing(session, account_id: int, pledge_id: int, now: datetime) -> Pledge:
    pledge = get_own_pledge(session, account_id, pledge_id)
    if pledge.payment_status != "action_needed":
        raise Refusal(409, EXPIRED if pledge.payment_status == "failed" else NOT_NEEDED)
    if now >= pledge.action_expires_at:
        raise Refusal(409, EXPIRED)
    return pledge


def payment_state(units, payments: Payments, account_id: int, pledge_id: int) -> PaymentState:
    """The pledge as its backer sees it on the recovery page (any payment status)."""
    with units() as session:
        pledge = get_own_pledge(session, account_id, pledge_id)
        attempt = closing.latest_attempt(session, pledge_id)
        ask = (pledge.payment_status == "action_needed" and attempt is not None and attempt.payment_intent_id
               and attempt.status == "requires_action")
        intent_id = attempt.payment_intent_id if ask else None
        method = attempt.payment_method_id if attempt else None
    secret = None
    if intent_id:
        try:
            intent = payments.retrieve_payment_intent(intent_id)
        except PaymentsUnavailable:
            raise Refusal(503, STRIPE_DOWN, headers={"Retry-After": "30"}) from None
        if intent.status in ("requires_action", "requires_payment_method", "requires_confirmation"):
            secret = intent.client_secret
    return PaymentState(pledge=pledge, reason=pledge.action_reason, expires_at=pledge.action_expires_at,
                        client_secret=secret, payment_method_id=method, publishable_key=payments.publishable_key,
                        js_url=payments.js_url)


def check_payment(db, payments: Payments, account_id: int, pledge_id: int, now: datetime) -> closing.Charged:
    """The page says Stripe.js is done: the server reads the latest attempt's PaymentIntent itself."""
    with db.unit_of_work() as session:
        pledge = get_own_pledge(session, account_id, pledge_id)
        if pledge.payment_status == "paid":
            return closing.Charged("already_paid")
        _needing(session, account_id, pledge_id, now)
    with closing.pledge_lock(db.engine, pledge_id):
        with db.unit_of_work() as session:
            attempt = closing.latest_attempt(session, pledge_id)
            intent_id = attempt.payment_intent_id if attempt else None
        if intent_id is None:
            return closing.Charged("waiting")
        try:
            intent = payments.retrieve_payment_intent(intent_id)
        except PaymentsUnavailable:
            raise Refusal(503, STRIPE_DOWN, headers={"Retry-After": "30"}) from None
        with db.unit_of_work() as session:
            attempt = session.get(ChargeAttempt, attempt.id, populate_existing=True)
            return closing.settle_attempt(session, attempt, intent, now)


def new_card(units, payments: Payments, account_id: int, pledge_id: int, now: datetime) -> CardSetup:
    """A SetupIntent for another card, for the backer's Customer (Stripe.js saves the card with it)."""
    with units() as session:
        pledge = _needing(session, account_id, pledge_id, now)
        customer_id, reference, campaign_id = pledge.stripe_customer_id, pledge.reference, pledge.campaign_id
        attempts = closing.latest_attempt(session, pledge_id).number
    try:
        intent = payments.create_setup_intent(
            customer_id=customer_id, pledge_id=pledge_id, reference=reference, campaign_id=campaign_id,
            idempotency_key=f"tremplin-pledge-{pledge_id}-{reference}-recovery-card-{attempts}-{now.timestamp()}",
        )
    except PaymentsUnavailable:
        raise Refusal(503, STRIPE_DOWN, headers={"Retry-After": "30"}) from None
    return CardSetup(pledge_id=pledge_id, setup_intent_id=intent.id, client_secret=intent.client_secret,
                     publishable_key=payments.publishable_key, js_url=payments.js_url)


@dataclass(frozen=True)
class CardPayment:
    outcome: str  # paid, already_paid, requires_action, card_refused, waiting
    client_secret: str | None = None  # requires_action: for Stripe.js
    payment_method_id: str | None = None
    message: str | None = None


def pay_with_card(db, payments: Payments, account_id: int, pledge_id: int, setup_intent_id: str,
                  now: datetime) -> CardPayment:
    """Charge the card just saved on the recovery page, on-session, in a new attempt."""
    with db.unit_of_work() as session:
        pledge = _needing(session, account_id, pledge_id, now)
        customer_id = pledge.stripe_customer_id
    try:
        setup = payments.retrieve_setup_intent(setup_intent_id)
    except PaymentsUnavailable:
        raise Refusal(503, STRIPE_DOWN, headers={"Retry-After": "30"}) from None
    if setup.customer != customer_id or setup.metadata.get("pledge_id") != str(pledge_id):
        raise Refusal.invalid("setup_intent_id", NOT_YOUR_CARD)
    if not setup.succeeded or not setup.payment_method:
        raise Refusal(409, setup.last_error or CARD_NOT_SAVED)
    with closing.pledge_lock(db.engine, pledge_id):
        with db.unit_of_work() as session:
            last = closing.latest_attempt(session, pledge_id)
            lost = (last.id, last.idempotency_key) if last is not None and last.status == "requested" \
                and last.payment_intent_id is None else None
        if lost is not None:
            # An earlier try's answer was lost: what did Stripe make of it, before trying again?
            try:
                found = payments.find_payment_intent(customer_id, lost[1])
            except PaymentsUnavailable:
                raise Refusal(503, STRIPE_DOWN, headers={"Retry-After": "30"}) from None
            with db.unit_of_work() as session:
                earlier = session.get(ChargeAttempt, lost[0], populate_existing=True)
                if found is None:
                    earlier.status, earlier.settled_at = "canceled", now  # never made: nothing to settle
                elif closing.settle_attempt(session, earlier, found, now).outcome in ("paid", "already_paid"):
                    return CardPayment("paid")
        with db.unit_of_work() as session:
            pledge = _needing(session, account_id, pledge_id, now)
            attempt = closing.new_attempt(session, pledge, setup.payment_method, off_session=False)
            attempt.status = "requested"
            attempt.requested_at = now
            attempt_id, key = attempt.id, attempt.idempotency_key
            metadata = closing.attempt_metadata(pledge, attempt)
            amount = attempt.amount_cents
            pledge.stripe_payment_method_id = setup.payment_method
        try:
            answer = payments.create_payment_intent(
                customer_id=customer_id, payment_method_id=setup.payment_method, amount_cents=amount,
                off_session=False, metadata=metadata, idempotency_key=key)
        except PaymentsUnavailable:
            raise Refusal(503, STRIPE_DOWN, headers={"Retry-After": "30"}) from None
        except closing.ChargeRefused as refusal:
            answer = refusal
        with db.unit_of_work() as session:
            attempt = session.get(ChargeAttempt, attempt_id, populate_existing=True)
            charged = closing.settle_attempt(session, attempt, answer, now)
            status = attempt.status
            message = attempt.error_message
    if charged.outcome in ("paid", "already_paid"):
        return CardPayment(charged.outcome)
    if status == "requires_action" and not isinstance(answer, closing.ChargeRefused):
        return CardPayment("requires_action", client_secret=answer.client_secret, payment_method_id=setup.payment_method)
    if status == "failed":
        return CardPayment("card_refused", message=message)
    return CardPayment("waiting")
