"""A notifications worker SIGKILLed while sending: every email still goes out, within the bound
written in docs/architecture.md ("Faults"), and no message arrives twice.

Runs the real worker (`dramatiq shared.core.broker services.notifications.actors`) as a
subprocess against the test's PostgreSQL and Redis, and a real aiosmtpd server that counts the
messages it accepts per Message-ID and can hold a conversation at a chosen step, so that the
kill lands exactly where the test says.
"""
import asyncio
import os
import signal
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from services.notifications.actors import on_event
from services.notifications.models import Delivery
from tests.conftest import wait_until
from tests.e2e.platform import BIN, spawn, stop
from tests.integration.notifications import envelopes

# Short enough for a test; the defaults and the bound they give are in docs/architecture.md.
RECOVERY = {
    "DRAMATIQ_HEARTBEAT_TIMEOUT_MS": "2000",
    "DELIVERY_LEASE_SECONDS": "8",
    "DELIVERY_SWEEP_SECONDS": "1",
    "DELIVERY_STALE_SECONDS": "2",
    "DELIVERY_MAX_ATTEMPTS": "10",
}
# A worker that starts goes through what a dead one left within the lease (a delivery it was
# sending) plus one sweep; a few seconds more for the new process to start.
BOUND = float(RECOVERY["DELIVERY_LEASE_SECONDS"]) + float(RECOVERY["DELIVERY_SWEEP_SECONDS"]) + 6


class CountingServer:
    """Accepts every message and counts them per Message-ID; `hold` names a step (RCPT or QUIT)
    at which conversations wait, from the `after`-th accepted message on, until released."""

    def __init__(self, hold: str | None = None, after: int = 0):
        self.hold = hold
        self.after = after
        self.accepted = Counter()
        self.waiting = 0
        self.released = False

    async def _wait_if_held(self, step):
        if self.hold != step or self.released or sum(self.accepted.values()) < self.after:
            return
        self.waiting += 1
        try:
            while not self.released:
                await asyncio.sleep(0.01)
        finally:
            self.waiting -= 1

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._wait_if_held("RCPT")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.accepted[message["Message-ID"]] += 1
        return "250 2.0.0 OK"

    async def handle_QUIT(self, server, session, envelope):
        await self._wait_if_held("QUIT")
        return "221 Bye"


@pytest.fixture
def workers(tmp_path):
    started = []

    def start(smtp_port: int):
        process = spawn(
            [str(BIN / "dramatiq"), "shared.core.broker", "services.notifications.actors",
             "--processes", "1", "--threads", "2"],
            {**RECOVERY, "SMTP_PORT": str(smtp_port)},
            tmp_path / "worker.log",
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            stop(process)


def _worker_child(process) -> int:
    """The pid of the dramatiq worker process the main process started (it runs the actors)."""

    def child():
        path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        for pid in path.read_text().split():
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"resource_tracker" not in cmdline:
                return int(pid)
        return None

    return wait_until(child, timeout=30, message="the worker process")


def _kill_worker(process) -> None:
    os.kill(_worker_child(process), signal.SIGKILL)
    # dramatiq's main process sees its worker die and stops too, as a supervisor would notice.
    process.wait(timeout=30)


def _deliveries(app):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(Delivery).order_by(Delivery.id)).all()


def _all_sent(app, count):
    rows = _deliveries(app)
    return len(rows) == count and all(row.status == "sent" for row in rows)


def test_worker_killed_between_two_sends_loses_nothing_and_sends_nothing_twice(
    notifications_app, smtp_server, workers
):
    # After 5 messages, every conversation waits before handing its message over: the kill
    # comes while both threads of the worker are there, between a message recorded as sent and
    # the next one.
    server = CountingServer(hold="RCPT", after=5)
    port = smtp_server(server)
    first = workers(port)
    for number in range(15):
        on_event.send(envelopes.password_reset(email=f"crash{number}@example.org"))

    wait_until(lambda: server.waiting == 2, timeout=60, message="both worker threads in a conversation")
    _kill_worker(first)
    # Both threads may pass the hold together when the 5th message is accepted, so 5 or 6 went
    # through; each one the server accepted is recorded as sent, since a thread records its
    # message before it starts the next conversation. A thread sends the email of the event it
    # consumed before it takes the next event: the events not consumed yet have no delivery
    # and come back to the queue from the dead worker's set in Redis.
    accepted = sum(server.accepted.values())
    rows = _deliveries(notifications_app)
    assert accepted in (5, 6) and len(rows) == accepted + 2
    assert sum(row.status == "sent" for row in rows) == accepted
    assert sum(row.status == "sending" for row in rows) == 2  # what the dead worker was sending

    server.released = True
    restarted_at = time.monotonic()
    workers(port)
    wait_until(lambda: _all_sent(notifications_app, 15), timeout=BOUND + 10, message="all 15 emails")
    took = time.monotonic() - restarted_at

    assert took <= BOUND, f"the last email went out {took:.1f}s after the restart"
    assert len(server.accepted) == 15
    duplicates = {message_id: count for message_id, count in server.accepted.items() if count > 1}
    assert duplicates == {}


def test_worker_killed_with_its_connection_still_open_after_the_server_accepted_sends_nothing_twice(
    notifications_app, smtp_server, workers
):
    # A worker thread keeps its SMTP connection open for its next message (no goodbye after each
    # one): killed then, it has recorded the message as sent already.
    server = CountingServer()
    port = smtp_server(server)
    first = workers(port)
    on_event.send(envelopes.account_registered(email="goodbye@example.org"))

    wait_until(lambda: sum(server.accepted.values()) == 1 and [row.status for row in _deliveries(notifications_app)]
               == ["sent"], timeout=60, message="the message accepted and recorded, the connection still open")
    _kill_worker(first)

    workers(port)
    # The restarted worker gets the dead worker's message back from Redis and the sweep runs:
    # neither sends the email again, since it was recorded as sent as soon as it was accepted.
    time.sleep(BOUND)
    [row] = _deliveries(notifications_app)
    assert (row.status, row.attempts) == ("sent", 1)
    assert list(server.accepted.values()) == [1]
