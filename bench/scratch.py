"""What the benches share: PostgreSQL databases of their own, migrated, dropped afterwards, and
a Redis namespace emptied at the end. Import it before any project module: it sets the
environment the services read."""
from __future__ import annotations

import importlib
import os
import socket
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

RUN = uuid.uuid4().hex[:8]
ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["DRAMATIQ_NAMESPACE"] = f"tremplin-bench-{RUN}"


def free_port() -> int:
    """A port nothing listens on now, for a process the bench starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_loop(count: int) -> float:
    """The emails' reference: as many messages of one kind, sent by a plain smtplib loop over one
    open connection to the server at SMTP_HOST:SMTP_PORT; messages a second."""
    import smtplib
    import time
    from email.message import EmailMessage

    started = time.perf_counter()
    with smtplib.SMTP(os.environ["SMTP_HOST"], int(os.environ["SMTP_PORT"])) as connection:
        for number in range(count):
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "tremplin@example.org", f"r{number}@example.org", "Test"
            message.set_content("Bonjour,\n\nUn message de référence.\n")
            connection.send_message(message)
    return count / (time.perf_counter() - started)


def password_reset_envelope(number: int) -> dict:
    """The benches' one-email event: an `account.password_reset_requested` envelope for person
    `number` (French for odd numbers, English for even), as the relay sends it."""
    from shared.core.events import new_event_id, utcnow

    return {
        "id": new_event_id(), "name": "account.password_reset_requested", "version": 1,
        "producer": "grants", "occurred_at": utcnow().isoformat(), "request_id": None,
        "payload": {"account_id": number, "service": "grants", "email": f"b{number}@example.org",
                    "name": f"B{number}", "language": "fr" if number % 2 else "en",
                    "reset_url": f"http://127.0.0.1:8001/accounts/reset/t{number}"},
    }


def database_name(service: str) -> str:
    return f"tremplin_bench_{service}_{RUN}"


def use_scratch_databases(*services: str) -> None:
    """Point the services at databases of this run (before their modules are imported)."""
    base = ADMIN.rsplit("/", 1)[0]
    for service in services:
        os.environ[f"{service.upper()}_DATABASE_URL"] = f"{base}/{database_name(service)}"


@contextmanager
def scratch_databases(*services: str):
    from sqlalchemy import create_engine, text

    from shared.core.migrations import upgrade

    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for service in services:
            connection.execute(text(f'CREATE DATABASE "{database_name(service)}"'))
    try:
        for service in services:
            migrations = importlib.import_module(f"services.{service}.config").MIGRATIONS_DIR
            upgrade(migrations, os.environ[f"{service.upper()}_DATABASE_URL"])
        yield
    finally:
        from shared.core.broker import broker

        importlib.import_module("services.notifications.actors").database().dispose()
        keys = list(broker.client.scan_iter(f"{broker.namespace}*"))
        if keys:
            broker.client.delete(*keys)
        with admin.connect() as connection:
            for service in services:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database_name(service)}" WITH (FORCE)'))
        admin.dispose()
