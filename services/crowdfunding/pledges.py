"""Pledges: a backer's promise to a live campaign, by card or by bank transfer.

- **By card**: the pledge is `pending` while the backer enters the card in the Stripe.js field of
  the pledge page; a Customer (one per backer) and a SetupIntent (`usage=off_session`) are created
  here on the server. When the SetupIntent has succeeded the pledge is `confirmed`: the server
  checks it with Stripe itself when the page says it is done, and the webhook confirms it too,
  whichever comes first (`apply_setup_intent`, idempotent). Nothing is charged before the close.
- **By transfer**: the pledge is `awaiting_transfer`, with the platform's IBAN and its unique
  reference; it counts (`confirmed`) once the fund manager marks the transfer received. One not
  received by the close is cancelled (schedule.py).

**A tier is never oversold**: a pledge on a limited tier takes the tier's row lock and counts the
places given (confirmed, transfers awaited, card pledges within their hold) before it takes one,
so pledges at once on the last place queue behind each other and only as many as there are
places get one. A card pledge keeps its place for `PLEDGE_HOLD_MINUTES` while its card is
entered; one confirmed after that takes a place only if one is left.

Stripe is called with no transaction open (a Stripe call takes up to seconds; on SQLite a
transaction holds the whole database): the use cases that call it take `units`, the caller's way
to open a unit of work (the request's, or a worker's database), and a `Payments`.
"""
from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from services.crowdfunding import campaigns, funding, matchfunding
from services.crowdfunding.config import SERVICE
from services.crowdfunding.models import Account, Campaign, Pledge, RewardTier, StripeCustomer
from services.crowdfunding.payments import Payments, PaymentsUnavailable, SetupIntent
from shared.core.config import service_public_url
from shared.core.outbox import publish
from shared.core.refusal import Refusal

Units = Callable[[], AbstractContextManager[Session]]

NOT_FOUND = "There is no such pledge."
SOLD_OUT = "This reward is sold out."
STRIPE_DOWN = "Card payments are unavailable for a moment: try again in a few minutes, or pledge by bank transfer."
# No 0, O, 1, I or L: a reference is read on a bank statement and typed again.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    return "CF-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


def pledge_url(pledge_id: int) -> str:
    return f"{service_public_url(SERVICE)}/pledges/{pledge_id}"


# --- Reading -------------------------------------------------------------------------------------


def get_own_pledge(session: Session, account_id: int, pledge_id: int, lock: bool = False) -> Pledge:
    """The backer's own pledge; another backer's is answered as if it did not exist."""
    pledge = session.get(Pledge, pledge_id, with_for_update=lock or None)
    if pledge is None or pledge.account_id != account_id:
        raise Refusal.not_found(NOT_FOUND)
    return pledge


def my_pledges(session: Session, account_id: int) -> list[Pledge]:
    return list(session.scalars(
        select(Pledge).where(Pledge.account_id == account_id)
        .options(selectinload(Pledge.campaign), selectinload(Pledge.tier))
        .order_by(Pledge.id.desc())
    ))


def campaign_pledges(session: Session, campaign_id: int) -> list[Pledge]:
    return list(session.scalars(
        select(Pledge).where(Pledge.campaign_id == campaign_id)
        .options(selectinload(Pledge.backer), selectinload(Pledge.tier))
        .order_by(Pledge.id)
    ))


def awaited_transfers(session: Session, now: datetime) -> list[Pledge]:
    """Transfers the fund manager has yet to see arrive, for campaigns not closed yet."""
    return list(session.scalars(
        select(Pledge).join(Campaign, Campaign.id == Pledge.campaign_id)
        .where(Pledge.status == "awaiting_transfer", Campaign.ends_at > now)
        .options(selectinload(Pledge.backer), selectinload(Pledge.campaign), selectinload(Pledge.tier))
        .order_by(Campaign.ends_at, Pledge.id)
    ))


def is_open(pledge: Pledge, now: datetime) -> bool:
    """Whether the backer may still change or cancel it: until the campaign's close."""
    return pledge.status in ("pending", "awaiting_transfer", "confirmed") and now < pledge.campaign.ends_at


# --- Creating ------------------------------------------------------------------------------------


def _live_campaign(session: Session, campaign_id: int, now: datetime) -> Campaign:
    campaign = campaigns.get_public_campaign(session, campaign_id, now)
    if not campaigns.accepts_pledges(campaign, now):
        raise Refusal.about("campaign_id", 409, "This campaign has ended: it no longer takes pledges.")
    return campaign


def _tier_of(session: Session, campaign: Campaign, tier_id: int | None) -> RewardTier | None:
    """The campaign's tier, its row locked until the commit (the places are counted under it)."""
    if tier_id is None:
        return None
    tier = session.get(RewardTier, tier_id, with_for_update=True)
    if tier is None or tier.campaign_id != campaign.id:
        raise Refusal.invalid("tier_id", campaigns.TIER_NOT_FOUND)
    return tier


def _check_amount(amount_cents: int, tier: RewardTier | None) -> None:
    problem = funding.amount_problem(amount_cents, tier.minimum_cents if tier else None)
    if problem is not None:
        message, values = problem
        raise Refusal.invalid("amount_cents", message, **values)


def _ensure_place(session: Session, tier: RewardTier | None, now: datetime, excluding: int | None = None) -> None:
    if tier is None or tier.quantity is None:
        return
    taken = campaigns.places_taken(session, [tier.id], now, excluding=excluding)[tier.id]
    if taken >= tier.quantity:
        raise Refusal.about("tier_id", 409, SOLD_OUT)


def create_pledge(session: Session, account_id: int, campaign_id: int, data: dict, now: datetime,
                  hold_minutes: int) -> Pledge:
    """A pledge to a live campaign (`data` validated by PledgeInputSchema): `pending` for a card,
    whose backer then enters it (`set_up_card`), `awaiting_transfer` for a bank transfer."""
    campaign = _live_campaign(session, campaign_id, now)
    tier = _tier_of(session, campaign, data.get("tier_id"))
    _check_amount(data["amount_cents"], tier)
    _ensure_place(session, tier, now)
    card = data["method"] == "card"
    pledge = Pledge(
        campaign=campaign, account_id=account_id, tier=tier, amount_cents=data["amount_cents"],
        public_name=bool(data.get("public_name")), method=data["method"],
        status="pending" if card else "awaiting_transfer", reference=new_reference(),
        hold_until=now + timedelta(minutes=hold_minutes) if card else None,
    )
    session.add(pledge)
    session.flush()
    return pledge


# --- The card ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardSetup:
    """What the pledge page needs for the Stripe.js card field."""

    pledge_id: int
    setup_intent_id: str
    client_secret: str
    publishable_key: str
    js_url: str


def _keep_customer(session: Session, account_id: int, customer_id: str) -> str:
    """The backer's Customer: the one just made, unless another request kept one first."""
    kept = session.get(StripeCustomer, account_id)
    if kept is not None:
        return kept.customer_id
    try:
        with session.begin_nested():
            session.add(StripeCustomer(account_id=account_id, customer_id=customer_id))
    except IntegrityError:
        return session.get(StripeCustomer, account_id).customer_id
    return customer_id


def set_up_card(units: Units, payments: Payments, account_id: int, pledge_id: int, now: datetime) -> CardSetup:
    """The SetupIntent of a pending card pledge, made once (its customer too) and read back after."""
    with units() as session:
        pledge = get_own_pledge(session, account_id, pledge_id)
        if pledge.method != "card":
            raise Refusal(409, "This pledge is by bank transfer: it needs no card.")
        if pledge.status != "pending":
            raise Refusal(409, "This pledge's card is already saved." if pledge.status == "confirmed"
                          else "This pledge is cancelled.")
        if not is_open(pledge, now):
            raise Refusal(409, "This campaign has ended: it no longer takes pledges.")
        known_intent = pledge.stripe_setup_intent_id
        kept = session.get(StripeCustomer, account_id)
        customer_id = pledge.stripe_customer_id or (kept.customer_id if kept else None)
        backer = session.get(Account, account_id)
        facts = {"email": backer.email, "name": backer.name, "reference": pledge.reference,
                 "campaign_id": pledge.campaign_id}
    try:
        if known_intent is not None:
            intent = payments.retrieve_setup_intent(known_intent)
        else:
            if customer_id is None:
                made = payments.create_customer(
                    account_id=account_id, email=facts["email"], name=facts["name"],
                    idempotency_key=f"tremplin-pledge-{facts['reference']}-customer",
                )
                with units() as session:
                    customer_id = _keep_customer(session, account_id, made)
            intent = payments.create_setup_intent(
                customer_id=customer_id, pledge_id=pledge_id, reference=facts["reference"],
                campaign_id=facts["campaign_id"],
                idempotency_key=f"tremplin-pledge-{pledge_id}-{facts['reference']}-setup-intent",
            )
            with units() as session:
                pledge = get_own_pledge(session, account_id, pledge_id, lock=True)
                if pledge.stripe_setup_intent_id is None:
                    pledge.stripe_customer_id = customer_id
                    pledge.stripe_setup_intent_id = intent.id
                    known_intent = None
                else:
                    known_intent = pledge.stripe_setup_intent_id  # a request at the same time kept its own
            if known_intent is not None and known_intent != intent.id:
                intent = payments.retrieve_setup_intent(known_intent)
    except PaymentsUnavailable:
        raise Refusal(503, STRIPE_DOWN, headers={"Retry-After": "30"}) from None
    return CardSetup(pledge_id=pledge_id, setup_intent_id=intent.id, client_secret=intent.client_secret,
                     publishable_key=payments.publishable_key, js_url=payments.js_url)


@dataclass(frozen=True)
class CardOutcome:
    pledge: Pledge
    outcome: str  # confirmed, already_confirmed, waiting, card_refused, cancelled, not_ours
    detach: str | None = None  # a saved card nothing will use, to forget at Stripe after the commit


def confirm_card(units: Units, payments: Payments, account_id: int, pledge_id: int, now: datetime) -> CardOutcome:
    """The pledge page says the card is saved: the server asks Stripe itself before confirming."""
    with units() as session:
        pledge = get_own_pledge(session, account_id, pledge_id)
        intent_id = pledge.stripe_setup_intent_id
        if pledge.method != "card":
            raise Refusal(409, "This pledge is by bank transfer: it needs no card.")
        if pledge.status == "confirmed":
            return CardOutcome(pledge, "already_confirmed")
        if intent_id is None:
            raise Refusal(409, "Enter the card first.")
    try:
        intent = payments.retrieve_setup_intent(intent_id)
        last4 = payments.card_last4(intent.payment_method) if intent.succeeded and intent.payment_method else None
    except PaymentsUnavailable:
        raise Refusal(503, STRIPE_DOWN, headers={"Retry-After": "30"}) from None
    with units() as session:
        result = apply_setup_intent(session, intent, now, last4=last4)
    _forget_card(payments, result.detach)
    return result


def _forget_card(payments: Payments, payment_method: str | None) -> None:
    if payment_method is None:
        return
    try:
        payments.detach_payment_method(payment_method)
    except PaymentsUnavailable:
        pass  # kept at Stripe with nothing to charge it: harmless, and logged by the adapter


def _pledge_of_intent(session: Session, intent: SetupIntent) -> Pledge | None:
    pledge = session.scalar(select(Pledge).where(Pledge.stripe_setup_intent_id == intent.id).with_for_update())
    if pledge is not None:
        return pledge
    # The webhook may come before the request that made the SetupIntent has kept its id: the
    # metadata names the pledge, and its reference proves it.
    try:
        pledge_id = int(intent.metadata.get("pledge_id", ""))
    except ValueError:
        return None
    pledge = session.get(Pledge, pledge_id, with_for_update=True)
    if pledge is None or pledge.reference != intent.metadata.get("reference") or pledge.stripe_setup_intent_id:
        return None
    pledge.stripe_setup_intent_id = intent.id
    pledge.stripe_customer_id = pledge.stripe_customer_id or intent.customer
    return pledge


def apply_setup_intent(session: Session, intent: SetupIntent, now: datetime, last4: str | None = None) -> CardOutcome:
    """What a SetupIntent's state means for its pledge, from the server's own check or from a
    webhook, in any order and any number of times: a confirmed pledge stays confirmed, a
    cancelled one stays cancelled (its card is then forgotten), a pending one is confirmed when
    the intent succeeded and a place is left for it."""
    pledge = _pledge_of_intent(session, intent)
    if pledge is None:
        return CardOutcome(None, "not_ours")
    if pledge.status == "confirmed":
        return CardOutcome(pledge, "already_confirmed")
    if pledge.status == "cancelled":
        return CardOutcome(pledge, "cancelled", detach=intent.payment_method if intent.succeeded else None)
    if not intent.succeeded:
        if intent.last_error:
            pledge.card_error = intent.last_error[:500]
            return CardOutcome(pledge, "card_refused")
        return CardOutcome(pledge, "waiting")
    campaign = campaigns.get_campaign(session, pledge.campaign_id)
    if now >= campaign.ends_at:
        _cancel(pledge, now, "ended")
        return CardOutcome(pledge, "cancelled", detach=intent.payment_method)
    tier = session.get(RewardTier, pledge.tier_id, with_for_update=True) if pledge.tier_id else None
    if pledge.hold_until is not None and pledge.hold_until <= now:
        # Its hold ran out while the card was entered: a place only if one is left.
        try:
            _ensure_place(session, tier, now, excluding=pledge.id)
        except Refusal:
            _cancel(pledge, now, "sold_out")
            return CardOutcome(pledge, "cancelled", detach=intent.payment_method)
    pledge.status = "confirmed"
    pledge.confirmed_at = now
    pledge.hold_until = None
    pledge.card_error = None
    pledge.stripe_payment_method_id = intent.payment_method
    pledge.card_last4 = last4 or pledge.card_last4
    publish(session, SERVICE, "pledge.confirmed", 1, {**_event_ref(session, pledge), "confirmed_at": now})
    matchfunding.request_match(session, pledge, now)
    return CardOutcome(pledge, "confirmed")


# --- Transfers -----------------------------------------------------------------------------------


def mark_transfer_received(session: Session, manager_id: int, pledge_id: int, now: datetime) -> Pledge:
    """The fund manager saw the transfer arrive: the pledge counts from now."""
    pledge = session.get(Pledge, pledge_id, with_for_update=True)
    if pledge is None:
        raise Refusal.not_found(NOT_FOUND)
    if pledge.method != "transfer":
        raise Refusal(409, "This pledge is by card: there is no transfer to receive.")
    if pledge.status != "awaiting_transfer":
        raise Refusal(409, "This transfer is already marked received." if pledge.status == "confirmed"
                      else "This pledge is cancelled.")
    if now >= pledge.campaign.ends_at:
        raise Refusal(409, "This campaign has closed: a transfer not received by the close is cancelled.")
    pledge.status = "confirmed"
    pledge.confirmed_at = now
    pledge.transfer_received_at = now
    pledge.transfer_received_by = manager_id
    publish(session, SERVICE, "pledge.confirmed", 1, {**_event_ref(session, pledge), "confirmed_at": now})
    matchfunding.request_match(session, pledge, now)
    return pledge


# --- Changing and cancelling ---------------------------------------------------------------------


def _ensure_open(pledge: Pledge, now: datetime) -> None:
    if pledge.status == "cancelled":
        raise Refusal(409, "This pledge is cancelled.")
    if not is_open(pledge, now):
        raise Refusal(409, "This campaign has closed: its pledges no longer change.")


def change_pledge(session: Session, account_id: int, pledge_id: int, changes: dict, now: datetime) -> Pledge:
    """Change the amount, the reward tier (None: no reward) or the name shown, until the close."""
    pledge = get_own_pledge(session, account_id, pledge_id, lock=True)
    _ensure_open(pledge, now)
    before_amount, before_tier = pledge.amount_cents, pledge.tier
    tier = before_tier
    if "tier_id" in changes and changes["tier_id"] != pledge.tier_id:
        tier = _tier_of(session, pledge.campaign, changes["tier_id"])
        _ensure_place(session, tier, now, excluding=pledge.id)
    amount = changes.get("amount_cents", pledge.amount_cents)
    _check_amount(amount, tier)
    public = changes.get("public_name", pledge.public_name)
    if (amount, tier, public) == (pledge.amount_cents, pledge.tier, pledge.public_name):
        return pledge
    pledge.amount_cents, pledge.tier, pledge.public_name = amount, tier, public
    session.flush()
    if pledge.status in ("confirmed", "awaiting_transfer"):
        backer = session.get(Account, pledge.account_id)
        publish(session, SERVICE, "pledge.changed", 1, {
            **_event_ref(session, pledge), "previous_amount_cents": before_amount,
            "previous_tier_title": before_tier.title(backer.language) if before_tier else None, "changed_at": now,
        })
    return pledge


def _cancel(pledge: Pledge, now: datetime, reason: str) -> None:
    pledge.status = "cancelled"
    pledge.cancelled_at = now
    pledge.cancel_reason = reason
    pledge.hold_until = None


def cancel_pledge(session: Session, account_id: int, pledge_id: int, now: datetime) -> Pledge:
    """The backer cancels, until the close. A pledge they were told about is announced cancelled
    (`pledge.cancelled`: the receipt, and its saved card forgotten at Stripe)."""
    pledge = get_own_pledge(session, account_id, pledge_id, lock=True)
    _ensure_open(pledge, now)
    announced = pledge.status in ("confirmed", "awaiting_transfer")
    _cancel(pledge, now, "backer")
    if announced:
        publish(session, SERVICE, "pledge.cancelled", 1,
                {**_event_ref(session, pledge), "reason": "backer", "cancelled_at": now})
    return pledge


def cancel_unreceived_transfer(session: Session, pledge: Pledge, now: datetime) -> None:
    """At the close: a transfer not received no longer counts."""
    _cancel(pledge, now, "transfer_not_received")
    publish(session, SERVICE, "pledge.cancelled", 1,
            {**_event_ref(session, pledge), "reason": "transfer_not_received", "cancelled_at": now})


def release_card_hold(pledge: Pledge, now: datetime) -> None:
    """At the close: a card never saved gives its place back (the backer never had a receipt)."""
    _cancel(pledge, now, "ended")


# --- Forgetting a cancelled pledge's card (the worker, after `pledge.cancelled`) -----------------


def forget_cancelled_card(units: Units, payments: Payments, pledge_id: int, now: datetime) -> bool:
    """Detach the saved card of a cancelled pledge at Stripe, once. Returns whether one was detached."""
    with units() as session:
        pledge = session.get(Pledge, pledge_id)
        if pledge is None or pledge.status != "cancelled" or not pledge.stripe_payment_method_id \
                or pledge.card_detached_at is not None:
            return False
        payment_method = pledge.stripe_payment_method_id
    payments.detach_payment_method(payment_method)  # PaymentsUnavailable: the actor tries again
    with units() as session:
        pledge = session.get(Pledge, pledge_id, with_for_update=True)
        pledge.card_detached_at = now
    return True


# --- Events --------------------------------------------------------------------------------------


def _event_ref(session: Session, pledge: Pledge) -> dict:
    backer = session.get(Account, pledge.account_id)
    campaign = pledge.campaign
    return {
        "email": backer.email, "name": backer.name, "language": backer.language,
        "pledge_id": pledge.id, "reference": pledge.reference,
        "campaign_id": campaign.id, "campaign_title": campaign.title(backer.language),
        "campaign_url": campaigns.campaign_url(campaign.id), "pledge_url": pledge_url(pledge.id),
        "amount_cents": pledge.amount_cents,
        "tier_title": pledge.tier.title(backer.language) if pledge.tier else None,
        "method": pledge.method, "funding_model": campaign.funding_model, "ends_at": campaign.ends_at,
    }

