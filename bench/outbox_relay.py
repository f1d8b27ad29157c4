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
import sys
import time
import uuid
from pathlib import Path

RUN = uuid.uuid4().hex[:8]
ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BASE = ADMIN.rsplit("/", 1)[0]
NAMES = {s: f"tremplin_bench_{s}_{RUN}" for s in ("grants", "notifications")}
os.environ["GRANTS_DATABASE_URL"] = f"{BASE}/{NAMES['grants']}"
os.environ["NOTIFICATIONS_DATABASE_URL"] = f"{BASE}/{NAMES['notifications']}"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["DRAMATIQ_NAMESPACE"] = f"tremplin-bench-{RUN}"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dramatiq  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from shared.broker import broker  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.migrations import upgrade  # noqa: E402
from shared.outbox import Relay, publish  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    count = parser.parse_args().events

    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in NAMES.values():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        from services.grants.config import MIGRATIONS_DIR as GRANTS
        from services.notifications.config import MIGRATIONS_DIR as NOTIFICATIONS

        upgrade(GRANTS, os.environ["GRANTS_DATABASE_URL"])
        upgrade(NOTIFICATIONS, os.environ["NOTIFICATIONS_DATABASE_URL"])
        run(count)
    finally:
        import services.notifications.actors as actors

        actors.database().dispose()
        keys = list(broker.client.scan_iter(f"{broker.namespace}*"))
        if keys:
            broker.client.delete(*keys)
        with admin.connect() as connection:
            for name in NAMES.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(count: int) -> None:
    import services.notifications.actors as actors
    from shared.consumer import ProcessedEvent

    grants = Database(os.environ["GRANTS_DATABASE_URL"])
    started = time.perf_counter()
    for number in range(count):
        with grants.transaction() as session:
            publish(session, "grants", "account.registered", {
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
            with notifications.transaction() as session:
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
