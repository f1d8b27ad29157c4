"""What every level of tests needs: the environment, a free port, waiting for a condition.

The environment is set before any project module is imported, because the broker is built
at import time (shared.core.broker) and each service reads its database URL from the environment.
Nothing here connects to anything: the databases and Redis are used by the integration and
end-to-end levels only (tests/real_services.py).
"""
from __future__ import annotations

import os
import socket
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

RUN_ID = uuid.uuid4().hex[:8]
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SERVICES = ("grants", "crowdfunding", "notifications", "accounts")
DB_NAMES = {service: f"tremplin_test_{service}_{RUN_ID}" for service in SERVICES}
_base = PG_ADMIN_URL.rsplit("/", 1)[0]
for _service, _name in DB_NAMES.items():
    os.environ[f"{_service.upper()}_DATABASE_URL"] = f"{_base}/{_name}"
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ["DRAMATIQ_NAMESPACE"] = f"tremplin-test-{RUN_ID}"
os.environ["DRAMATIQ_MIN_BACKOFF_MS"] = "100"
os.environ["DRAMATIQ_MAX_BACKOFF_MS"] = "1000"
os.environ["TREMPLIN_VAR"] = f"/tmp/tremplin-test-{RUN_ID}"
os.environ["LOG_JSON"] = "1"
# Mail goes nowhere unless a test starts its own SMTP server (nothing may listen on port 1),
# and temporary failures are retried quickly and briefly.
os.environ["SMTP_HOST"] = "127.0.0.1"
os.environ["SMTP_PORT"] = "1"
os.environ["DELIVERY_BACKOFF_SECONDS"] = "0.2"
os.environ["DELIVERY_MAX_BACKOFF_SECONDS"] = "1"
os.environ["DELIVERY_MAX_ATTEMPTS"] = "3"
# A worker given a delivery another is sending comes back when that one's lease ends (120 s in
# production): short here, so that a test waiting for every message does not wait two minutes.
os.environ["DELIVERY_LEASE_SECONDS"] = "5"
# The platform's tokens: the accounts service signs with a key made for this run, and the other
# services read its public keys from a JWKS file rather than from a running accounts service.
KEYS = os.path.join(os.environ["TREMPLIN_VAR"], "keys")
os.environ["ACCOUNTS_SIGNING_KEY_FILE"] = os.path.join(KEYS, "accounts-signing.pem")
os.environ["JWKS_URL"] = "file://" + os.path.join(KEYS, "jwks.json")
# Stripe is this run's own localstripe (tests/real_services.py starts it when a test asks), on a
# port of its own; its webhooks go nowhere unless a test points them at a running service.
os.environ.pop("STRIPE_SECRET_KEY", None)
os.environ["STRIPE_WEBHOOK_URL"] = "http://127.0.0.1:1/api/stripe/webhook"
os.environ["CROWDFUNDING_COVERS_DIR"] = os.path.join(os.environ["TREMPLIN_VAR"], "covers")


def _make_keys() -> None:
    import json

    from shared.accounts.tokens import Signer, generate_key_file

    if not os.path.exists(os.environ["ACCOUNTS_SIGNING_KEY_FILE"]):
        generate_key_file(Path(os.environ["ACCOUNTS_SIGNING_KEY_FILE"]))
    with open(os.path.join(KEYS, "jwks.json"), "w") as handle:
        json.dump(Signer.from_environment().jwks(), handle)


_make_keys()

# The integration and end-to-end levels' fixtures (databases, Redis, apps, workers): requested
# there, never by a unit test, so unit tests run with PostgreSQL and Redis stopped.
pytest_plugins = ("tests.real_services",)


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd's Controller cannot be given port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


os.environ["LOCALSTRIPE_PORT"] = str(free_port())


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@contextmanager
def sqlite_database(directory: Path, service: str):
    """A service's SQLite database (`make run`'s kind) in `directory`, migrated: its Database,
    disposed afterwards."""
    import importlib

    from shared.core.db import Database
    from shared.core.migrations import upgrade

    url = f"sqlite:///{directory / (service + '.db')}"
    upgrade(importlib.import_module(f"services.{service}.config").MIGRATIONS_DIR, url)
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


def process_alive(pid: int) -> bool:
    """True while the process runs: False once it is gone or a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return "State:\tZ" not in status.read()
    except (FileNotFoundError, ProcessLookupError):
        # Gone before the open, or reaped between the open and the read (ESRCH).
        return False


@contextmanager
def recorded_statements(engine):
    """The SQL statements sent on `engine` inside the block, in order (a list filled as they go)."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
