"""Database access shared by the services: one engine and session factory per service.

Each service has its own declarative `Base`; the tables every service needs (outbox,
processed events, accounts) live on `CoreBase` and are created in each service's own database
by that service's migrations.
"""
from __future__ import annotations

import select
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, create_engine, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """An aware datetime, stored in UTC, read back aware on every database.

    PostgreSQL keeps the zone; SQLite (used by `make run`) keeps none and would hand back naive
    values, which could then not be compared with the clock nor written into an event.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a naive datetime cannot be stored: give it a time zone")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class CoreBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# How long a SQLite transaction waits for another one's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_connect(dbapi_connection, _record):
    # SQLAlchemy emits BEGIN itself (`_sqlite_begin`), not the sqlite3 module, which would
    # begin only before an INSERT/UPDATE/DELETE and so leave every SELECT outside the
    # transaction (SQLAlchemy's documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Several local processes (web, relay, worker) share one SQLite file under `make run`:
    # WAL lets them read while one writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection):
    # SQLite ignores SELECT ... FOR UPDATE. Taking the write lock when the transaction begins
    # makes every transaction wait for the one before it to end, which is what the row locks
    # give on PostgreSQL: two requests cannot both read "no draft yet" and both write one.
    # A deferred BEGIN would not do: the second writer would fail with "database is locked"
    # instead of waiting and reading the first one's work.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _check_alive(dbapi_connection, _record, _proxy) -> None:
    """A pooled connection the server has closed is replaced before a request uses it.

    An idle connection has nothing to read. When PostgreSQL ends it (a restart,
    pg_terminate_backend, an idle timeout) the server's last message and the end of the stream
    are waiting in the socket: one poll, no round trip, finds them, where `pool_pre_ping` would
    send a query on every checkout. The pool then opens a new connection (DisconnectionError).
    A connection that dies while in use fails that statement: SQLAlchemy recognises the
    disconnect, and the connections checked in before it are replaced at their next checkout.
    """
    if dbapi_connection.closed:
        raise exc.DisconnectionError("the connection is closed")
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        raise exc.DisconnectionError("the server closed the connection, or sent something unasked")


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkout", _check_alive)
    return engine


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """The one way work is committed: once, when the block ends; rolled back on any error.

    Use cases only add, change and flush; the request, the worker or the command that calls
    them opens the unit of work, so several use cases (deciding a call and writing its awards
    and their events) share one commit. A block opened inside another joins it.
    """
    depth = session.info.get("unit_of_work", 0)
    session.info["unit_of_work"] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info["unit_of_work"] = depth


class Database:
    """A service's database: its engine and how to open a transaction on it."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        # Statements each on its own, committed as it runs (PostgreSQL), on the same pool, whose
        # connections go back to transactions when returned: for reads (below), and for a write
        # of one statement, which is as atomic alone as in a transaction of its own and saves the
        # BEGIN and COMMIT round trips (`one_statement`).
        self.autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT") if self.is_postgresql else None
        # Sessions that only read, each statement on its own (shared.web.service_app.read_session).
        self.ReadSession = sessionmaker(self.autocommit_engine) if self.is_postgresql else None

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A new session for one unit of work (a worker's event, a command, a seed)."""
        session = self.Session()
        try:
            with unit_of_work(session):
                yield session
        finally:
            session.close()

    def one_statement(self, statement, parameters: dict):
        """Run one writing statement as a unit of work of its own, and return its result: on
        PostgreSQL without BEGIN and COMMIT (autocommit), elsewhere in a transaction."""
        if self.autocommit_engine is None:
            with self.unit_of_work() as session:
                return session.execute(statement, parameters)
        with self.autocommit_engine.connect() as connection:
            return connection.execute(statement, parameters)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def service_base() -> type[DeclarativeBase]:
    """A fresh declarative base for one service's own tables.

    The core tables (outbox, processed events, accounts) are on CoreBase; a service's models
    module imports the ones it uses, so they are known before its migrations read the metadata.
    """

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING)

    return Base
