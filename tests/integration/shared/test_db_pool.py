"""A connection that died in the pool is replaced before it is handed out; a
worker process keeps as many connections as it has threads."""
import time

from sqlalchemy import text

from shared.core.db import Database


def _backend(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_that_died_while_idle_in_the_pool_is_replaced(notifications_app):
    url = notifications_app.extensions["db"].url
    db, admin = Database(url, pool_size=1), Database(url)
    try:
        first = _backend(db)
        with admin.unit_of_work() as session:  # as a server restart or an idle timeout would
            assert session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        time.sleep(0.3)  # the server has closed its end

        # The unit of work gets a live connection: the dead one is found and dropped at checkout.
        second = _backend(db)
        assert second != first
        assert _backend(db) == second  # and that one is reused
    finally:
        db.dispose()
        admin.dispose()


def test_a_worker_process_keeps_a_connection_per_thread_and_one_for_its_sweeper(broker):
    import dramatiq

    from shared.core.broker import pool_size

    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=3)
    worker.start()  # as `dramatiq --threads 3` does in each of its processes
    try:
        assert pool_size() == 4
        db = Database("postgresql+psycopg://postgres@127.0.0.1:5432/unused", pool_size=pool_size())
        assert db.engine.pool.size() == 4
        db.dispose()
    finally:
        worker.stop()


def test_one_statement_runs_alone_without_a_transaction_and_its_write_is_committed(notifications_app):
    """Database.one_statement: on PostgreSQL the statement goes on an autocommit connection (no
    BEGIN or COMMIT round trip), its write is seen by another connection at once, and the
    connection goes back to the pool as it came: the next unit of work is a transaction."""
    from sqlalchemy import event

    db = Database(notifications_app.extensions["db"].url, pool_size=1)
    other = Database(notifications_app.extensions["db"].url)
    autocommit = []

    def record(connection, *_args):
        autocommit.append(connection.connection.dbapi_connection.autocommit)

    try:
        with db.unit_of_work() as session:
            session.execute(text("CREATE TABLE IF NOT EXISTS one_statement_probe (n int)"))
            session.execute(text("DELETE FROM one_statement_probe"))
        event.listen(db.engine, "before_cursor_execute", record)
        result = db.one_statement(text("INSERT INTO one_statement_probe VALUES (1), (2)"), {})
        event.remove(db.engine, "before_cursor_execute", record)

        assert autocommit == [True]
        assert result.rowcount == 2
        with other.unit_of_work() as session:
            assert session.scalar(text("SELECT count(*) FROM one_statement_probe")) == 2
        with db.unit_of_work() as session:
            assert session.connection().connection.dbapi_connection.autocommit is False
            session.execute(text("DROP TABLE one_statement_probe"))
    finally:
        db.dispose()
        other.dispose()
