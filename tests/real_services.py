"""Fixtures of the integration and end-to-end levels: real PostgreSQL databases (created and
dropped here), real Redis, the service apps, a dramatiq worker, a real SMTP server.

Loaded by tests/conftest.py for every level but used only where asked for: the integration and
end-to-end conftests ask for `clean_state` on every test, which creates the databases the first
time; a unit test asks for none of these, so it runs with PostgreSQL and Redis stopped.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from shared.core.migrations import upgrade
from tests.conftest import DB_NAMES, PG_ADMIN_URL, SERVICES, free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def databases():
    """Create one PostgreSQL database per service, migrate it, and drop it at the end."""
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


@pytest.fixture
def clean_state(databases):
    """Empty tables and an empty queue namespace after the test, for the next one."""
    yield
    for url in databases.values():
        engine = create_engine(url)
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
        for attempt in range(3):
            try:
                with engine.begin() as connection:
                    connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                break
            except OperationalError as error:
                # A platform's worker still handling an event holds a row lock and waits for a
                # table the TRUNCATE holds: PostgreSQL ends one of the two; the worker retries
                # its event, and so does this.
                if "deadlock detected" not in str(error) or attempt == 2:
                    raise
        engine.dispose()
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = list(client.scan_iter(f"{os.environ['DRAMATIQ_NAMESPACE']}*"))
    if keys:
        client.delete(*keys)


# --- The services ------------------------------------------------------------------------------


def _service_app(service):
    app = importlib.import_module(f"services.{service}.app").create_app({"TESTING": True})
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def documents_dir(tmp_path, monkeypatch):
    """Where the grants service under test keeps uploaded documents: the test's own directory."""
    monkeypatch.setenv("GRANTS_DOCUMENTS_DIR", str(tmp_path / "documents"))
    return tmp_path / "documents"


@pytest.fixture
def grants_app(documents_dir):
    yield from _service_app("grants")


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """A real localstripe (scripts/local_stripe.py, as `make run` starts it) on this run's port,
    for the session; its address. The crowdfunding service under test talks to it."""
    port = os.environ["LOCALSTRIPE_PORT"]
    log = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    process = subprocess.Popen(
        [sys.executable, "scripts/local_stripe.py", "--port", port], cwd=ROOT,
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1) as response:
                return response.status == 200
        except OSError:
            assert process.poll() is None, log.read_text()
            return False

    wait_until(answers, timeout=30, interval=0.1, message="localstripe")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def crowdfunding_app(localstripe):
    yield from _service_app("crowdfunding")


@pytest.fixture
def notifications_app():
    yield from _service_app("notifications")


@pytest.fixture
def accounts_app():
    yield from _service_app("accounts")


@pytest.fixture
def grants(grants_app):
    return grants_app.test_client()


# --- Events ------------------------------------------------------------------------------------


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


# --- Mail --------------------------------------------------------------------------------------


@pytest.fixture
def smtp_server():
    """Start a real aiosmtpd server around a handler; returns its port."""
    controllers = []

    def start(handler, **smtp_parameters) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_parameters)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


class Inbox:
    """An aiosmtpd handler that keeps what it accepts, and can be told to refuse recipients."""

    def __init__(self, recipient_answer: str | None = None):
        self.recipient_answer = recipient_answer
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.recipient_answer:
            return self.recipient_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 2.0.0 OK"


@pytest.fixture
def inbox(smtp_server, monkeypatch):
    """A real SMTP server the notifications service sends to (through its environment)."""
    handler = Inbox()
    monkeypatch.setenv("SMTP_PORT", str(smtp_server(handler)))
    return handler


# --- A real browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, launched once for the session (tests/browser.py)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_report = report  # read by the `page` fixture, to keep what the browser showed
    return report


@pytest.fixture
def page(browser, request, tmp_path):
    """A fresh browser context for each test (no cookie survives it), French and in Paris time,
    with bounded waits and axe in every page. When the test fails, the page as it was then is
    kept as a screenshot and its HTML, named in the test's output."""
    from tests.browser import prepare

    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    prepare(context)
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "call_report", None)
    if report is not None and report.failed:
        opened.screenshot(path=tmp_path / "failure.png", full_page=True)
        (tmp_path / "failure.html").write_text(opened.content())
        print(f"The browser was at {opened.url}: see {tmp_path / 'failure.png'} and failure.html")
    context.close()


@pytest.fixture
def audit(page):
    """axe on the page (`audit.check()`), and the list of loaded pages that were not checked."""
    from tests.browser import AccessibilityAudit

    return AccessibilityAudit(page)
