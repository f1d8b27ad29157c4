"""Test infrastructure: real PostgreSQL databases (created and dropped here), real Redis.

The environment is set before any project module is imported, because the broker is built
at import time (shared.core.broker) and each service reads its database URL from the environment.
"""
from __future__ import annotations

import os
import socket
import time
import uuid

RUN_ID = uuid.uuid4().hex[:8]
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SERVICES = ("grants", "crowdfunding", "notifications")
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

import pytest  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import create_engine, inspect, text  # noqa: E402

from shared.core.migrations import upgrade  # noqa: E402


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd's Controller cannot be given port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture(scope="session", autouse=True)
def databases():
    """Create one PostgreSQL database per service, migrate it, and drop it at the end."""
    import importlib

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in DB_NAMES.values():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    urls = {service: os.environ[f"{service.upper()}_DATABASE_URL"] for service in SERVICES}
    for service, url in urls.items():
        upgrade(importlib.import_module(f"services.{service}.config").MIGRATIONS_DIR, url)
    yield urls
    with admin.connect() as connection:
        for name in DB_NAMES.values():
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def clean_state(databases):
    """Every test starts with empty tables and an empty queue namespace."""
    yield
    for url in databases.values():
        engine = create_engine(url)
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = list(client.scan_iter(f"{os.environ['DRAMATIQ_NAMESPACE']}*"))
    if keys:
        client.delete(*keys)


def _service_app(service):
    import importlib

    app = importlib.import_module(f"services.{service}.app").create_app({"TESTING": True})
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def grants_app():
    yield from _service_app("grants")


@pytest.fixture
def crowdfunding_app():
    yield from _service_app("crowdfunding")


@pytest.fixture
def notifications_app():
    yield from _service_app("notifications")


@pytest.fixture
def grants(grants_app):
    return grants_app.test_client()


@pytest.fixture
def broker():
    from shared.core.broker import broker

    return broker


@pytest.fixture
def relay(grants_app, broker):
    from shared.core.outbox import Relay

    return Relay(grants_app.extensions["db"], broker)


@pytest.fixture
def notifications_worker(broker):
    """A real dramatiq worker consuming the notifications queue in this process."""
    import dramatiq

    import services.notifications.actors  # noqa: F401  (declares the actor and its queue)

    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=2)
    worker.start()
    yield worker
    worker.stop()
