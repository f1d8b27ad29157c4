"""The connection pool checks a connection that sat idle before handing it out, and only then."""
import time

from sqlalchemy import text

from shared.core.db import Database


def _backend(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_that_died_while_idle_in_the_pool_is_replaced(notifications_app):
    url = notifications_app.extensions["db"].url
    db, admin = Database(url, pool_size=1, ping_after_idle=0.2), Database(url)
    try:
        first = _backend(db)
        with admin.unit_of_work() as session:  # as a server restart or an idle timeout would
            assert session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        time.sleep(0.3)

        # The unit of work gets a live connection: the dead one is found and dropped at checkout.
        second = _backend(db)
        assert second != first
        assert _backend(db) == second  # and that one is reused
    finally:
        db.dispose()
        admin.dispose()
