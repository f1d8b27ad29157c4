"""Idempotent consumption of events.

Every consuming service has one actor, `<service>.on_event`, on a queue named after it. The
event id is recorded in the consumer's database in the same transaction as the handler's
effect, so a redelivered event (the relay sent it twice, or dramatiq retried after the commit)
finds its id and does nothing.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

import dramatiq
from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.core import events
from shared.core.db import CoreBase, Database, UtcDateTime
from shared.core.logs import configure_logging, request_id_context
from shared.core.outbox import consumer_actor_name

log = logging.getLogger("tremplin.consumer")

Handler = Callable[[Session, dict], None]

# An event that breaks its contract fails the same way every time: retrying it is pointless.
NOT_RETRIED = (events.EventContractError,)


class ProcessedEvent(CoreBase):
    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)


def consume(db: Database, handlers: dict[str, Handler], data: dict) -> bool:
    """Apply an event once. Returns False when it had already been applied."""
    envelope = events.read_envelope(data)
    with request_id_context(envelope.get("request_id")):
        handler = handlers.get(envelope["name"])
        try:
            with db.unit_of_work() as session:
                if session.get(ProcessedEvent, envelope["id"]) is not None:
                    log.info("event already processed", extra={"event_id": envelope["id"], "event": envelope["name"]})
                    return False
                session.add(
                    ProcessedEvent(event_id=envelope["id"], name=envelope["name"], processed_at=events.utcnow())
                )
                # Flushed first so that two deliveries racing each other meet on the primary key.
                session.flush()
                if handler is not None:
                    handler(session, envelope)
        except IntegrityError:
            log.info("event processed concurrently", extra={"event_id": envelope["id"]})
            return False
        log.info("event processed", extra={"event_id": envelope["id"], "event": envelope["name"]})
        return True


def event_actor(service: str, handlers: dict[str, Handler], database: Callable[[], Database]):
    """Declare the service's event actor on the broker built by shared.core.broker."""
    configure_logging(service)

    def on_event(envelope: dict) -> None:
        consume(database(), handlers, envelope)

    on_event.__name__ = f"{service}_on_event"
    return dramatiq.actor(
        on_event, actor_name=consumer_actor_name(service), queue_name=service, throws=NOT_RETRIED
    )
