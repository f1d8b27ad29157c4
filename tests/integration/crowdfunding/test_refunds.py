"""Refunds, the cancellation of a successful campaign, the owner's statement and the payout,
through the API against a real localstripe: a refund in part then the rest, never more than was
paid, each with its own key; a backer's request within the window, approved or refused; a
cancellation refunds every paid pledge (by the worker's use case) and charges nothing more; the
statement's figures and CSV say Stripe's fees were not reported (localstripe reports none); the
payout recorded once. Every route refuses the other roles."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.crowdfunding import closing, refunds, schedule
from services.crowdfunding.config import settings, stripe_settings
from services.crowdfunding.models import Pledge, Refund
from services.crowdfunding.payments import Payments
from shared.core.outbox import OutboxMessage
from shared.core.pacing import Pace
from tests.integration.crowdfunding.campaign_setup import backer, live, owner
from tests.integration.crowdfunding.closing_setup import end_now, pledge_row, saved_card_pledge, stripe_client


def _events(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return [row.payload for row in session.scalars(select(OutboxMessage).where(OutboxMessage.name == name)
                                                       .order_by(OutboxMessage.id))]


@pytest.fixture
def paid(crowdfunding_app, localstripe):
    """A successful campaign: two card pledges paid, one still to charge, one transfer received."""
    campaign = live(crowdfunding_app, goal_cents=1_000)
    client = crowdfunding_app.test_client()
    first = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000)
    second = saved_card_pledge(crowdfunding_app, campaign["id"], "carl@example.org", 2_000)
    waiting = saved_card_pledge(crowdfunding_app, campaign["id"], "dan@example.org", 1_500)
    _tess, tess_headers = backer(crowdfunding_app, "tess@example.org")
    transfer = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=tess_headers,
                           json={"amount_cents": 5_000, "method": "transfer"}).get_json()
    assert client.post(f"/api/manage/pledges/{transfer['id']}/transfer-received",
                       headers=campaign["manager_headers"]).status_code == 200
    end_now(crowdfunding_app, campaign["id"])
    db = crowdfunding_app.extensions["db"]
    schedule.advance(db.unit_of_work, datetime.now(timezone.utc))
    pace = Pace.from_settings(settings(), "stripe-tests", 50)
    for pledge in (first, second):
        assert closing.charge_pledge(db, Payments(stripe_settings()), pace, pledge["id"],
                                     datetime.now(timezone.utc)).outcome == "paid"
    return {"campaign": campaign, "first": first, "second": second, "waiting": waiting,
            "transfer": {**transfer, "headers": tess_headers}, "pace": pace}


def _refunds_at_stripe(localstripe, app, pledge_id):
    with app.extensions["db"].unit_of_work() as session:
        intent = session.scalar(select(closing.ChargeAttempt.payment_intent_id).where(
            closing.ChargeAttempt.pledge_id == pledge_id, closing.ChargeAttempt.status == "succeeded"))
    return stripe_client(localstripe).v1.refunds.list(params={"payment_intent": intent}).data


def test_the_fund_manager_refunds_in_part_then_the_rest_never_more(crowdfunding_app, localstripe, paid):
    client = crowdfunding_app.test_client()
    manager = paid["campaign"]["manager_headers"]
    url = f"/api/manage/pledges/{paid['first']['id']}/refunds"
    part = client.post(url, headers=manager, json={"amount_cents": 1_000, "reason": "Disque rayé"})
    assert part.status_code == 201, part.get_json()
    assert (part.get_json()["status"], part.get_json()["amount_cents"]) == ("succeeded", 1_000)
    too_much = client.post(url, headers=manager, json={"amount_cents": 2_001, "reason": "Encore"})
    assert too_much.status_code == 422
    assert "20,00" in str(too_much.get_json()) or "20.00" in str(too_much.get_json())
    assert client.post(url, headers=manager, json={"reason": ""}).status_code == 422
    rest = client.post(url, headers=manager, json={"reason": "Le reste"}).get_json()
    assert (rest["status"], rest["amount_cents"]) == ("succeeded", 2_000)
    assert client.post(url, headers=manager, json={"reason": "Encore"}).status_code == 422
    row = pledge_row(crowdfunding_app, paid["first"]["id"])
    assert (row.paid_cents, row.refunded_cents) == (3_000, 3_000)
    made = _refunds_at_stripe(localstripe, crowdfunding_app, paid["first"]["id"])
    assert sorted(r.amount for r in made) == [1_000, 2_000]
    assert {r.metadata["refund_key"] for r in made} == {
        f"tremplin-pledge-{row.id}-{row.reference}-refund-{part.get_json()['id']}",
        f"tremplin-pledge-{row.id}-{row.reference}-refund-{rest['id']}"}
    events = _events(crowdfunding_app, "pledge.refunded")
    assert [(e["refund_cents"], e["refunded_total_cents"], e["fully_refunded"]) for e in events] == [
        (1_000, 1_000, False), (2_000, 3_000, True)]
    # Not paid yet, or unknown: refused; the owner and a backer may not refund.
    waiting = client.post(f"/api/manage/pledges/{paid['waiting']['id']}/refunds", headers=manager,
                          json={"reason": "x"})
    assert waiting.status_code == 409
    assert client.post("/api/manage/pledges/9999/refunds", headers=manager, json={"reason": "x"}).status_code == 404
    assert client.post(url, headers=paid["campaign"]["owner_headers"], json={"reason": "x"}).status_code == 403
    assert client.post(url, headers=paid["first"]["headers"], json={"reason": "x"}).status_code == 403
    assert client.get(url, headers=manager).status_code == 200


def test_a_backer_asks_and_the_fund_manager_approves_or_refuses(crowdfunding_app, localstripe, paid, monkeypatch):
    client = crowdfunding_app.test_client()
    manager = paid["campaign"]["manager_headers"]
    asked = client.post(f"/api/pledges/{paid['second']['id']}/refund-requests", headers=paid["second"]["headers"],
                        json={"reason": "Je ne pourrai pas venir"})
    assert asked.status_code == 201 and asked.get_json()["status"] == "requested"
    assert client.post(f"/api/pledges/{paid['second']['id']}/refund-requests", headers=paid["second"]["headers"],
                       json={"reason": "Encore"}).status_code == 409
    # Another backer's pledge does not exist for her.
    assert client.post(f"/api/pledges/{paid['second']['id']}/refund-requests", headers=paid["first"]["headers"],
                       json={"reason": "x"}).status_code == 404
    listed = client.get("/api/manage/refunds", headers=manager).get_json()
    assert [r["id"] for r in listed] == [asked.get_json()["id"]]
    assert client.get("/api/manage/refunds", headers=paid["second"]["headers"]).status_code == 403
    decision = f"/api/manage/refunds/{asked.get_json()['id']}/decision"
    assert client.post(decision, headers=paid["campaign"]["owner_headers"], json={"decision": "approved"}).status_code == 403
    assert client.post(decision, headers=manager, json={"decision": "maybe"}).status_code == 422
    approved = client.post(decision, headers=manager, json={"decision": "approved"}).get_json()
    assert approved["status"] == "succeeded"
    assert client.post(decision, headers=manager, json={"decision": "refused"}).status_code == 409
    assert pledge_row(crowdfunding_app, paid["second"]["id"]).refunded_cents == 2_000

    # The transfer's backer asks too and is refused; after the window nobody may ask.
    request = client.post(f"/api/pledges/{paid['transfer']['id']}/refund-requests", headers=paid["transfer"]["headers"],
                          json={"reason": "Erreur", "amount_cents": 1_000}).get_json()
    refused = client.post(f"/api/manage/refunds/{request['id']}/decision", headers=manager,
                          json={"decision": "refused", "reason": "Contrepartie déjà envoyée"}).get_json()
    assert (refused["status"], refused["refusal_reason"]) == ("refused", "Contrepartie déjà envoyée")
    monkeypatch.setenv("REFUND_REQUEST_DAYS", "0")
    late = client.post(f"/api/pledges/{paid['transfer']['id']}/refund-requests", headers=paid["transfer"]["headers"],
                       json={"reason": "Trop tard"})
    assert late.status_code == 409
    assert late.get_json()["message"] == "Refunds may be asked for within 0 days of the payment."


def test_cancelling_a_successful_campaign_refunds_every_paid_pledge_and_charges_nothing_more(
        crowdfunding_app, localstripe, paid):
    client = crowdfunding_app.test_client()
    manager = paid["campaign"]["manager_headers"]
    url = f"/api/manage/campaigns/{paid['campaign']['id']}/cancel"
    assert client.post(url, headers=paid["campaign"]["owner_headers"], json={"reason": "x"}).status_code == 403
    assert client.post(url, headers=manager, json={}).status_code == 422
    cancelled = client.post(url, headers=manager, json={"reason": "Le porteur abandonne le projet"})
    assert cancelled.status_code == 200 and cancelled.get_json()["outcome"] == "cancelled"
    assert client.post(url, headers=manager, json={"reason": "Encore"}).status_code == 409
    db = crowdfunding_app.extensions["db"]
    # The worker sends the refunds (here its use cases, as its sweeper does).
    with db.unit_of_work() as session:
        due = refunds.refunds_to_send(session, datetime.now(timezone.utc), 120)
    assert len(due) == 3
    for refund_id in due:
        assert refunds.send_refund(db, Payments(stripe_settings()), paid["pace"], refund_id,
                                   datetime.now(timezone.utc)) == "succeeded"
    for key in ("first", "second", "transfer"):
        row = pledge_row(crowdfunding_app, paid[key]["id"])
        assert row.refunded_cents == row.paid_cents > 0
    waiting = pledge_row(crowdfunding_app, paid["waiting"]["id"])
    assert (waiting.payment_status, waiting.paid_cents) == ("released", 0)
    assert closing.charge_pledge(db, Payments(stripe_settings()), paid["pace"], paid["waiting"]["id"],
                                 datetime.now(timezone.utc)).outcome == "not_to_charge"
    assert len(_refunds_at_stripe(localstripe, crowdfunding_app, paid["first"]["id"])) == 1
    [event] = _events(crowdfunding_app, "campaign.cancelled")
    assert event["reason"] == "Le porteur abandonne le projet" and len(event["recipients"]) == 4
    assert len(_events(crowdfunding_app, "pledge.refunded")) == 3


def test_the_statement_and_the_payout(crowdfunding_app, localstripe, paid, monkeypatch):
    client = crowdfunding_app.test_client()
    campaign_id = paid["campaign"]["id"]
    manager, owner_headers = paid["campaign"]["manager_headers"], paid["campaign"]["owner_headers"]
    assert client.post(f"/api/manage/pledges/{paid['first']['id']}/refunds", headers=manager,
                       json={"amount_cents": 500, "reason": "Retard"}).status_code == 201
    monkeypatch.setenv("PLATFORM_FEE_PERCENT", "2.5")
    figures = client.get(f"/api/campaigns/{campaign_id}/statement", headers=owner_headers).get_json()
    assert figures == {
        "pledged_cents": 11_500, "paid_cents": 10_000, "failed_cents": 0, "refunded_cents": 500,
        "pending_cents": 1_500, "stripe_fee_cents": None, "stripe_fee_reported": False,
        "stripe_fee_known_cents": 0, "platform_fee_percent": "2.5", "platform_fee_cents": 238, "net_cents": 9_262,
    }
    csv = client.get(f"/api/campaigns/{campaign_id}/statement.csv", headers=manager)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert "Non communiqués par Stripe" in text and "92,62" in text
    _otto, otto = owner(crowdfunding_app, "otto@example.org")
    assert client.get(f"/api/campaigns/{campaign_id}/statement", headers=otto).status_code == 404
    assert client.get(f"/api/campaigns/{campaign_id}/statement", headers=paid["first"]["headers"]).status_code == 403

    payout = f"/api/manage/campaigns/{campaign_id}/payout"
    assert client.post(payout, headers=owner_headers, json={"amount_cents": 100, "reference": "x"}).status_code == 403
    assert client.post(payout, headers=manager, json={"amount_cents": 9_263, "reference": "VIR-1"}).status_code == 422
    recorded = client.post(payout, headers=manager, json={"amount_cents": 9_262, "reference": "VIR-2026-12"})
    assert recorded.status_code == 200 and recorded.get_json()["payout_cents"] == 9_262
    assert client.post(payout, headers=manager, json={"amount_cents": 1, "reference": "VIR-2"}).status_code == 409
    assert "VIR-2026-12" in client.get(f"/api/campaigns/{campaign_id}/statement.csv", headers=owner_headers).get_data(as_text=True)


def test_no_statement_before_a_successful_close(crowdfunding_app):
    campaign = live(crowdfunding_app)
    client = crowdfunding_app.test_client()
    answer = client.get(f"/api/campaigns/{campaign['id']}/statement", headers=campaign["owner_headers"])
    assert answer.status_code == 409 and answer.get_json()["message"] == "The statement comes after a successful close."
