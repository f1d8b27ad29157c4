"""Idempotent consumption of events.

Every consuming service has one actor, `<service>.on_event`, on a queue named after it, and
one handler per (name, version) of event it understands. A handler is called with the session
and an `events.Event` (the payload validated against that version's contract), never the raw
envelope. The event id is recorded in the consumer's database in the same transaction as the
handler's effect, so a redelivered event (the relay sent it twice, or dramatiq retried after the
commit) finds its id and does nothing.

An event the service has no handler for is an error, not a success: it is logged, its id is not
recorded, and `UnhandledEvent` is raised, which dramatiq does not retry but moves to the queue's
dead-letter set (kept a week in Redis), where it can be found and requeued once a handler
exists. The contract test (tests/unit/shared/test_event_contracts.py) keeps it from happening to
an event a contract says the service consumes.

Events come one to a message (`<service>.on_event`), or several to a message when the relay
found several for the service in one batch (`<service>.on_events`, see shared.core.outbox):
`consume_batch` applies those in one unit of work (one transaction and one queue message for up
to RELAY_EVENTS_PER_MESSAGE events), each once by its key as `consume` does. An event of the
batch that breaks its contract or has no handler, and every event of a batch whose unit of work
failed (a handler's error, a deadlock, the database), are sent again each on its own `on_event`
message, where it fails, is retried or is dead-lettered alone, as it would have been.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Callable

import dramatiq
from sqlalchemy import String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.core import events
from shared.core.db import CoreBase, Database, UtcDateTime
from shared.core.logs import configure_logging, request_id_context
from shared.core.outbox import batch_actor_name, consumer_actor_name

log = logging.getLogger("tremplin.consumer")

Handler = Callable[[Session, events.Event], None]
Handlers = Mapping[tuple[str, int], Handler]  # keyed by (event name, version)


class UnhandledEvent(LookupError):
    def __init__(self, event: events.Event):
        super().__init__(f"no handler for event {event.name} v{event.version}")
        self.event = event


# An event that breaks its contract, or that the service has no handler for, fails the same way
# every time: retrying it is pointless.
NOT_RETRIED = (events.EventContractError, UnhandledEvent)


class ProcessedEvent(CoreBase):
    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)


def consume(db: Database, handlers: Handlers, data: dict, *, then: Callable[[Session, events.Event], None] | None = None) -> bool:
    """Apply an event once. Returns False when it had already been applied.

    `then(session, event)`, if given, runs in the same unit of work after the handler, and also
    when the event had already been applied: what a consumer does once the event is recorded
    (the notifications worker reads the deliveries it has to wake) costs no transaction of its own.
    """
    envelope = events.read_envelope(data)
    event = events.Event.of(envelope)
    with request_id_context(envelope["request_id"]):
        facts = {"event_id": event.id, "event": event.name, "version": event.version}
        handler = handlers.get(event.key)
        if handler is None:
            log.error("event has no handler", extra=facts)
            raise UnhandledEvent(event)
        try:
            with db.unit_of_work() as session:
                applied = _record(session, event)
                if applied:
                    handler(session, event)
                if then is not None:
                    then(session, event)
        except IntegrityError:
            # Another delivery of the event committed its key first: it has been applied.
            applied = False
            if then is not None:
                with db.unit_of_work() as session:
                    then(session, event)
        log.info("event processed" if applied else "event already processed", extra=facts)
        return applied


def consume_batch(db: Database, handlers: Handlers, envelopes: list[dict], single: dramatiq.Actor, *,
                  then: Callable[[Session, list[events.Event]], None] | None = None) -> list[events.Event]:
    """Apply a batch of events in one unit of work, each once (see the module). `then` runs once
    for the batch's events, after their handlers, as in `consume`. Those that cannot be applied
    here go on their own `single` (the service's on_event) messages. Returns the events the unit
    of work committed (applied now or before): none when it failed, and then whatever `then` did
    is undone."""
    alone: list[dict] = []
    batch: list[tuple[dict, events.Event]] = []  # (the envelope as it came, the event)
    seen: set[str] = set()
    for data in envelopes:
        try:
            envelope = events.read_envelope(data)
            event = events.Event.of(envelope)
        except events.EventContractError:
            alone.append(data)  # consume() logs and refuses it, once, on its own message
            continue
        if event.key not in handlers:
            alone.append(data)
        elif event.id not in seen:  # the same event twice in a batch is applied once
            seen.add(event.id)
            batch.append((data, event))
    if batch:
        try:
            with db.unit_of_work() as session:
                applied = _record_all(session, [event for _, event in batch])
                for envelope, event in batch:
                    if event.id in applied:
                        with request_id_context(envelope.get("request_id")):
                            handlers[event.key](session, event)
                if then is not None:
                    then(session, [event for _, event in batch])
        except Exception:
            log.warning("event batch failed: its events go each on its own message",
                        extra={"event_ids": [event.id for _, event in batch]}, exc_info=True)
            alone.extend(envelope for envelope, _ in batch)
            batch = []
        else:
            for envelope, event in batch:
                with request_id_context(envelope.get("request_id")):
                    log.info("event processed" if event.id in applied else "event already processed",
                             extra={"event_id": event.id, "event": event.name, "version": event.version})
    if alone:
        from shared.core.broker import enqueue_all  # here: importing it builds the process's broker

        enqueue_all(single.broker, [single.message(envelope) for envelope in alone])
    return [event for _, event in batch]


def _record_all(session: Session, batch: list[events.Event]) -> set[str]:
    """`_record` for a batch, in one statement: the ids of the events not applied before. Keys
    are inserted in order, so that two batches sharing events wait on each other rather than
    deadlock."""
    now = events.utcnow()
    rows = sorted(({"event_id": event.id, "name": event.name, "processed_at": now} for event in batch),
                  key=lambda row: row["event_id"])
    statement = (
        _INSERT_UNLESS_PRESENT[session.get_bind().dialect.name](ProcessedEvent)
        .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
        .returning(ProcessedEvent.event_id)
    )
    # Executed with many rows: SQLAlchemy writes one INSERT of them all (its "insertmanyvalues"),
    # from a statement compiled once.
    return set(session.execute(statement, rows).scalars())


def _record(session: Session, event: events.Event) -> bool:
    """Write the event's processed key first; False when it is there already.

    One statement: the key is inserted unless present. A second delivery racing the first waits
    on the first one's key until it commits, then finds it (or inserts it, if the first rolled
    back), so the two meet on the primary key and the handler runs once.
    """
    row = {"event_id": event.id, "name": event.name, "processed_at": events.utcnow()}
    return session.execute(_recording(session.get_bind().dialect.name), row).scalar() is not None


@functools.cache
def _recording(dialect: str):
    """`_record`'s statement on a database, built once, its values bound at each call."""
    return (
        _INSERT_UNLESS_PRESENT[dialect](ProcessedEvent.__table__)
        .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
        .returning(ProcessedEvent.event_id)
    )


# The two databases we run on (PostgreSQL, and SQLite under `make run`).
_INSERT_UNLESS_PRESENT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def event_actor(service: str, handlers: Handlers, database: Callable[[], Database]):
    """Declare the service's event actors (one event, several) on the broker built by
    shared.core.broker; returns the one-event actor."""
    configure_logging(service)

    def on_event(envelope: dict) -> None:
        consume(database(), handlers, envelope)

    on_event.__name__ = f"{service}_on_event"
    single = dramatiq.actor(on_event, actor_name=consumer_actor_name(service), queue_name=service, throws=NOT_RETRIED)

    def on_events(envelopes: list[dict]) -> None:
        consume_batch(database(), handlers, envelopes, single)

    on_events.__name__ = f"{service}_on_events"
    dramatiq.actor(on_events, actor_name=batch_actor_name(service), queue_name=service)
    return single
