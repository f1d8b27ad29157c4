"""The crowdfunding worker, a real dramatiq worker: its sweeper records a campaign live at its start
time and ended at its end (a transfer not received by then is cancelled), telling the owner once;
people saw both on time without it."""
from datetime import datetime, timedelta, timezone

import dramatiq
import pytest
from sqlalchemy import select

import services.crowdfunding.actors  # noqa: F401  (its queue and its sweeper, on the broker)
from services.crowdfunding.models import Campaign, Pledge
from shared.core.outbox import OutboxMessage
from tests.conftest import wait_until
from tests.integration.crowdfunding.campaign_setup import backer, live


@pytest.fixture
def crowdfunding_worker(broker, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_SWEEP_SECONDS", "0.2")
    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


def _status(app, campaign_id):
    with app.extensions["db"].unit_of_work() as session:
        return session.get(Campaign, campaign_id).status


def _published(app):
    with app.extensions["db"].unit_of_work() as session:
        return len(session.scalars(select(OutboxMessage).where(OutboxMessage.name == "campaign.published")).all())


def test_the_sweeper_records_start_and_end(crowdfunding_app, crowdfunding_worker):
    now = datetime.now(timezone.utc)
    campaign = live(crowdfunding_app, starts_at=(now + timedelta(seconds=2)).isoformat(),
                    ends_at=(now + timedelta(seconds=5)).isoformat())
    assert campaign["status"] == "approved" and _published(crowdfunding_app) == 0
    wait_until(lambda: _status(crowdfunding_app, campaign["id"]) == "live", timeout=10, message="live")
    assert datetime.now(timezone.utc) >= now + timedelta(seconds=2)
    assert _published(crowdfunding_app) == 1
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    transfer = crowdfunding_app.test_client().post(f"/api/campaigns/{campaign['id']}/pledges", headers=headers, json={
        "amount_cents": 2_000, "method": "transfer"}).get_json()
    wait_until(lambda: _status(crowdfunding_app, campaign["id"]) == "ended", timeout=10, message="ended")
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert session.get(Pledge, transfer["id"]).cancel_reason == "transfer_not_received"
    assert _published(crowdfunding_app) == 1  # once, however many sweeps
