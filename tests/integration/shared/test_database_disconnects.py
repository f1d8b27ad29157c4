"""A pooled connection that PostgreSQL ended (a restart, pg_terminate_backend, an idle timeout)
costs no request: the pool sees it closed at checkout and opens another (shared.core.db)."""
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import PG_ADMIN_URL


def _pooled_pids(app, count: int) -> set[int]:
    """Make the app's pool hold `count` connections at once, and name their server processes."""
    engine = app.extensions["db"].engine
    barrier = Barrier(count)

    def hold(_):
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            barrier.wait(timeout=10)  # every connection is out of the pool at once
            return pid

    with ThreadPoolExecutor(count) as threads:
        return set(threads.map(hold, range(count)))


def _terminate(pids: set[int]) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for pid in pids:
            # Waits (up to 5 s) until the process has ended, as after a restart.
            assert connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar_one()
    admin.dispose()


def test_a_connection_the_server_ended_is_replaced_before_a_request_uses_it(grants_app):
    client = grants_app.test_client()
    assert client.get("/api/calls").status_code == 200
    pooled = _pooled_pids(grants_app, 3)
    assert len(pooled) == 3

    _terminate(pooled)

    # Every pooled connection is dead: each request gets a live one, none answers 500.
    for _ in range(5):
        assert client.get("/api/calls").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert _pooled_pids(grants_app, 3).isdisjoint(pooled)


def test_a_connection_ended_while_in_use_fails_that_statement_alone(grants_app):
    """The server ends a connection in the middle of a transaction: that work fails (its request
    answers 500, nothing is half-written), and the next request is served."""
    client = grants_app.test_client()
    engine = grants_app.extensions["db"].engine
    connection = engine.connect()
    pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    _terminate({pid})
    try:
        connection.execute(text("SELECT 1"))
    except DBAPIError as error:
        assert error.connection_invalidated
    else:
        raise AssertionError("a statement on a connection the server ended succeeded")
    finally:
        connection.close()
    assert client.get("/api/calls").status_code == 200
