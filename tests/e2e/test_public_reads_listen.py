"""Each grants and crowdfunding web process, started as the Procfile starts it, listens for changes
to its public reads from its start (shared/web/server.py's post_worker_init), before any visitor
asks for one: its first visitors can already be answered from memory."""
from sqlalchemy import create_engine, text

from shared.web.public_reads import APPLICATION_NAME
from tests.conftest import PG_ADMIN_URL, wait_until
from tests.e2e.platform import Platform

LISTENERS = text("SELECT datname, count(*) FROM pg_stat_activity WHERE application_name = :name GROUP BY datname")


def test_each_web_process_listens_from_its_start(tmp_path, databases):
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    names = {service: create_engine(databases[service]).url.database for service in ("grants", "crowdfunding")}

    def listeners() -> dict[str, int]:
        with admin.connect() as connection:
            found = dict(connection.execute(LISTENERS, {"name": APPLICATION_NAME}).all())
        return {service: found.get(name, 0) for service, name in names.items()}

    before = listeners()  # this test process's own apps, if an earlier test started theirs
    platform = Platform(tmp_path, processes=("grants", "crowdfunding")).start()  # asks /healthz alone
    try:
        # WEB_CONCURRENCY=1 (tests/e2e/platform.py): one more listener on each database.
        wait_until(lambda: listeners() == {service: count + 1 for service, count in before.items()},
                   timeout=20, message=f"one listener more than {before}")
    finally:
        platform.stop()
        admin.dispose()
