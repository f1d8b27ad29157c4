"""The notifications worker: `dramatiq shared.core.broker services.notifications.actors`.

`on_event` records the deliveries an event calls for (idempotently, see shared.core.consumer) and,
in the same unit of work, takes the first INLINE_DELIVERIES of them (deliveries.take), which its
thread then sends itself after the commit: the common event, one email, costs one queue message
and two transactions instead of two and three. It asks `deliver_several` to send any others,
DELIVERIES_PER_MESSAGE a message, so that the worker's threads share a long list. `on_events` does the same for several events the relay sent
together, in one unit of work (shared.core.consumer.consume_batch), taking at least one delivery
per event it carries. `deliver` sends a delivery when it is due; when it is not yet
due (a reminder, or a retry after a temporary failure) it puts itself back on the queue with a
delay, in hops of at most six days because Redis-backed dramatiq refuses longer delays.

A worker that dies leaves messages behind in Redis (see shared.core.broker for how the broker
gives them back) and may leave a delivery `sending`: every worker process also runs a sweeper
thread that wakes the deliveries left behind (deliveries.sweep), every
DELIVERY_SWEEP_SECONDS, from its start. The bounds are in docs/architecture.md ("Faults").
"""
import functools
import logging
import os
import threading

import dramatiq

import shared.core.broker  # noqa: F401  (the broker is built before any actor is declared)
from shared.core.broker import pool_size
from services.notifications import deliveries
from services.notifications.config import SERVICE, recovery, settings
from shared.core.consumer import NOT_RETRIED, Handlers, consume, consume_batch
from shared.core.db import Database
from shared.core.logs import configure_logging, request_id_context
from shared.core.outbox import batch_actor_name, consumer_actor_name

log = logging.getLogger("tremplin.notifications.actors")

# dramatiq's Redis broker refuses delays of 7 days or more; AgeLimit drops messages older than 7 days.
MAX_HOP_SECONDS = 6 * 24 * 3600

configure_logging(SERVICE)

HANDLERS: Handlers = deliveries.HANDLERS  # what on_event handles, by (name, version)


@functools.cache
def database() -> Database:
    return Database(settings().database_url, pool_size=pool_size())


# Longer than any SMTP exchange (cut before the lease ends), so that dramatiq never interrupts
# one between the server's acceptance and its record. Read when the worker starts.
DELIVER_TIME_LIMIT_MS = int((recovery().lease + 30) * 1000)
# on_event: the consumption's own limit (the broker's), then its deliveries' exchanges, which
# all end before the lease taken with the event does.
ON_EVENT_TIME_LIMIT_MS = int(os.environ.get("DRAMATIQ_TIME_LIMIT_MS", 60_000)) + DELIVER_TIME_LIMIT_MS
# Deliveries an on_event message sends itself; the others are `deliver` messages.
INLINE_DELIVERIES = int(os.environ.get("DELIVERY_INLINE_PER_MESSAGE", 10))


@dramatiq.actor(actor_name=consumer_actor_name(SERVICE), queue_name=SERVICE, throws=NOT_RETRIED,
                time_limit=ON_EVENT_TIME_LIMIT_MS)
def on_event(envelope: dict) -> None:
    taken = _Taken()
    consume(database(), HANDLERS, envelope, then=lambda session, event: taken.take(session, [event]))
    taken.send({envelope.get("id"): envelope.get("request_id")})


@dramatiq.actor(actor_name=batch_actor_name(SERVICE), queue_name=SERVICE, time_limit=ON_EVENT_TIME_LIMIT_MS)
def on_events(envelopes: list[dict]) -> None:
    """Several events in one unit of work (shared.core.consumer.consume_batch), then their
    deliveries, sent by this thread as on_event does: INLINE_DELIVERIES of them, or one per event
    when the batch has more events. The relay's batches already spread a backlog over the
    worker's threads (at most RELAY_EVENTS_PER_MESSAGE events a message): a `deliver` message for
    each email beyond the tenth, a message and a transaction more each, made a backlog of
    one-email events a third slower (issue 15). A long list (a campaign's news) is still spread."""
    taken = _Taken(max(INLINE_DELIVERIES, len(envelopes)))
    if consume_batch(database(), HANDLERS, envelopes, on_event, then=taken.take):
        taken.send({envelope.get("id"): envelope.get("request_id") for envelope in envelopes})


class _Taken:
    """The deliveries a message takes in one unit of work (an event's: deliveries.take, up to
    INLINE_DELIVERIES, and those it leaves to other messages; `deliver_several`'s), sent after
    the commit."""

    def __init__(self, limit: int | None = None):
        self.limit = INLINE_DELIVERIES if limit is None else limit
        self.taken: list[tuple[int, str, object]] = []  # (delivery id, event id, claim or attempt)
        self.others: list[tuple[int, str]] = []

    def take(self, session, batch) -> None:
        # In the events' own unit of work, and also after a repeated event: if sending or
        # enqueueing failed the first time, the retry does it. Run again if the unit of work is.
        self.taken, self.others = deliveries.take(session, batch, self.limit)

    def send(self, request_ids: dict[str, str | None]) -> None:
        try:
            hand_over(self.others, request_ids)
        except BaseException:
            _release(self.taken)
            raise
        _send_taken([(delivery_id, request_ids.get(event_id), claim) for delivery_id, event_id, claim in self.taken])


def _send_taken(taken: list[tuple[int, str | None, object]]) -> None:
    """Send deliveries taken and committed (delivery id, request id, claim or attempt), each
    recorded as `deliver` records it; those not due, or held by another worker, come back."""
    started = 0  # taken[started:] have not been handed to the mail server
    try:
        for delivery_id, request_id, claim in taken:
            started += 1
            with request_id_context(request_id):
                attempt = claim if isinstance(claim, deliveries.Attempt) else deliveries.send_claimed(database(), claim)
            _come_back(delivery_id, request_id, attempt)
    except BaseException:
        # Those not sent go back to the queue, for this message's retry. The one being sent,
        # if any, stays `sending`, as with `deliver`: the server may have it; its lease runs out.
        _release(taken[started:])
        raise


def _release(taken: list[tuple]) -> None:
    deliveries.release(database(), [claim for _, _, claim in taken if not isinstance(claim, deliveries.Attempt)])


@dramatiq.actor(actor_name=f"{SERVICE}.deliver", queue_name=SERVICE, time_limit=DELIVER_TIME_LIMIT_MS)
def deliver(delivery_id: int, request_id: str | None = None) -> None:
    """Send one delivery if it is due (idempotent: a settled delivery is left alone)."""
    with request_id_context(request_id):
        attempt = deliveries.attempt_delivery(database(), delivery_id)
    _come_back(delivery_id, request_id, attempt)


# Deliveries a `deliver_several` message carries: one queue message, not one each, for the
# emails of an event beyond those its own message sends (a campaign's news to every backer).
DELIVERIES_PER_MESSAGE = int(os.environ.get("DELIVERIES_PER_MESSAGE", 10))


def hand_over(others: list[tuple[int, str]], request_ids: dict[str, str | None]) -> None:
    """The deliveries an event message leaves to other messages: `deliver_several` messages of
    up to DELIVERIES_PER_MESSAGE deliveries of one event, queued in one round trip to Redis."""
    from shared.core.broker import enqueue_all

    by_event: dict[str, list[int]] = {}
    for delivery_id, event_id in others:
        by_event.setdefault(event_id, []).append(delivery_id)
    messages = []
    for event_id, ids in by_event.items():
        for start in range(0, len(ids), DELIVERIES_PER_MESSAGE):
            chunk = ids[start:start + DELIVERIES_PER_MESSAGE]
            messages.append(deliver.message(chunk[0], request_ids.get(event_id)) if len(chunk) == 1
                            else deliver_several.message(chunk, request_ids.get(event_id)))
    if messages:
        enqueue_all(deliver.broker, messages)


@dramatiq.actor(actor_name=f"{SERVICE}.deliver_several", queue_name=SERVICE, time_limit=ON_EVENT_TIME_LIMIT_MS)
def deliver_several(delivery_ids: list[int], request_id: str | None = None) -> None:
    """`deliver` for several deliveries: taken together in one transaction (deliveries.claim_several),
    then sent in turn, each recorded as `deliver` records it; those not due, or held by another
    worker, come back as `deliver` does. Idempotent: a redelivered message sends nothing twice.
    As with `on_event`, every exchange ends before the lease taken with them does, so its time
    limit is `on_event`'s: the broker's for the transaction that takes them (which may wait on a
    row another worker holds), then `deliver`'s for all the exchanges. If the message fails
    midway, what it had not sent goes back."""
    with request_id_context(request_id):
        claims = deliveries.claim_several(database(), delivery_ids)
    _send_taken([(delivery_id, request_id, claim) for delivery_id, claim in claims])  # one event's: one request id


def _come_back(delivery_id: int, request_id: str | None, attempt: deliveries.Attempt) -> None:
    """A delivery not yet due, or to try again, is a `deliver` message delayed until then."""
    if attempt.retry_in is not None:
        delay_ms = max(int(min(attempt.retry_in, MAX_HOP_SECONDS) * 1000), 1)
        deliver.send_with_options(args=(delivery_id, request_id), delay=delay_ms)


class DeliverySweeper(dramatiq.Middleware):
    """Runs `deliveries.sweep` in a thread of each worker process, from its start and then
    every `sweep_every` seconds, and wakes what it finds."""

    def __init__(self):
        self._stops: dict[int, threading.Event] = {}

    def after_worker_boot(self, broker, worker):
        stop = threading.Event()
        self._stops[id(worker)] = stop
        threading.Thread(target=self._run, args=(stop,), name="delivery-sweeper", daemon=True).start()

    def before_worker_shutdown(self, broker, worker):
        stop = self._stops.pop(id(worker), None)
        if stop is not None:
            stop.set()

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                for delivery_id, request_id in deliveries.sweep(database()):
                    deliver.send(delivery_id, request_id)
            except Exception:
                # The database or Redis is down: the next pass tries again.
                log.exception("delivery sweep failed")
            stop.wait(recovery().sweep_every)


deliver.broker.add_middleware(DeliverySweeper())
