"""Each grants and crowdfunding web process, started as the Procfile starts it, listens for changes
to its public reads from its start (shared/web/server.py's post_worker_init), before any visitor
asks for one: its first visitors can already be answered from memory."""
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.web.public_reads import APPLICATION_NAME
from tests.conftest import PG_ADMIN_URL, wait_until
from tests.e2e.platform import Platform

LISTENERS = text("SELECT datname, count(*) FROM pg_stat_activity WHERE application_name = :name GROUP BY datname")
SERVICES = ("grants", "crowdfunding")


def test_each_web_process_listens_from_its_start(tmp_path, databases, monkeypatch):
    # Databases of their own (the Procfile's commands migrate them), so that no other process of
    # the test run listens on them.
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    names = {service: f"tremplin_listen_{service}_{uuid.uuid4().hex[:8]}" for service in SERVICES}
    with admin.connect() as connection:
        for service, name in names.items():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            monkeypatch.setenv(f"{service.upper()}_DATABASE_URL",
                               make_url(databases[service]).set(database=name).render_as_string(hide_password=False))

    def listeners() -> dict[str, int]:
        with admin.connect() as connection:
            found = dict(connection.execute(LISTENERS, {"name": APPLICATION_NAME}).all())
        return {service: found.get(name, 0) for service, name in names.items()}

    platform = None
    try:
        platform = Platform(tmp_path, processes=SERVICES).start()  # asks /healthz alone
        # WEB_CONCURRENCY=1 (tests/e2e/platform.py): one listener on each database.
        wait_until(lambda: listeners() == {service: 1 for service in SERVICES}, timeout=20, message="a listener each")
    finally:
        if platform is not None:
            platform.stop()
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
