"""The fault test of the close: the charging worker (a real `dramatiq` process) is killed with
SIGKILL in the middle of a close and started again. Afterwards every pledge is paid, and
localstripe holds exactly one PaymentIntent per pledge charged: none was charged twice."""
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from services.crowdfunding import schedule
from services.crowdfunding.models import ChargeAttempt, Pledge
from tests.conftest import wait_until
from tests.integration.crowdfunding.campaign_setup import live
from tests.integration.crowdfunding.closing_setup import end_now, intents_at_localstripe, many_card_pledges, references

ROOT = Path(__file__).resolve().parents[3]
PLEDGES = 60


def _worker(log: Path) -> subprocess.Popen:
    env = {**os.environ, "CAMPAIGN_SWEEP_SECONDS": "0.3", "CHARGE_REQUEUE_SECONDS": "3",
           "STRIPE_MAX_REQUESTS_PER_SECOND": "10", "DRAMATIQ_HEARTBEAT_TIMEOUT_MS": "3000"}
    return subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "shared.core.broker", "services.crowdfunding.actors",
         "--processes", "1", "--threads", "4"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _paid(app) -> int:
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Pledge).where(Pledge.payment_status == "paid"))


def test_a_worker_killed_mid_close_resumes_and_charges_no_pledge_twice(crowdfunding_app, localstripe, tmp_path):
    from datetime import datetime, timezone

    campaign = live(crowdfunding_app, goal_cents=1_000)
    ids = many_card_pledges(crowdfunding_app, localstripe, campaign["id"], PLEDGES)
    end_now(crowdfunding_app, campaign["id"])
    log = tmp_path / "worker.log"
    worker = _worker(log)
    try:
        wait_until(lambda: _paid(crowdfunding_app) >= 12, timeout=60, interval=0.02, message="charging under way")
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its process, at once, mid-charge
        worker.wait(timeout=10)
        killed_at = _paid(crowdfunding_app)
        assert killed_at < PLEDGES, "the close ended before the kill: nothing was interrupted"
        worker = _worker(log)
        wait_until(lambda: _paid(crowdfunding_app) == PLEDGES, timeout=120, interval=0.2, message=log.read_text()[-3000:])
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)
    made = intents_at_localstripe(localstripe, references(crowdfunding_app, ids))
    per_pledge = Counter(intent["metadata"]["reference"] for intent in made)
    assert len(made) == PLEDGES == _paid(crowdfunding_app)
    assert set(per_pledge.values()) == {1}
    assert all(intent["status"] == "succeeded" for intent in made)
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        succeeded = session.scalar(select(func.count()).select_from(ChargeAttempt)
                                   .where(ChargeAttempt.status == "succeeded"))
    assert succeeded == PLEDGES
    assert schedule.advance(crowdfunding_app.extensions["db"].unit_of_work, datetime.now(timezone.utc)) == ([], [])
