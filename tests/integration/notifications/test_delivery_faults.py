"""Sending under faults, against real databases and a real aiosmtpd server: a slow mail server,
a slow answer to the end of a message, deliveries left behind by a worker that died."""
import asyncio
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.notifications import preferences
from services.notifications.deliveries import HANDLERS, attempt_delivery, sweep
from services.notifications.models import Delivery
from shared.core.clock import utcnow
from shared.core.consumer import consume
from tests.conftest import sqlite_database, wait_until
from tests.real_services import Inbox

from . import envelopes


class SlowAnswer(Inbox):
    """Takes `seconds` before answering the end of a message (storing or scanning it)."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.answering = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.answering.set()
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sqlite_db(tmp_path):
    with sqlite_database(tmp_path, "notifications") as database:
        yield database


def _queued(db, envelope) -> int:
    assert consume(db, HANDLERS, envelope) is True
    with db.unit_of_work() as session:
        return session.scalar(select(Delivery.id).where(Delivery.event_id == envelope["id"]))


def _row(db, delivery_id) -> Delivery:
    with db.unit_of_work() as session:
        return session.get(Delivery, delivery_id)


def test_an_answer_slower_than_the_command_timeout_sends_the_message_once(db, smtp_server, monkeypatch):
    handler = SlowAnswer(seconds=1.5)
    monkeypatch.setenv("SMTP_PORT", str(smtp_server(handler)))
    monkeypatch.setenv("SMTP_TIMEOUT_SECONDS", "0.5")  # every other answer comes at once
    delivery_id = _queued(db, envelopes.password_reset())

    first = attempt_delivery(db, delivery_id)
    # Had the client given up, the delivery would be queued again and sent a second time.
    with db.unit_of_work() as session:
        session.get(Delivery, delivery_id).due_at = None
    attempt_delivery(db, delivery_id)

    assert first.status == "sent"
    assert len(handler.messages) == 1
    assert _row(db, delivery_id).attempts == 1


def test_a_slow_mail_server_does_not_hold_the_sqlite_database(sqlite_db, smtp_server, monkeypatch):
    handler = SlowAnswer(seconds=2)
    monkeypatch.setenv("SMTP_PORT", str(smtp_server(handler)))
    delivery_id = _queued(sqlite_db, envelopes.password_reset())
    sending = threading.Thread(target=attempt_delivery, args=(sqlite_db, delivery_id))
    sending.start()
    assert handler.answering.wait(10)

    # Someone signs up, or unsubscribes, while the server takes its time.
    started = time.monotonic()
    with sqlite_db.unit_of_work() as session:
        preferences.set_preference(session, "someone@example.org", "reminders", False)
    waited = time.monotonic() - started
    sending.join()

    assert waited < 0.5, f"a write waited {waited:.2f}s behind an SMTP exchange"
    assert _row(sqlite_db, delivery_id).status == "sent"
    assert len(handler.messages) == 1


def test_sweep_finds_what_a_dead_worker_or_a_lost_message_left_behind(db, monkeypatch):
    monkeypatch.setenv("DELIVERY_STALE_SECONDS", "60")
    fresh = _queued(db, envelopes.password_reset(email="fresh@example.org"))
    lost = _queued(db, envelopes.password_reset(email="lost@example.org"))
    later = _queued(db, envelopes.password_reset(email="later@example.org"))
    dead = _queued(db, envelopes.password_reset(email="dead@example.org"))
    alive = _queued(db, envelopes.password_reset(email="alive@example.org"))
    long_ago = utcnow() - timedelta(minutes=5)
    with db.unit_of_work() as session:
        # Due for minutes and nobody asked a worker since: its queue message is gone.
        session.get(Delivery, lost).woken_at = long_ago
        # A retry not yet due.
        session.get(Delivery, later).woken_at = long_ago
        session.get(Delivery, later).due_at = utcnow() + timedelta(minutes=1)
        for delivery_id, lease_until in ((dead, utcnow() - timedelta(seconds=1)), (alive, utcnow() + timedelta(minutes=1))):
            row = session.get(Delivery, delivery_id)
            row.status, row.lease_until, row.woken_at = "sending", lease_until, long_ago

    assert sorted(delivery_id for delivery_id, _ in sweep(db)) == sorted([lost, dead])
    assert sweep(db) == []  # woken once: the next pass leaves them to the worker just asked
    assert _row(db, fresh).status == "queued"


def test_a_running_worker_sends_a_delivery_whose_message_was_lost_without_any_command(
    db, monkeypatch, inbox, request
):
    monkeypatch.setenv("DELIVERY_SWEEP_SECONDS", "0.2")
    monkeypatch.setenv("DELIVERY_STALE_SECONDS", "0.5")
    request.getfixturevalue("notifications_worker")  # started after the settings above
    # Recorded, but its `deliver` message never reached Redis (or Redis lost it).
    delivery_id = _queued(db, envelopes.password_reset(email="nobody-typed@example.org"))

    wait_until(lambda: _row(db, delivery_id).status == "sent", timeout=10, message="the email")

    assert [str(message["To"]) for message in inbox.messages] == ["Ana <nobody-typed@example.org>"]


def test_a_delivery_whose_worker_died_while_sending_is_sent_again_once_its_lease_ran_out(db, inbox, monkeypatch):
    monkeypatch.setenv("DELIVERY_LEASE_SECONDS", "60")
    delivery_id = _queued(db, envelopes.password_reset())
    with db.unit_of_work() as session:
        row = session.get(Delivery, delivery_id)
        row.status, row.attempts, row.lease_until = "sending", 1, utcnow() + timedelta(seconds=30)

    waiting = attempt_delivery(db, delivery_id)
    assert (waiting.status, inbox.messages) == ("sending", [])
    assert 30 <= waiting.retry_in <= 32  # comes back when the lease ends

    with db.unit_of_work() as session:
        session.get(Delivery, delivery_id).lease_until = utcnow() - timedelta(seconds=1)
    assert attempt_delivery(db, delivery_id).status == "sent"
    assert len(inbox.messages) == 1
    assert (_row(db, delivery_id).attempts, _row(db, delivery_id).lease_until) == (2, None)
