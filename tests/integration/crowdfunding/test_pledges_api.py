"""Pledges through the API against a real localstripe: a card saved with a SetupIntent that the
server checks itself, bank transfers marked received by the fund manager, changes and
cancellations until the close, and every refusal."""
from datetime import datetime, timedelta, timezone

import pytest
import stripe
from sqlalchemy import func, select

from services.crowdfunding import schedule
from services.crowdfunding.models import Pledge, StripeCustomer
from shared.core.outbox import OutboxMessage
from tests.integration.crowdfunding.campaign_setup import TIER, backer, live
from tests.integration.crowdfunding.closing_setup import intents_at_localstripe
from tests.stripe_js import DECLINED, confirm_card_setup


def _events(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return [row.payload for row in session.scalars(select(OutboxMessage).where(OutboxMessage.name == name)
                                                       .order_by(OutboxMessage.id))]


def _pledge(client, campaign_id, headers, **body):
    return client.post(f"/api/campaigns/{campaign_id}/pledges", json={"method": "card", **body}, headers=headers)


@pytest.fixture
def campaign(crowdfunding_app):
    return live(crowdfunding_app)


def test_a_card_pledge_is_confirmed_once_its_setup_intent_has_succeeded(crowdfunding_app, campaign, localstripe):
    client = crowdfunding_app.test_client()
    bea, headers = backer(crowdfunding_app, "bea@example.org", "Béa Durand", "en")
    created = _pledge(client, campaign["id"], headers, amount_cents=2_500, tier_id=campaign["tier_ids"][0],
                      public_name=True)
    assert created.status_code == 201
    pledge = created.get_json()
    assert pledge["status"] == "pending" and pledge["method"] == "card" and pledge["hold_until"]
    assert pledge["reference"].startswith("CF-")

    # The server makes the Customer and the SetupIntent (off_session); asked again, the same ones.
    setup = client.post(f"/api/pledges/{pledge['id']}/card", headers=headers).get_json()
    assert setup["setup_intent_id"].startswith("seti_") and setup["client_secret"].startswith(setup["setup_intent_id"])
    assert setup["js_url"] == f"{localstripe}/js.stripe.com/v3/" and setup["publishable_key"].startswith("pk_test_")
    assert client.post(f"/api/pledges/{pledge['id']}/card", headers=headers).get_json() == setup
    stripe_client = stripe.StripeClient("sk_test_check", base_addresses={"api": localstripe})
    intent = stripe_client.v1.setup_intents.retrieve(setup["setup_intent_id"])
    assert intent.usage == "off_session" and intent.customer.startswith("cus_")
    assert intent.metadata["pledge_id"] == str(pledge["id"])

    # Before the card is entered, the server does not take the page's word for it.
    waiting = client.post(f"/api/pledges/{pledge['id']}/confirm", headers=headers).get_json()
    assert waiting["outcome"] == "waiting" and waiting["pledge"]["status"] == "pending"

    # Stripe.js saves the card in the browser; the page says so; the server checks with Stripe.
    assert confirm_card_setup(setup)["status"] == "succeeded"
    confirmed = client.post(f"/api/pledges/{pledge['id']}/confirm", headers=headers).get_json()
    assert confirmed["outcome"] == "confirmed"
    assert confirmed["pledge"]["status"] == "confirmed" and confirmed["pledge"]["card_last4"] == "4242"
    again = client.post(f"/api/pledges/{pledge['id']}/confirm", headers=headers).get_json()
    assert again["outcome"] == "already_confirmed"
    # Nothing is charged before the close: no PaymentIntent at Stripe (localstripe is the session's:
    # other tests' charges are there, none for this pledge).
    assert intents_at_localstripe(localstripe, [pledge["reference"]]) == []

    [receipt] = _events(crowdfunding_app, "pledge.confirmed")
    assert receipt["email"] == bea.email and receipt["language"] == "en"
    assert receipt["campaign_title"] == "A record for La Criée" and receipt["tier_title"] == "The record"
    assert receipt["amount_cents"] == 2_500 and receipt["method"] == "card"
    page = client.get(f"/api/campaigns/{campaign['id']}").get_json()
    assert page["progress"]["pledged_cents"] == 2_500 and page["progress"]["backers"] == 1
    assert page["public_backers"] == ["Béa Durand"] and page["tiers"][0]["places_left"] == 9

    # A second card pledge of hers reuses her Customer.
    second = _pledge(client, campaign["id"], headers, amount_cents=1_000).get_json()
    second_setup = client.post(f"/api/pledges/{second['id']}/card", headers=headers).get_json()
    assert stripe_client.v1.setup_intents.retrieve(second_setup["setup_intent_id"]).customer == intent.customer
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(StripeCustomer)) == 1


def test_a_declined_card_leaves_the_pledge_pending_with_the_reason(crowdfunding_app, campaign):
    client = crowdfunding_app.test_client()
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    pledge = _pledge(client, campaign["id"], headers, amount_cents=2_000).get_json()
    setup = client.post(f"/api/pledges/{pledge['id']}/card", headers=headers).get_json()
    assert confirm_card_setup(setup, DECLINED)["error"]["code"] == "card_declined"
    outcome = client.post(f"/api/pledges/{pledge['id']}/confirm", headers=headers).get_json()
    assert outcome["pledge"]["status"] == "pending"
    assert _events(crowdfunding_app, "pledge.confirmed") == []


def test_a_transfer_pledge_counts_once_the_fund_manager_marks_it_received(crowdfunding_app, campaign):
    client = crowdfunding_app.test_client()
    bea, headers = backer(crowdfunding_app, "bea@example.org")
    created = _pledge(client, campaign["id"], headers, amount_cents=5_000, method="transfer")
    assert created.status_code == 201
    pledge = created.get_json()
    assert pledge["status"] == "awaiting_transfer" and pledge["hold_until"] is None
    # The platform's IBAN and the pledge's own reference, to write on the transfer.
    assert pledge["transfer"] == {"iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPPXXX",
                                  "holder": "Tremplin – financement participatif", "reference": pledge["reference"]}
    assert client.get(f"/api/campaigns/{campaign['id']}").get_json()["progress"]["pledged_cents"] == 0
    # A transfer needs no card.
    assert client.post(f"/api/pledges/{pledge['id']}/card", headers=headers).status_code == 409

    manager_headers = campaign["manager_headers"]
    awaited = client.get("/api/manage/transfers", headers=manager_headers).get_json()
    assert [(item["reference"], item["backer_email"], item["amount_cents"]) for item in awaited] == [
        (pledge["reference"], bea.email, 5_000)]
    received = client.post(f"/api/manage/pledges/{pledge['id']}/transfer-received", headers=manager_headers)
    assert received.status_code == 200 and received.get_json()["status"] == "confirmed"
    assert client.post(f"/api/manage/pledges/{pledge['id']}/transfer-received", headers=manager_headers).status_code == 409
    assert client.get("/api/manage/transfers", headers=manager_headers).get_json() == []
    assert client.get(f"/api/campaigns/{campaign['id']}").get_json()["progress"]["pledged_cents"] == 5_000
    [receipt] = _events(crowdfunding_app, "pledge.confirmed")
    assert receipt["method"] == "transfer" and receipt["reference"] == pledge["reference"]
    # Only the fund manager marks transfers.
    assert client.post(f"/api/manage/pledges/{pledge['id']}/transfer-received",
                       headers=campaign["owner_headers"]).status_code == 403


def test_a_transfer_not_received_by_the_close_is_cancelled(crowdfunding_app, campaign):
    client = crowdfunding_app.test_client()
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    transfer = _pledge(client, campaign["id"], headers, amount_cents=5_000, method="transfer").get_json()
    card = _pledge(client, campaign["id"], headers, amount_cents=2_000, tier_id=campaign["tier_ids"][0]).get_json()
    ends_at = datetime.fromisoformat(campaign["ends_at"])
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert schedule.end_due(session, ends_at - timedelta(seconds=1)) == []
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert schedule.end_due(session, ends_at) == [campaign["id"]]
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert schedule.end_due(session, ends_at + timedelta(minutes=1)) == []
        assert session.get(Pledge, transfer["id"]).cancel_reason == "transfer_not_received"
        assert session.get(Pledge, card["id"]).status == "cancelled"  # its card was never saved
    [cancelled] = _events(crowdfunding_app, "pledge.cancelled")
    assert cancelled["pledge_id"] == transfer["id"] and cancelled["reason"] == "transfer_not_received"
    # Too late for the fund manager too.
    late = client.post(f"/api/manage/pledges/{transfer['id']}/transfer-received", headers=campaign["manager_headers"])
    assert late.status_code == 409


def test_a_backer_changes_and_cancels_until_the_close(crowdfunding_app, campaign):
    client = crowdfunding_app.test_client()
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    tier_id = campaign["tier_ids"][0]
    pledge = _pledge(client, campaign["id"], headers, amount_cents=5_000, method="transfer").get_json()
    address = f"/api/pledges/{pledge['id']}"

    changed = client.patch(address, json={"amount_cents": 3_000, "tier_id": tier_id, "public_name": True}, headers=headers)
    assert changed.status_code == 200
    assert (changed.get_json()["amount_cents"], changed.get_json()["tier_id"]) == (3_000, tier_id)
    [event] = _events(crowdfunding_app, "pledge.changed")
    assert event["previous_amount_cents"] == 5_000 and event["previous_tier_title"] is None
    assert event["tier_title"] == "Le disque"
    # The same again changes nothing and announces nothing.
    assert client.patch(address, json={"amount_cents": 3_000}, headers=headers).status_code == 200
    assert len(_events(crowdfunding_app, "pledge.changed")) == 1
    # Below the tier's minimum, with or without a new amount.
    below = client.patch(address, json={"amount_cents": 1_999}, headers=headers)
    assert below.status_code == 422 and below.get_json()["errors"]["json"]["amount_cents"] == [
        "This reward asks for at least €20.00."]
    assert client.patch(address, json={"tier_id": None}, headers=headers).get_json()["tier_id"] is None

    cancelled = client.post(f"{address}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    [event] = _events(crowdfunding_app, "pledge.cancelled")
    assert event["reason"] == "backer"
    assert client.post(f"{address}/cancel", headers=headers).status_code == 409
    assert client.patch(address, json={"amount_cents": 4_000}, headers=headers).status_code == 409


def test_pledge_refusals(crowdfunding_app, campaign):
    client = crowdfunding_app.test_client()
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    tier_id = campaign["tier_ids"][0]

    def refused(status, **body):
        answer = _pledge(client, campaign["id"], headers, **body)
        assert answer.status_code == status, answer.get_json()
        return answer.get_json()

    assert set(refused(422, amount_cents=99)["errors"]["json"]) == {"amount_cents"}  # under €1
    assert set(refused(422, amount_cents=-500)["errors"]["json"]) == {"amount_cents"}
    assert set(refused(422, amount_cents=12.5)["errors"]["json"]) == {"amount_cents"}  # whole cents
    assert set(refused(422, amount_cents="25")["errors"]["json"]) == {"amount_cents"}
    below = refused(422, amount_cents=1_999, tier_id=tier_id)
    assert below["errors"]["json"]["amount_cents"] == ["This reward asks for at least €20.00."]
    assert set(refused(422, amount_cents=2_000, method="cheque")["errors"]["json"]) == {"method"}
    assert set(refused(422, amount_cents=2_000, public_name="yes")["errors"]["json"]) == {"public_name"}
    # A tier of another campaign is no tier of this one.
    other = live(crowdfunding_app, owner_email="otto@example.org", tiers=(TIER,))
    assert set(refused(422, amount_cents=2_000, tier_id=other["tier_ids"][0])["errors"]["json"]) == {"tier_id"}
    assert _pledge(client, 999_999, headers, amount_cents=2_000).status_code == 404
    # Only backers pledge.
    assert _pledge(client, campaign["id"], campaign["owner_headers"], amount_cents=2_000).status_code == 403
    assert _pledge(client, campaign["id"], {}, amount_cents=2_000).status_code == 401


def test_a_backer_sees_only_their_own_pledges(crowdfunding_app, campaign):
    client = crowdfunding_app.test_client()
    _bea, bea = backer(crowdfunding_app, "bea@example.org")
    _carl, carl = backer(crowdfunding_app, "carl@example.org")
    pledge = _pledge(client, campaign["id"], bea, amount_cents=2_000, method="transfer").get_json()
    address = f"/api/pledges/{pledge['id']}"
    assert client.get(address, headers=bea).status_code == 200
    for method, path, body in (("get", address, None), ("patch", address, {"amount_cents": 3_000}),
                               ("post", f"{address}/cancel", None), ("post", f"{address}/card", None),
                               ("post", f"{address}/confirm", None)):
        assert getattr(client, method)(path, json=body, headers=carl).status_code == 404, path
    assert client.get("/api/pledges", headers=carl).get_json() == []
    assert [item["id"] for item in client.get("/api/pledges", headers=bea).get_json()] == [pledge["id"]]
    # The owner reads the campaign's pledges and backers, and their spreadsheet.
    listed = client.get(f"/api/campaigns/{campaign['id']}/pledges", headers=campaign["owner_headers"]).get_json()
    assert [(item["backer_email"], item["status"]) for item in listed] == [("bea@example.org", "awaiting_transfer")]
    sheet = client.get(f"/api/campaigns/{campaign['id']}/pledges.csv", headers=campaign["owner_headers"])
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    text = sheet.get_data().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Référence;Statut;Contributeur;E-mail")
    assert f"{pledge['reference']};Virement attendu;Béa;bea@example.org;non;20,00;;Virement;" in text
    assert client.get(f"/api/campaigns/{campaign['id']}/pledges", headers=bea).status_code == 403


def test_a_campaign_that_is_not_live_takes_no_pledge(crowdfunding_app):
    now = datetime.now(timezone.utc)
    later = live(crowdfunding_app, starts_at=(now + timedelta(days=1)).isoformat(),
                 ends_at=(now + timedelta(days=20)).isoformat())
    client = crowdfunding_app.test_client()
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    assert _pledge(client, later["id"], headers, amount_cents=2_000).status_code == 404
