"""Transactional outbox.

A use case calls `publish(session, producer, name, version, payload)` beside its own writes;
the event row commits or rolls back with them. A relay process then moves unsent rows to
dramatiq on Redis, each consuming service's events several to a message, and marks them sent. If Redis is down
the rows stay unsent and the relay tries again with backoff; a row sent twice (a crash between
sending and marking) is harmless because consumers are idempotent.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime

import dramatiq
import redis
from sqlalchemy import JSON, Integer, String, Text, insert, select
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.core import events
from shared.core.db import CoreBase, Database, UtcDateTime
from shared.core.logs import current_request_id

log = logging.getLogger("tremplin.outbox")


class OutboxMessage(CoreBase):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    producer: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    def envelope(self) -> dict:
        return {
            "id": self.event_id,
            "name": self.name,
            "version": self.version,
            "producer": self.producer,
            "occurred_at": self.occurred_at.isoformat(),
            "request_id": self.request_id,
            "payload": self.payload,
        }


def publish(session: Session, producer: str, name: str, version: int, payload: dict) -> str:
    """Write an event in the caller's transaction. Returns its id.

    The producer names the version it writes: a newer version of the contract is published by a
    change to the producer, never by the contract's registration alone.
    """
    event_id = events.new_event_id()
    row = {
        "event_id": event_id,
        "name": name,
        "version": version,
        "producer": producer,
        "payload": events.dump_payload(name, version, payload),
        "request_id": current_request_id(),
        "occurred_at": events.utcnow(),
        "attempts": 0,
    }
    # Inserted now, in the caller's transaction, with no ORM unit of work (an object to track,
    # then flush, cost a third of a write) and nothing read back.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # On PostgreSQL, the statement compiled once (below) and sent to psycopg as it is: its
        # compilation lookup, parameter processing and result object were a fifth of a write's
        # CPU (issue 15). The values are those the Core statement would send: the payload in JSON
        # (psycopg sends text, which PostgreSQL takes as json), the time aware and in UTC.
        row["payload"] = json.dumps(row["payload"])
        connection.exec_driver_sql(_POSTGRESQL_INSERT, row)
    else:
        # SQLite (make run): its column types write the time and the JSON their own way.
        connection.execute(_INSERT, row)
    return event_id


_INSERT = insert(OutboxMessage.__table__).inline()  # nothing read back (no RETURNING id)
_POSTGRESQL_INSERT = str(_INSERT.compile(
    dialect=postgresql_psycopg.dialect(),
    column_keys=["event_id", "name", "version", "producer", "payload", "request_id", "occurred_at", "attempts"]))


def consumer_actor_name(service: str) -> str:
    return f"{service}.on_event"


def batch_actor_name(service: str) -> str:
    """The actor given several events at once (shared.core.consumer.consume_batch)."""
    return f"{service}.on_events"


# At most this many events in one message to a service: enough to share a transaction and a
# queue message, few enough that a backlog is spread over the worker's threads.
EVENTS_PER_MESSAGE = int(os.environ.get("RELAY_EVENTS_PER_MESSAGE", 20))


def event_messages(service: str, envelopes: list[dict], per_message: int = EVENTS_PER_MESSAGE) -> list[dramatiq.Message]:
    """The messages that carry `envelopes` to a service: one event alone on `on_event`, several
    together on `on_events`, at most `per_message` a message."""
    messages = []
    for start in range(0, len(envelopes), per_message):
        chunk = envelopes[start:start + per_message]
        if len(chunk) == 1:
            actor_name, args = consumer_actor_name(service), (chunk[0],)
        else:
            actor_name, args = batch_actor_name(service), (chunk,)
        messages.append(dramatiq.Message(queue_name=service, actor_name=actor_name, args=args, kwargs={}, options={}))
    return messages


# What a Redis outage looks like from the relay.
BROKER_DOWN = (redis.exceptions.RedisError, dramatiq.errors.BrokerConnectionError, OSError)


class Relay:
    def __init__(self, db: Database, broker: dramatiq.Broker, batch_size: int = 100,
                 events_per_message: int = EVENTS_PER_MESSAGE):
        self.db = db
        self.broker = broker
        self.batch_size = batch_size
        self.events_per_message = events_per_message

    def relay_batch(self) -> int:
        """Send one batch of unsent events; returns how many were sent.

        The batch's messages go to Redis in one round trip (`broker.enqueue_all`). Raises one of
        BROKER_DOWN when Redis refuses; the batch then stays unsent, with its `last_error`, for
        the next try (any of its messages that got through are sent again: consumers are
        idempotent).
        """
        with self.db.unit_of_work() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))
                .order_by(OutboxMessage.id)
                .limit(self.batch_size)
                # Several relays may run: each takes rows the others have not locked.
                .with_for_update(skip_locked=True)
            ).all()
            # Each consuming service's events of the batch, in order, several to a message.
            by_service: dict[str, list[dict]] = {}
            for row in rows:
                envelope = row.envelope()
                for service in events.lookup(row.name, row.version).consumers:
                    by_service.setdefault(service, []).append(envelope)
            messages = [message for service, envelopes in by_service.items()
                        for message in event_messages(service, envelopes, self.events_per_message)]
            for row in rows:
                row.attempts += 1
            try:
                if messages:
                    # Here, not at the top: importing the module builds the process's broker.
                    from shared.core.broker import enqueue_all

                    enqueue_all(self.broker, messages)
            except BROKER_DOWN as error:
                for row in rows:
                    row.last_error = f"{type(error).__name__}: {error}"[:2000]
                failure = error
            else:
                failure = None
                sent_at = events.utcnow()
                for row in rows:
                    row.sent_at = sent_at
                    row.last_error = None
        if failure is not None:
            raise failure
        return len(rows)

    def run(self, stop: threading.Event, idle_seconds: float = 0.5, max_backoff: float = 30.0) -> None:
        backoff = idle_seconds
        while not stop.is_set():
            try:
                sent = self.relay_batch()
            except BROKER_DOWN as error:
                log.warning("broker unavailable, events kept in the outbox", extra={"error": str(error), "retry_in": backoff})
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff)
                continue
            except Exception:  # the database itself; keep the relay alive and try again
                log.exception("relay batch failed")
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff)
                continue
            backoff = idle_seconds
            if sent:
                log.info("events relayed", extra={"count": sent})
            if sent < self.batch_size:
                stop.wait(idle_seconds)


def pending_count(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
