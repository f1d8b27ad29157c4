"""Campaigns at their close for the tests: card pledges whose cards are saved at a real
localstripe, made as the pledge page makes them (`saved_card_pledge`) or, for many at once,
written straight into the database with a real Customer and card at localstripe (`many_card_pledges`);
the end time brought to now; and what localstripe holds."""
from __future__ import annotations

import urllib.request
import json
from datetime import datetime, timedelta, timezone

import stripe
from sqlalchemy import select, update

from services.crowdfunding.models import Campaign, ChargeAttempt, Pledge
from services.crowdfunding.pledges import new_reference
from tests.integration.crowdfunding.campaign_setup import backer
from tests.stripe_js import VISA, confirm_card_setup

AUTHENTICATION = "4000002760003184"  # localstripe: charged off-session, the bank asks for 3-D Secure
DECLINED_AT_CHARGE = "4000000000000341"  # saved, then declined when charged


def stripe_client(localstripe: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_tests", base_addresses={"api": localstripe})


def saved_card_pledge(app, campaign_id: int, email: str, amount_cents: int, number: str = VISA,
                      language: str = "fr", tier_id: int | None = None) -> dict:
    """A card pledge confirmed through the API, its card saved by Stripe.js's calls (a card asking
    for authentication is authenticated, as the backer would in the modal)."""
    client = app.test_client()
    _someone, headers = backer(app, email, language=language)
    body = {"amount_cents": amount_cents, "method": "card"}
    if tier_id:
        body["tier_id"] = tier_id
    created = client.post(f"/api/campaigns/{campaign_id}/pledges", headers=headers, json=body)
    assert created.status_code == 201, created.get_json()
    pledge = created.get_json()
    setup = client.post(f"/api/pledges/{pledge['id']}/card", headers=headers).get_json()
    answer = confirm_card_setup(setup, number)
    if answer.get("status") == "requires_action":
        base = setup["js_url"].replace("/js.stripe.com/v3/", "")
        request = urllib.request.Request(
            f"{base}/v1/setup_intents/{setup['setup_intent_id']}/confirm", method="POST",
            data=json.dumps({"key": setup["publishable_key"], "client_secret": setup["client_secret"],
                             "use_stripe_sdk": True}).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
    assert answer["status"] == "succeeded", answer
    confirmed = client.post(f"/api/pledges/{pledge['id']}/confirm", headers=headers).get_json()
    assert confirmed["outcome"] == "confirmed", confirmed
    return {**pledge, "headers": headers}


def many_card_pledges(app, localstripe: str, campaign_id: int, count: int, amount_cents: int = 1_000) -> list[int]:
    """`count` confirmed card pledges of one backer, each with its own card saved at localstripe."""
    someone, _headers = backer(app, "many@example.org")
    client = stripe_client(localstripe)
    customer = client.v1.customers.create(params={"email": "many@example.org"})
    now = datetime.now(timezone.utc)
    ids = []
    with app.extensions["db"].unit_of_work() as session:
        for _ in range(count):
            method = client.v1.payment_methods.create(params={"type": "card", "card": {
                "number": VISA, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
            client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
            pledge = Pledge(campaign_id=campaign_id, account_id=someone.id, amount_cents=amount_cents,
                            public_name=False, method="card", status="confirmed", reference=new_reference(),
                            stripe_customer_id=customer.id, stripe_payment_method_id=method.id, card_last4="4242",
                            confirmed_at=now)
            session.add(pledge)
            session.flush()
            ids.append(pledge.id)
    return ids


def end_now(app, campaign_id: int, seconds_ago: float = 1) -> None:
    """The campaign's end time brought to a moment ago (as if its time had come)."""
    with app.extensions["db"].unit_of_work() as session:
        session.execute(update(Campaign).where(Campaign.id == campaign_id).values(
            ends_at=datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)))


def pledge_row(app, pledge_id: int) -> Pledge:
    with app.extensions["db"].unit_of_work() as session:
        return session.get(Pledge, pledge_id)


def campaign_row(app, campaign_id: int) -> Campaign:
    with app.extensions["db"].unit_of_work() as session:
        return session.get(Campaign, campaign_id)


def attempts(app, pledge_id: int) -> list[ChargeAttempt]:
    with app.extensions["db"].unit_of_work() as session:
        return list(session.scalars(select(ChargeAttempt).where(ChargeAttempt.pledge_id == pledge_id)
                                    .order_by(ChargeAttempt.number)))


def intents_at_localstripe(localstripe: str, references) -> list[dict]:
    """localstripe's PaymentIntents made for these pledges (by their references in the metadata)."""
    wanted = set(references)
    found, after = [], None
    client = stripe_client(localstripe)
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        page = client.v1.payment_intents.list(params=params)
        for intent in page.data:
            data = intent.to_dict()
            if (data.get("metadata") or {}).get("reference") in wanted:
                found.append(data)
        if not page.has_more or not page.data:
            return found
        after = page.data[-1].id


def references(app, pledge_ids) -> list[str]:
    with app.extensions["db"].unit_of_work() as session:
        return list(session.scalars(select(Pledge.reference).where(Pledge.id.in_(list(pledge_ids)))))
