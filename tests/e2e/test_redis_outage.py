"""Redis stops while events are written, then starts again: every event arrives once in effect.

Runs the real processes of the platform: the accounts relay (`python -m shared.core.relay accounts`, as the Procfile starts it) and the
notifications worker (`dramatiq shared.core.broker services.notifications.actors`), against a
redis-server of the test's own that it stops and restarts.
"""
from sqlalchemy import select

from services.notifications.models import Delivery
from shared.core.outbox import OutboxMessage
from tests.conftest import wait_until
from tests.e2e.platform import BIN, RedisServer, spawn, stop


def _sign_up(client, start, count):
    for number in range(start, start + count):
        response = client.post(
            "/api/accounts", json={"email": f"u{number}@example.org", "name": f"U{number}", "password": "a long password"}
        )
        assert response.status_code == 202


SIGNED_UP = [f"u{n}@example.org" for n in range(10)]


def _delivered(app):
    """The deliveries of this test's sign-ups (a worker of an earlier test of the same pytest
    process, still finishing, may write one of its own after the tables were emptied)."""
    with app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(Delivery.recipient_email).where(Delivery.recipient_email.in_(SIGNED_UP))).all()


def _outbox(app):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(OutboxMessage)).all()


def test_events_written_during_a_redis_outage_arrive_once(tmp_path, accounts_app, notifications_app):
    accounts = accounts_app.test_client()
    server = RedisServer(tmp_path)
    server.start()
    env = {"REDIS_URL": server.url, "RELAY_MAX_BACKOFF_SECONDS": "1"}
    relay = spawn([str(BIN / "python"), "-m", "shared.core.relay", "accounts"], env, tmp_path / "relay.log")
    worker = spawn(
        [str(BIN / "dramatiq"), "shared.core.broker", "services.notifications.actors", "--processes", "1", "--threads", "2"],
        env, tmp_path / "worker.log",
    )
    try:
        _sign_up(accounts, 0, 5)
        wait_until(lambda: len(_delivered(notifications_app)) == 5, timeout=90, message="5 deliveries before the outage")

        server.stop()
        _sign_up(accounts, 5, 5)  # the accounts service keeps working: its events wait in the outbox
        # The relay tries, fails on the oldest pending event, and keeps all ten (two a sign-up).
        wait_until(
            lambda: [row for row in _outbox(accounts_app) if row.sent_at is None and row.last_error],
            timeout=30, message="the relay to fail on the new events",
        )
        assert sum(1 for row in _outbox(accounts_app) if row.sent_at is None) == 10
        assert len(_delivered(notifications_app)) == 5

        server.start()
        wait_until(lambda: len(_delivered(notifications_app)) == 10, timeout=60, message="10 deliveries after the outage")
        wait_until(lambda: all(row.sent_at for row in _outbox(accounts_app)), timeout=30, message="the outbox to empty")
    finally:
        stop(relay)
        stop(worker)
        server.stop()

    delivered = _delivered(notifications_app)
    assert sorted(delivered) == sorted(SIGNED_UP)
    assert len(set(delivered)) == 10  # once each
