"""Stripe's webhooks at /api/stripe/webhook: the signature checked on the raw body (forged,
tampered, missing or older than 300 s: 400 and nothing changes), each event id processed once
(a replay, or two deliveries at once, has no second effect), and events in any order.

The SetupIntents are real ones of localstripe's; the events around them are signed here with the
webhook secret, as Stripe signs them (localstripe's own deliveries are followed end to end in the
browser journey, through the running platform)."""
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe
from sqlalchemy import func, select

from services.crowdfunding.config import stripe_settings
from services.crowdfunding.models import Pledge, StripeEvent
from shared.core.outbox import OutboxMessage
from tests.integration.crowdfunding.campaign_setup import backer, live
from tests.stripe_js import DECLINED, confirm_card_setup

WEBHOOK = "/api/stripe/webhook"


def event(type_: str, intent: dict, created: int | None = None, event_id: str | None = None) -> bytes:
    return json.dumps({
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": type_, "api_version": "2017-08-15",
        "created": created or int(time.time()), "livemode": False, "data": {"object": intent},
    }).encode()


def deliver(client, payload: bytes, secret: str | None = None, timestamp: int | None = None, signature: str | None = None):
    header = signature or stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret or stripe_settings().webhook_secret, timestamp)
    return client.post(WEBHOOK, data=payload, headers={"Stripe-Signature": header, "Content-Type": "application/json"})


def _state(app, pledge_id):
    with app.extensions["db"].unit_of_work() as session:
        pledge = session.get(Pledge, pledge_id)
        confirmations = session.scalar(select(func.count()).select_from(OutboxMessage)
                                       .where(OutboxMessage.name == "pledge.confirmed"))
        recorded = session.scalar(select(func.count()).select_from(StripeEvent))
        return pledge.status, confirmations, recorded


@pytest.fixture
def pending(crowdfunding_app, localstripe):
    """A card pledge whose card Stripe.js has just saved; the page never told the server."""
    campaign = live(crowdfunding_app)
    client = crowdfunding_app.test_client()
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    pledge = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=headers,
                         json={"amount_cents": 3_000, "method": "card"}).get_json()
    setup = client.post(f"/api/pledges/{pledge['id']}/card", headers=headers).get_json()
    assert confirm_card_setup(setup)["status"] == "succeeded"
    intent = stripe.StripeClient("sk_test_x", base_addresses={"api": localstripe}).v1.setup_intents.retrieve(
        setup["setup_intent_id"]).to_dict()
    return {"pledge": pledge, "intent": intent, "headers": headers}


def test_the_webhook_confirms_a_pledge_and_a_replay_changes_nothing(crowdfunding_app, pending):
    client = crowdfunding_app.test_client()
    payload = event("setup_intent.succeeded", pending["intent"])
    first = deliver(client, payload)
    assert first.status_code == 200 and first.get_json()["outcome"] == f"pledge {pending['pledge']['id']}: confirmed"
    assert _state(crowdfunding_app, pending["pledge"]["id"]) == ("confirmed", 1, 1)
    replay = deliver(client, payload)
    assert replay.status_code == 200 and replay.get_json()["outcome"] == "replayed"
    # The same event id with a new signature is still the same event.
    later = deliver(client, payload, timestamp=int(time.time()) + 5)
    assert later.get_json()["outcome"] == "replayed"
    assert _state(crowdfunding_app, pending["pledge"]["id"]) == ("confirmed", 1, 1)
    # The page's own check afterwards finds it done.
    outcome = client.post(f"/api/pledges/{pending['pledge']['id']}/confirm", headers=pending["headers"]).get_json()
    assert outcome["outcome"] == "already_confirmed"


def test_forged_tampered_missing_or_stale_signatures_get_400_and_change_nothing(crowdfunding_app, pending):
    client = crowdfunding_app.test_client()
    payload = event("setup_intent.succeeded", pending["intent"])
    forged = deliver(client, payload, secret="whsec_someone_else")
    assert forged.status_code == 400
    assert forged.get_json()["message"] == "This webhook's signature is missing, forged or too old."
    signed = stripe.WebhookSignature.generate_signature_header(payload.decode(), stripe_settings().webhook_secret)
    tampered = payload.replace(b"setup_intent.succeeded", b"setup_intent.succeeded ")
    assert deliver(client, tampered, signature=signed).status_code == 400
    assert client.post(WEBHOOK, data=payload, headers={"Content-Type": "application/json"}).status_code == 400
    assert deliver(client, payload, timestamp=int(time.time()) - 301).status_code == 400
    assert deliver(client, b"not json", signature="t=1,v1=00").status_code == 400
    assert _state(crowdfunding_app, pending["pledge"]["id"]) == ("pending", 0, 0)
    # Within the tolerance, the same event is accepted.
    assert deliver(client, payload, timestamp=int(time.time()) - 290).status_code == 200
    assert _state(crowdfunding_app, pending["pledge"]["id"]) == ("confirmed", 1, 1)


def test_two_deliveries_of_one_event_at_once_apply_it_once(crowdfunding_app, pending):
    payload = event("setup_intent.succeeded", pending["intent"])

    def post(_):
        return deliver(crowdfunding_app.test_client(), payload).get_json()["outcome"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(post, range(6)))
    assert outcomes.count(f"pledge {pending['pledge']['id']}: confirmed") == 1
    assert outcomes.count("replayed") == 5
    assert _state(crowdfunding_app, pending["pledge"]["id"]) == ("confirmed", 1, 1)


def test_events_out_of_order_never_move_a_pledge_back(crowdfunding_app, pending):
    client = crowdfunding_app.test_client()
    now = int(time.time())
    succeeded = event("setup_intent.succeeded", pending["intent"], created=now)
    # An older failure (a first card declined, say) arrives after the success.
    failed_intent = {**pending["intent"], "status": "requires_payment_method",
                     "last_setup_error": {"code": "card_declined", "message": "Your card was declined."}}
    failed = event("setup_intent.setup_failed", failed_intent, created=now - 60)
    assert deliver(client, succeeded).status_code == 200
    late = deliver(client, failed)
    assert late.status_code == 200 and late.get_json()["outcome"].endswith("already_confirmed")
    assert _state(crowdfunding_app, pending["pledge"]["id"]) == ("confirmed", 1, 2)


def test_a_failure_before_the_success_keeps_the_reason_then_confirms(crowdfunding_app, pending):
    client = crowdfunding_app.test_client()
    failed_intent = {**pending["intent"], "status": "requires_payment_method",
                     "last_setup_error": {"code": "card_declined", "message": "Your card was declined."}}
    assert deliver(client, event("setup_intent.setup_failed", failed_intent)).get_json()["outcome"].endswith("card_refused")
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert session.get(Pledge, pending["pledge"]["id"]).card_error == "Your card was declined."
    assert deliver(client, event("setup_intent.succeeded", pending["intent"])).get_json()["outcome"].endswith("confirmed")
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        pledge = session.get(Pledge, pending["pledge"]["id"])
        assert (pledge.status, pledge.card_error) == ("confirmed", None)


def test_a_card_saved_for_a_pledge_cancelled_meanwhile_leaves_it_cancelled(crowdfunding_app, pending):
    client = crowdfunding_app.test_client()
    cancel = client.post(f"/api/pledges/{pending['pledge']['id']}/cancel", headers=pending["headers"])
    assert cancel.status_code == 200
    late = deliver(client, event("setup_intent.succeeded", pending["intent"]))
    assert late.get_json()["outcome"] == f"pledge {pending['pledge']['id']}: cancelled"
    assert _state(crowdfunding_app, pending["pledge"]["id"]) == ("cancelled", 0, 1)


def test_the_webhook_may_come_before_the_server_kept_the_setup_intent(crowdfunding_app, localstripe):
    campaign = live(crowdfunding_app)
    client = crowdfunding_app.test_client()
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    pledge = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=headers,
                         json={"amount_cents": 3_000, "method": "card"}).get_json()
    stripe_client = stripe.StripeClient("sk_test_x", base_addresses={"api": localstripe})
    customer = stripe_client.v1.customers.create(params={"email": "bea@example.org"})

    def intent_for(reference):
        made = stripe_client.v1.setup_intents.create(params={
            "customer": customer.id, "usage": "off_session",
            "metadata": {"pledge_id": str(pledge["id"]), "reference": reference}})
        return stripe_client.v1.setup_intents.confirm(made.id, params={"payment_method": "pm_card_visa"}).to_dict()

    # Another reference: not our pledge's, whatever its metadata says.
    impostor = deliver(client, event("setup_intent.succeeded", intent_for("CF-WRONG")))
    assert impostor.status_code == 200 and impostor.get_json()["outcome"] == "not_ours"
    real = intent_for(pledge["reference"])
    assert deliver(client, event("setup_intent.succeeded", real)).get_json()["outcome"].endswith("confirmed")
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        kept = session.get(Pledge, pledge["id"])
        assert (kept.status, kept.stripe_setup_intent_id) == ("confirmed", real["id"])


def test_other_events_are_recorded_and_left_alone(crowdfunding_app):
    answer = deliver(crowdfunding_app.test_client(), event("customer.created", {"id": "cus_123", "object": "customer"}))
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "ignored"
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        [recorded] = session.scalars(select(StripeEvent)).all()
        assert (recorded.type, recorded.object_id, recorded.outcome) == ("customer.created", "cus_123", "ignored")


def test_a_declined_card_event_from_localstripe_itself_keeps_the_pledge_pending(crowdfunding_app, localstripe):
    campaign = live(crowdfunding_app)
    client = crowdfunding_app.test_client()
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    pledge = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=headers,
                         json={"amount_cents": 3_000, "method": "card"}).get_json()
    setup = client.post(f"/api/pledges/{pledge['id']}/card", headers=headers).get_json()
    assert confirm_card_setup(setup, DECLINED)["error"]["code"] == "card_declined"
    intent = stripe.StripeClient("sk_test_x", base_addresses={"api": localstripe}).v1.setup_intents.retrieve(
        setup["setup_intent_id"]).to_dict()
    answer = deliver(client, event("setup_intent.setup_failed", intent))
    assert answer.status_code == 200
    assert _state(crowdfunding_app, pledge["id"])[0] == "pending"
