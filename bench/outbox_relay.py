"""How fast events go through the outbox: written by a use case, relayed to Redis, consumed.

Creates its own PostgreSQL databases (dropped at the end) and a private Redis namespace, then
prints three figures: events written to the outbox per second (one commit each), events
relayed to Redis per second, and events consumed end to end (idempotent consumer writing the
processed-event row) per second with one in-process dramatiq worker.

    .venv/bin/python bench/outbox_relay.py [--events 2000]
"""
from __future__ import annotations

import argparse
import os
import time

from scratch import scratch_databases, use_scratch_databases  # noqa: E402  (sets the environment first)

use_scratch_databases("grants", "notifications")

import dramatiq  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from shared.core.broker import broker  # noqa: E402
from shared.core.db import Database  # noqa: E402
from shared.core.outbox import Relay, publish  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    count = parser.parse_args().events

    with scratch_databases("grants", "notifications"):
        run(count)


def run(count: int) -> None:
    import services.notifications.actors as actors
    from shared.core.consumer import ProcessedEvent

    grants = Database(os.environ["GRANTS_DATABASE_URL"])
    started = time.perf_counter()
    for number in range(count):
        with grants.unit_of_work() as session:
            publish(session, "grants", "account.registered", 1, {
                "account_id": number, "service": "grants", "email": f"b{number}@example.org",
                "name": f"B{number}", "language": "fr", "roles": ["applicant"],
                # No address to confirm: the consumer records the event and sends nothing, so
                # this measures the idempotent consumer alone (bench/notifications_delivery.py
                # measures the emails).
                "confirm_url": None,
            })
    written = time.perf_counter() - started

    relay = Relay(grants, broker, batch_size=200)
    started = time.perf_counter()
    while relay.relay_batch():
        pass
    relayed = time.perf_counter() - started

    notifications = actors.database()
    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=4)
    started = time.perf_counter()
    worker.start()
    try:
        while True:
            with notifications.unit_of_work() as session:
                done = session.scalar(select(func.count()).select_from(ProcessedEvent))
            if done >= count:
                break
            time.sleep(0.05)
        consumed = time.perf_counter() - started
    finally:
        worker.stop()
    grants.dispose()

    print(f"events: {count} (PostgreSQL, Redis at {os.environ['REDIS_URL']})")
    print(f"written to the outbox, one commit each: {count / written:8.0f} events/s")
    print(f"relayed to Redis (batches of 200):      {count / relayed:8.0f} events/s")
    print(f"consumed idempotently (4 threads):      {count / consumed:8.0f} events/s")


if __name__ == "__main__":
    main()
