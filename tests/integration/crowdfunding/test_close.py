"""The close against real PostgreSQL, Redis, localstripe and a real dramatiq worker: success and
failure for both funding models, one PaymentIntent per card pledge (customer, card, amount, eur,
its attempt's key), the close done by a worker that was down at the end time, by the delayed
message at the end time itself, a send whose answer was lost, and Redis down during the charge."""
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.crowdfunding import closing, schedule
from services.crowdfunding.config import settings
from services.crowdfunding.models import ChargeAttempt, Pledge
from services.crowdfunding.payments import Payments
from services.crowdfunding.config import stripe_settings
from shared.core.outbox import OutboxMessage
from shared.core.pacing import Pace
from tests.conftest import free_port, wait_until
from tests.integration.crowdfunding.campaign_setup import live
from tests.integration.crowdfunding.closing_setup import (
    attempts,
    campaign_row,
    end_now,
    intents_at_localstripe,
    pledge_row,
    references,
    saved_card_pledge,
    stripe_client,
)


ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker_env(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_SWEEP_SECONDS", "0.3")
    monkeypatch.setenv("CHARGE_REQUEUE_SECONDS", "5")


class WorkerProcess:
    """The crowdfunding worker as `make run` starts it: its own process (and its own broker)."""

    def __init__(self, log):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "shared.core.broker", "services.crowdfunding.actors",
             "--processes", "1", "--threads", "2"],
            cwd=ROOT, env=dict(os.environ), stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def start_worker(_broker, log="/dev/null"):
    return WorkerProcess(log)


@pytest.fixture
def crowdfunding_worker(broker, worker_env, tmp_path):
    worker = start_worker(broker, tmp_path / "worker.log")
    yield worker
    worker.stop()


def _events(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return [row.payload for row in session.scalars(select(OutboxMessage).where(OutboxMessage.name == name)
                                                       .order_by(OutboxMessage.id))]


def _all_settled(app, pledge_ids):
    return all(pledge_row(app, pid).payment_status in ("paid", "action_needed", "failed") for pid in pledge_ids)


def test_an_all_or_nothing_campaign_that_reaches_its_goal_charges_every_card_once(
        crowdfunding_app, localstripe, crowdfunding_worker):
    campaign = live(crowdfunding_app, goal_cents=5_000)
    first = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000)
    second = saved_card_pledge(crowdfunding_app, campaign["id"], "carl@example.org", 2_500, language="en")
    end_now(crowdfunding_app, campaign["id"])
    wait_until(lambda: _all_settled(crowdfunding_app, [first["id"], second["id"]]), timeout=30, message="charged")

    closed = campaign_row(crowdfunding_app, campaign["id"])
    assert (closed.status, closed.outcome, closed.closed_pledged_cents) == ("ended", "succeeded", 5_500)
    for pledge in (first, second):
        row = pledge_row(crowdfunding_app, pledge["id"])
        assert (row.payment_status, row.paid_cents) == ("paid", pledge["amount_cents"])
        [attempt] = attempts(crowdfunding_app, pledge["id"])
        assert attempt.status == "succeeded" and attempt.off_session
        assert attempt.idempotency_key == f"tremplin-pledge-{row.id}-{row.reference}-charge-1"
        intent = stripe_client(localstripe).v1.payment_intents.retrieve(attempt.payment_intent_id)
        assert (intent.amount, intent.currency, intent.customer, intent.payment_method, intent.status) == (
            pledge["amount_cents"], "eur", row.stripe_customer_id, row.stripe_payment_method_id, "succeeded")
        assert intent.metadata["attempt_key"] == attempt.idempotency_key
        # localstripe reports no fee: the statement will say "not reported", never 0.
        assert attempt.fee_cents is None
    assert len(intents_at_localstripe(localstripe, references(crowdfunding_app, [first["id"], second["id"]]))) == 2
    [succeeded] = _events(crowdfunding_app, "campaign.succeeded")
    assert (succeeded["pledged_cents"], succeeded["card_pledged_cents"], succeeded["backers"]) == (5_500, 5_500, 2)
    assert succeeded["organisation"]["siren"] == "732829320" and succeeded["matched_cents"] == 0
    charged = _events(crowdfunding_app, "pledge.charged")
    assert sorted(event["pledge_id"] for event in charged) == sorted([first["id"], second["id"]])
    assert {event["language"] for event in charged} == {"fr", "en"}
    # Sweeps go on: nothing is charged again.
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        session.execute(select(Pledge))
    assert schedule.advance(crowdfunding_app.extensions["db"].unit_of_work, datetime.now(timezone.utc)) == ([], [])
    assert len(_events(crowdfunding_app, "pledge.charged")) == 2


def test_an_all_or_nothing_campaign_below_its_goal_charges_nothing_and_detaches_the_cards(
        crowdfunding_app, localstripe, crowdfunding_worker):
    campaign = live(crowdfunding_app, goal_cents=500_000)
    pledge = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000)
    end_now(crowdfunding_app, campaign["id"])
    wait_until(lambda: pledge_row(crowdfunding_app, pledge["id"]).card_detached_at is not None, timeout=30,
               message="card detached")
    row = pledge_row(crowdfunding_app, pledge["id"])
    assert (row.payment_status, row.paid_cents) == ("released", 0)
    assert campaign_row(crowdfunding_app, campaign["id"]).outcome == "failed"
    assert attempts(crowdfunding_app, pledge["id"]) == []
    assert intents_at_localstripe(localstripe, [row.reference]) == []
    method = stripe_client(localstripe).v1.payment_methods.retrieve(row.stripe_payment_method_id)
    assert method.customer is None
    [failed] = _events(crowdfunding_app, "campaign.failed")
    assert failed["recipients"] == [{"email": "bea@example.org", "name": "Béa", "language": "fr"}]
    assert failed["pledged_cents"] == 3_000 and _events(crowdfunding_app, "campaign.succeeded") == []


def test_a_keep_it_all_campaign_below_its_goal_is_charged_all_the_same(crowdfunding_app, localstripe,
                                                                       crowdfunding_worker):
    campaign = live(crowdfunding_app, goal_cents=500_000, funding_model="keep_it_all")
    pledge = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000)
    end_now(crowdfunding_app, campaign["id"])
    wait_until(lambda: _all_settled(crowdfunding_app, [pledge["id"]]), timeout=30, message="charged")
    assert pledge_row(crowdfunding_app, pledge["id"]).payment_status == "paid"
    assert campaign_row(crowdfunding_app, campaign["id"]).outcome == "succeeded"


def test_a_keep_it_all_campaign_with_no_pledge_fails(crowdfunding_app):
    campaign = live(crowdfunding_app, funding_model="keep_it_all")
    end_now(crowdfunding_app, campaign["id"])
    schedule.advance(crowdfunding_app.extensions["db"].unit_of_work, datetime.now(timezone.utc))
    assert campaign_row(crowdfunding_app, campaign["id"]).outcome == "failed"
    [failed] = _events(crowdfunding_app, "campaign.failed")
    assert failed["recipients"] == [] and failed["pledged_cents"] == 0


def test_a_worker_down_at_the_end_time_closes_and_charges_when_it_starts(crowdfunding_app, localstripe, broker,
                                                                         worker_env):
    campaign = live(crowdfunding_app, goal_cents=1_000)
    pledge = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000)
    end_now(crowdfunding_app, campaign["id"], seconds_ago=3600)  # no worker was up an hour ago
    assert campaign_row(crowdfunding_app, campaign["id"]).outcome is None
    worker = start_worker(broker)
    try:
        wait_until(lambda: _all_settled(crowdfunding_app, [pledge["id"]]), timeout=30, message="charged")
    finally:
        worker.stop()
    closed = campaign_row(crowdfunding_app, campaign["id"])
    assert closed.outcome == "succeeded" and closed.closed_at > closed.ends_at + timedelta(minutes=59)
    assert pledge_row(crowdfunding_app, pledge["id"]).payment_status == "paid"


def test_the_delayed_message_closes_at_the_end_time_without_waiting_for_a_sweep(crowdfunding_app, localstripe,
                                                                                 broker, monkeypatch):
    now = datetime.now(timezone.utc)
    campaign = live(crowdfunding_app, goal_cents=1_000)
    pledge = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000)
    ends_at = datetime.now(timezone.utc) + timedelta(seconds=4)
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        from services.crowdfunding.models import Campaign

        session.get(Campaign, campaign["id"]).ends_at = ends_at
    # One sweep at the worker's start (it sends the delayed close), then none for a minute.
    monkeypatch.setenv("CAMPAIGN_SWEEP_SECONDS", "60")
    worker = start_worker(broker)
    try:
        wait_until(lambda: campaign_row(crowdfunding_app, campaign["id"]).outcome == "succeeded", timeout=30,
                   message="closed")
        wait_until(lambda: _all_settled(crowdfunding_app, [pledge["id"]]), timeout=30, message="charged")
    finally:
        worker.stop()
    closed = campaign_row(crowdfunding_app, campaign["id"])
    assert closed.close_queued_at < ends_at <= closed.closed_at
    assert closed.close_queued_at >= now


def _pace(per_second=50, redis_url=None):
    if redis_url is None:
        return Pace.from_settings(settings(), "stripe-tests", per_second)
    return Pace(redis_url, "stripe-tests", per_second, socket_timeout=0.5)


def _closed_to_charge(app, localstripe):
    campaign = live(app, goal_cents=1_000)
    pledge = saved_card_pledge(app, campaign["id"], "bea@example.org", 3_000)
    end_now(app, campaign["id"])
    schedule.advance(app.extensions["db"].unit_of_work, datetime.now(timezone.utc))
    assert pledge_row(app, pledge["id"]).payment_status == "to_charge"
    return pledge


def test_a_charge_whose_answer_was_lost_is_read_back_not_made_again(crowdfunding_app, localstripe):
    """The worker died after Stripe made the PaymentIntent and before it kept its id."""
    db = crowdfunding_app.extensions["db"]
    payments = Payments(stripe_settings())
    pledge = _closed_to_charge(crowdfunding_app, localstripe)
    with db.unit_of_work() as session:
        row = session.get(Pledge, pledge["id"])
        attempt = closing.new_attempt(session, row, row.stripe_payment_method_id, off_session=True)
        attempt.status, attempt.requested_at = "requested", datetime.now(timezone.utc)
        metadata = closing.attempt_metadata(row, attempt)
        key, customer, method = attempt.idempotency_key, row.stripe_customer_id, row.stripe_payment_method_id
    made = payments.create_payment_intent(customer_id=customer, payment_method_id=method, amount_cents=3_000,
                                          off_session=True, metadata=metadata, idempotency_key=key)
    charged = closing.charge_pledge(db, payments, _pace(), pledge["id"], datetime.now(timezone.utc))
    assert charged.outcome == "paid"
    [attempt] = attempts(crowdfunding_app, pledge["id"])
    assert attempt.payment_intent_id == made.id and attempt.status == "succeeded"
    assert len(intents_at_localstripe(localstripe, [pledge["reference"]])) == 1
    # Charging again changes nothing.
    assert closing.charge_pledge(db, payments, _pace(), pledge["id"], datetime.now(timezone.utc)).outcome == "not_to_charge"
    assert len(intents_at_localstripe(localstripe, [pledge["reference"]])) == 1


def test_redis_down_during_the_charge_sends_nothing_and_the_next_try_charges_once(crowdfunding_app, localstripe):
    db = crowdfunding_app.extensions["db"]
    payments = Payments(stripe_settings())
    pledge = _closed_to_charge(crowdfunding_app, localstripe)
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(Exception) as raised:
        closing.charge_pledge(db, payments, _pace(redis_url=dead_redis), pledge["id"], datetime.now(timezone.utc))
    assert "connect" in str(raised.value).lower() or "redis" in type(raised.value).__module__
    # The slot is taken before the attempt is written: nothing written, nothing sent.
    assert attempts(crowdfunding_app, pledge["id"]) == []
    assert pledge_row(crowdfunding_app, pledge["id"]).payment_status == "to_charge"
    assert intents_at_localstripe(localstripe, [pledge["reference"]]) == []
    assert closing.charge_pledge(db, payments, _pace(), pledge["id"], datetime.now(timezone.utc)).outcome == "paid"
    assert [a.status for a in attempts(crowdfunding_app, pledge["id"])] == ["succeeded"]
    assert len(intents_at_localstripe(localstripe, [pledge["reference"]])) == 1


def test_progress_is_for_the_owner_and_the_fund_manager(crowdfunding_app, localstripe):
    campaign = live(crowdfunding_app, goal_cents=1_000)
    pledge = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000)
    end_now(crowdfunding_app, campaign["id"])
    schedule.advance(crowdfunding_app.extensions["db"].unit_of_work, datetime.now(timezone.utc))
    client = crowdfunding_app.test_client()
    url = f"/api/campaigns/{campaign['id']}/charges"
    for headers in (campaign["owner_headers"], campaign["manager_headers"]):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200
        body = answer.get_json()
        assert body["outcome"] == "succeeded" and body["counts"]["to_charge"] == 1 and body["cents"]["to_charge"] == 3_000
        assert (body["total"], body["settled"], body["percent_settled"]) == (1, 0, 0)
    from tests.integration.crowdfunding.campaign_setup import owner

    _other, other_headers = owner(crowdfunding_app, "otto@example.org")
    assert client.get(url, headers=other_headers).status_code == 404
    assert client.get(url, headers=pledge["headers"]).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get("/api/campaigns/999/charges", headers=campaign["manager_headers"]).status_code == 404
