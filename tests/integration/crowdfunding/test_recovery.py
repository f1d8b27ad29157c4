"""When the bank says no at the close, against a real localstripe: a card asking for
authentication leaves the pledge `action_needed` (the backer told, with the recovery page's
address), and its backer completes it on-session; a card declined when charged is replaced on the
same page; reminders at 2 and 5 days and the failure at 7, each once; the final total counts only
what was paid; another backer's recovery is a 404."""
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.crowdfunding import campaigns, closing, schedule
from services.crowdfunding.config import settings, stripe_settings
from services.crowdfunding.models import Campaign, Pledge
from services.crowdfunding.payments import Payments
from shared.core.outbox import OutboxMessage
from shared.core.pacing import Pace
from tests.integration.crowdfunding.campaign_setup import backer, live
from tests.integration.crowdfunding.closing_setup import (
    AUTHENTICATION,
    DECLINED_AT_CHARGE,
    attempts,
    end_now,
    intents_at_localstripe,
    pledge_row,
    saved_card_pledge,
)
from tests.stripe_js import VISA, confirm_card_setup

TIER = {"title_fr": "Le vinyle", "description_fr": "Le disque en vinyle.", "minimum_cents": 3_000, "quantity": 1,
        "delivery_month": "2027-06"}


def _events(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return [row.payload for row in session.scalars(select(OutboxMessage).where(OutboxMessage.name == name)
                                                       .order_by(OutboxMessage.id))]


def _close_and_charge(app, campaign_id, pledge_ids):
    db = app.extensions["db"]
    end_now(app, campaign_id)
    schedule.advance(db.unit_of_work, datetime.now(timezone.utc))
    pace = Pace.from_settings(settings(), "stripe-tests", 50)
    return {pid: closing.charge_pledge(db, Payments(stripe_settings()), pace, pid, datetime.now(timezone.utc))
            for pid in pledge_ids}


def authenticate(localstripe, client_secret, success=True):
    """What localstripe's Stripe.js does when the backer completes (or fails) 3-D Secure."""
    intent_id = client_secret.split("_secret_")[0]
    request = urllib.request.Request(
        f"{localstripe}/v1/payment_intents/{intent_id}/_authenticate?success={'true' if success else 'false'}",
        method="POST", data=json.dumps({"key": "pk_test_localstripe", "client_secret": client_secret}).encode())
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture
def refused(crowdfunding_app, localstripe):
    campaign = live(crowdfunding_app, goal_cents=1_000, tiers=(TIER,))
    ok = saved_card_pledge(crowdfunding_app, campaign["id"], "ok@example.org", 2_000)
    asks = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000, number=AUTHENTICATION,
                             tier_id=campaign["tier_ids"][0])
    declined = saved_card_pledge(crowdfunding_app, campaign["id"], "dan@example.org", 4_000, number=DECLINED_AT_CHARGE,
                                 language="en")
    outcomes = _close_and_charge(crowdfunding_app, campaign["id"], [ok["id"], asks["id"], declined["id"]])
    assert outcomes[ok["id"]].outcome == "paid"
    assert outcomes[asks["id"]].outcome == outcomes[declined["id"]].outcome == "action_needed"
    return {"campaign": campaign, "ok": ok, "asks": asks, "declined": declined}


def test_a_charge_asking_for_authentication_is_completed_on_session(crowdfunding_app, localstripe, refused):
    client = crowdfunding_app.test_client()
    asks = refused["asks"]
    row = pledge_row(crowdfunding_app, asks["id"])
    assert (row.payment_status, row.action_reason) == ("action_needed", "authentication_required")
    assert row.action_expires_at == row.action_since + timedelta(days=7)
    [told] = [e for e in _events(crowdfunding_app, "pledge.action_needed") if e["pledge_id"] == asks["id"]]
    assert told["reminder"] == 0 and told["reason"] == "authentication_required"
    assert told["action_url"].endswith(f"/pledges/{asks['id']}/pay") and told["email"] == "bea@example.org"

    state = client.get(f"/api/pledges/{asks['id']}/payment", headers=asks["headers"]).get_json()
    assert state["payment_status"] == "action_needed" and state["client_secret"].startswith("pi_")
    # Another backer cannot see it, nor act on it.
    _eve, eve_headers = backer(crowdfunding_app, "eve@example.org")
    assert client.get(f"/api/pledges/{asks['id']}/payment", headers=eve_headers).status_code == 404
    assert client.post(f"/api/pledges/{asks['id']}/payment/check", headers=eve_headers).status_code == 404
    assert client.post(f"/api/pledges/{asks['id']}/payment/card", headers=eve_headers).status_code == 404
    assert client.get(f"/api/pledges/{asks['id']}/payment",
                      headers=refused["campaign"]["owner_headers"]).status_code == 403

    assert authenticate(localstripe, state["client_secret"])["status"] == "succeeded"
    checked = client.post(f"/api/pledges/{asks['id']}/payment/check", headers=asks["headers"]).get_json()
    assert checked["outcome"] == "paid"
    row = pledge_row(crowdfunding_app, asks["id"])
    assert (row.payment_status, row.paid_cents) == ("paid", 3_000)
    assert [a.status for a in attempts(crowdfunding_app, asks["id"])] == ["succeeded"]
    assert len(intents_at_localstripe(localstripe, [row.reference])) == 1
    again = client.post(f"/api/pledges/{asks['id']}/payment/check", headers=asks["headers"]).get_json()
    assert again["outcome"] == "already_paid"
    assert [e["pledge_id"] for e in _events(crowdfunding_app, "pledge.charged")].count(asks["id"]) == 1


def test_a_declined_card_is_replaced_on_the_same_page(crowdfunding_app, localstripe, refused):
    client = crowdfunding_app.test_client()
    declined = refused["declined"]
    row = pledge_row(crowdfunding_app, declined["id"])
    assert (row.payment_status, row.action_reason) == ("action_needed", "card_declined")
    state = client.get(f"/api/pledges/{declined['id']}/payment", headers=declined["headers"]).get_json()
    assert state["client_secret"] is None and state["reason"] == "card_declined"

    # The same bad card again: refused, the pledge still waits for the backer.
    setup = client.post(f"/api/pledges/{declined['id']}/payment/card", headers=declined["headers"]).get_json()
    assert confirm_card_setup(setup, DECLINED_AT_CHARGE)["status"] == "succeeded"
    again = client.post(f"/api/pledges/{declined['id']}/payment/card/charge", headers=declined["headers"],
                        json={"setup_intent_id": setup["setup_intent_id"]}).get_json()
    assert again["outcome"] == "card_refused" and again["message"]
    assert pledge_row(crowdfunding_app, declined["id"]).payment_status == "action_needed"

    # Someone else's SetupIntent is refused, and a bad body is a 422.
    _eve, eve_headers = backer(crowdfunding_app, "eve@example.org")
    stolen = client.post(f"/api/pledges/{declined['id']}/payment/card/charge", headers=eve_headers,
                         json={"setup_intent_id": setup["setup_intent_id"]})
    assert stolen.status_code == 404
    assert client.post(f"/api/pledges/{declined['id']}/payment/card/charge", headers=declined["headers"],
                       json={}).status_code == 422
    other = client.post(f"/api/pledges/{refused['asks']['id']}/payment/card", headers=refused["asks"]["headers"]).get_json()
    wrong = client.post(f"/api/pledges/{declined['id']}/payment/card/charge", headers=declined["headers"],
                        json={"setup_intent_id": other["setup_intent_id"]})
    assert wrong.status_code == 422, wrong.get_json()
    assert wrong.get_json()["errors"]["json"]["setup_intent_id"] == ["This card was not saved for this pledge."]

    setup = client.post(f"/api/pledges/{declined['id']}/payment/card", headers=declined["headers"]).get_json()
    assert confirm_card_setup(setup, VISA)["status"] == "succeeded"
    paid = client.post(f"/api/pledges/{declined['id']}/payment/card/charge", headers=declined["headers"],
                       json={"setup_intent_id": setup["setup_intent_id"]}).get_json()
    assert paid["outcome"] == "paid"
    row = pledge_row(crowdfunding_app, declined["id"])
    assert (row.payment_status, row.paid_cents) == ("paid", 4_000)
    tried = attempts(crowdfunding_app, declined["id"])
    assert [(a.number, a.status, a.off_session) for a in tried] == [
        (1, "failed", True), (2, "failed", False), (3, "succeeded", False)]
    assert len({a.idempotency_key for a in tried}) == 3
    # Nothing more to do: the page's actions are refused.
    done = client.post(f"/api/pledges/{declined['id']}/payment/card", headers=declined["headers"])
    assert done.status_code == 409


def test_reminders_at_2_and_5_days_then_the_failure_at_7_frees_the_place(crowdfunding_app, localstripe, refused):
    db = crowdfunding_app.extensions["db"]
    asks = refused["asks"]
    since = pledge_row(crowdfunding_app, asks["id"]).action_since

    def catch_up(days):
        with db.unit_of_work() as session:
            return closing.catch_up_actions(session, since + timedelta(days=days))

    assert catch_up(1) == (0, 0)
    assert catch_up(2.01) == (2, 0)  # both pledges waiting get their first reminder
    assert catch_up(3) == (0, 0)
    assert catch_up(5.01) == (2, 0)
    assert catch_up(6.9) == (0, 0)
    assert catch_up(7.01) == (0, 2)
    assert catch_up(8) == (0, 0)
    reminders = [e["reminder"] for e in _events(crowdfunding_app, "pledge.action_needed") if e["pledge_id"] == asks["id"]]
    assert reminders == [0, 1, 2]
    row = pledge_row(crowdfunding_app, asks["id"])
    assert (row.payment_status, row.status) == ("failed", "failed")
    [failed] = [e for e in _events(crowdfunding_app, "pledge.failed") if e["pledge_id"] == asks["id"]]
    assert failed["owner"]["email"] == "olga@example.org" and failed["reason"] == "authentication_required"
    # Its tier place is free again, and the total counts only what was paid.
    with db.unit_of_work() as session:
        campaign = session.get(Campaign, refused["campaign"]["id"])
        tier_id = refused["campaign"]["tier_ids"][0]
        assert campaigns.places_left(session, campaign, datetime.now(timezone.utc))[tier_id] == 1
        progress = campaigns.campaign_progress(session, campaign, datetime.now(timezone.utc))
        assert progress.pledged_cents == 2_000
    state = crowdfunding_app.test_client().post(f"/api/pledges/{asks['id']}/payment/check", headers=asks["headers"])
    assert state.status_code == 409


def test_the_delayed_reminders_and_expiry_arrive_through_a_real_worker(crowdfunding_app, localstripe, monkeypatch,
                                                                        tmp_path):
    from tests.integration.crowdfunding.test_close import WorkerProcess

    # Days shortened to seconds: reminders after about 2 and 5 s, the failure after about 9 s (spaced
    # enough that a busy machine still delivers each reminder before the failure).
    monkeypatch.setenv("PLEDGE_REMINDER_DAYS", f"{2 / 86400},{5 / 86400}")
    monkeypatch.setenv("PLEDGE_ACTION_DAYS", f"{9 / 86400}")
    monkeypatch.setenv("CAMPAIGN_SWEEP_SECONDS", "60")  # one sweep at the start: the rest is delayed messages
    campaign = live(crowdfunding_app, goal_cents=1_000)
    asks = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000, number=AUTHENTICATION)
    end_now(crowdfunding_app, campaign["id"])
    worker = WorkerProcess(tmp_path / "worker.log")
    try:
        from tests.conftest import wait_until

        wait_until(lambda: pledge_row(crowdfunding_app, asks["id"]).payment_status == "failed", timeout=40,
                   message="failed by the delayed expiry")
        wait_until(lambda: [a.status for a in attempts(crowdfunding_app, asks["id"])] == ["canceled"], timeout=30,
                   message="its PaymentIntent cancelled by the worker after the expiry")
    finally:
        worker.stop()
    [intent] = intents_at_localstripe(localstripe, [asks["reference"]])
    assert intent["status"] == "canceled"
    reminders = [e["reminder"] for e in _events(crowdfunding_app, "pledge.action_needed")]
    assert reminders == [0, 1, 2]
    assert len(_events(crowdfunding_app, "pledge.failed")) == 1


def test_at_the_expiry_the_payment_intents_left_open_are_cancelled_at_stripe_once(crowdfunding_app, localstripe,
                                                                                  refused):
    """A failed pledge no longer counts: its PaymentIntent still waiting for 3-D Secure is cancelled
    at Stripe, so that a page left open cannot take the money. Once; a paid pledge's is left alone."""
    db = crowdfunding_app.extensions["db"]
    asks, ok = refused["asks"], refused["ok"]
    [waiting] = attempts(crowdfunding_app, asks["id"])
    assert waiting.status == "requires_action" and waiting.payment_intent_id
    with db.unit_of_work() as session:
        assert closing.intents_to_cancel(session) == []  # nothing has failed yet
        since = session.get(Pledge, asks["id"]).action_since
        assert closing.catch_up_actions(session, since + timedelta(days=7.01)) == (0, 2)
    with db.unit_of_work() as session:
        to_cancel = closing.intents_to_cancel(session)
    assert waiting.id in to_cancel
    assert not {a.id for a in attempts(crowdfunding_app, ok["id"])} & set(to_cancel)
    pace, payments = Pace.from_settings(settings(), "stripe-tests", 50), Payments(stripe_settings())
    now = datetime.now(timezone.utc)
    assert closing.cancel_intent(db, payments, pace, waiting.id, now) == "canceled"
    [intent] = intents_at_localstripe(localstripe, [asks["reference"]])
    assert intent["status"] == "canceled"
    # Once: a second try (a message sent twice) does nothing, and the list no longer has it.
    assert closing.cancel_intent(db, payments, pace, waiting.id, now) is None
    with db.unit_of_work() as session:
        assert waiting.id not in closing.intents_to_cancel(session)
    assert [a.status for a in attempts(crowdfunding_app, asks["id"])] == ["canceled"]
    assert pledge_row(crowdfunding_app, asks["id"]).payment_status == "failed"
    assert pledge_row(crowdfunding_app, ok["id"]).payment_status == "paid"
    # The backer finishing 3-D Secure on a page left open is refused by Stripe.
    with pytest.raises(urllib.error.HTTPError):
        authenticate(localstripe, intent["client_secret"])
