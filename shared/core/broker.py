"""The one place the dramatiq broker is built.

Imported before any actor module (`dramatiq shared.core.broker services.<name>.actors`), so every
actor binds to this broker with explicit middleware: bounded retries with exponential backoff,
a time limit per message and an age limit after which a message is dropped.

A worker process that dies without shutting down (SIGKILL, out of memory) leaves the messages it
had fetched in its own set in Redis. The broker gives them back to the queue during its
"maintenance", once the dead worker's heartbeat is older than DRAMATIQ_HEARTBEAT_TIMEOUT_MS;
dramatiq runs maintenance on one command in a thousand by default, which left messages stuck
for many minutes. Here it runs on every command of a queue (two cheap sorted-set reads while no
worker is dead), so a live worker polling that queue recovers them within the heartbeat timeout
plus about a second.
"""
from __future__ import annotations

import os
from uuid import uuid4

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class WorkerThreads(dramatiq.Middleware):
    """Remembers how many threads this process's worker runs (`dramatiq --threads`), when it
    boots, before any message: the services size their database pools by it (`pool_size`)."""

    count: int | None = None

    def before_worker_boot(self, broker, worker):
        WorkerThreads.count = worker.worker_threads


class IdleWait(dramatiq.Middleware):
    """Sets how long a worker's consumers sleep, at most, between two polls of an idle queue
    (dramatiq's `worker_timeout`, which its command line does not expose), when the worker boots,
    before its consumers start. dramatiq's default, a second, let a message queued after a quiet
    spell wait up to a second before a thread took it: the email of a sign-up, or the first of a
    burst of events, came that much later, and the bench's email row lost up to a third of its
    rate to it (issue 15). Polling an idle queue more often costs CPU: measured, about 0.7 % of a
    core a worker process at 250 ms against 0.25 % at a second (docs/architecture.md, "Scaling
    out")."""

    def __init__(self, milliseconds: int):
        self.milliseconds = milliseconds

    def before_worker_boot(self, broker, worker):
        worker.worker_timeout = min(worker.worker_timeout, self.milliseconds)  # a shorter one chosen is kept


# dramatiq's own default, for a pool built outside a worker (a test, a command).
DEFAULT_WORKER_THREADS = 8


def pool_size(own_threads: int = 1) -> int:
    """Database connections a worker process keeps open: one per worker thread (each holds at
    most one at a time) and one per thread of the service's own (a sweeper). A smaller pool
    opened and closed a connection per message for the threads beyond it."""
    return (WorkerThreads.count or DEFAULT_WORKER_THREADS) + own_threads


def build_broker(redis_url: str, namespace: str) -> RedisBroker:
    middleware = [
        AgeLimit(max_age=_int("DRAMATIQ_MAX_AGE_MS", 7 * 24 * 3600 * 1000)),
        TimeLimit(time_limit=_int("DRAMATIQ_TIME_LIMIT_MS", 60_000)),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=_int("DRAMATIQ_MAX_RETRIES", 8),
            min_backoff=_int("DRAMATIQ_MIN_BACKOFF_MS", 1_000),
            max_backoff=_int("DRAMATIQ_MAX_BACKOFF_MS", 10 * 60 * 1000),
        ),
        CurrentMessage(),
        WorkerThreads(),
        IdleWait(_int("DRAMATIQ_IDLE_WAIT_MS", 250)),
    ]
    return RedisBroker(
        url=redis_url,
        namespace=namespace,
        middleware=middleware,
        heartbeat_timeout=_int("DRAMATIQ_HEARTBEAT_TIMEOUT_MS", 60_000),
        maintenance_chance=_int("DRAMATIQ_MAINTENANCE_CHANCE", 1_000_000),  # out of a million
    )


def enqueue_all(broker: dramatiq.Broker, messages: list[dramatiq.Message]) -> None:
    """`broker.enqueue` for each message, in one round trip to Redis instead of one each.

    Each message goes through dramatiq's own enqueue script, with the same arguments as
    `RedisBroker.enqueue` gives it (dramatiq is pinned: see pyproject.toml; the relay's tests and
    the end-to-end tests read what it queued), and the same middleware hooks. If Redis fails,
    some of the messages may have been queued and the caller cannot tell which: it sends them
    all again, which the consumers' processed-event keys make harmless.
    """
    if not isinstance(broker, RedisBroker):
        for message in messages:
            broker.enqueue(message)
        return
    pipeline = broker.client.pipeline(transaction=False)
    dispatch = broker.scripts["dispatch"]
    queued = []
    for message in messages:
        # Each enqueued message has an id of its own in Redis, as RedisBroker.enqueue gives it.
        message = message.copy(options={"redis_message_id": str(uuid4())})
        broker.emit_before("enqueue", message, None)
        dispatch(keys=[broker.namespace], client=pipeline, args=[
            "enqueue", current_millis(), message.queue_name, broker.broker_id, broker.heartbeat_timeout,
            broker.dead_message_ttl, broker._should_do_maintenance("enqueue"), broker._max_unpack_size(),
            message.options["redis_message_id"], message.encode(),
        ])
        queued.append(message)
    pipeline.execute()
    for message in queued:
        broker.emit_after("enqueue", message, None)


broker = build_broker(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    os.environ.get("DRAMATIQ_NAMESPACE", "tremplin"),
)
dramatiq.set_broker(broker)
