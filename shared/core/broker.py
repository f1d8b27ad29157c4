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
import threading
import time
from uuid import uuid4

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
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


class WakingRedisBroker(RedisBroker):
    """dramatiq's Redis broker, whose idle consumers are woken when a message is queued.

    dramatiq's consumer polls an empty queue, sleeping longer each time, up to the worker's timeout
    (a second, which its command line does not change): a message queued after a quiet spell
    waited up to that long before a thread took it, the email of a sign-up or the first of a
    burst of events, and the bench's email row lost up to a third of its rate to it (issue 15).
    Here every enqueue also publishes on its queue's channel, in the same round trip, and a
    consumer that finds its queue empty waits on that channel, up to `idle_wait_ms`, before it
    looks again: it takes the message as soon as it is queued, and an idle worker looks at Redis
    no more often than dramatiq's did. The look every `idle_wait_ms` stays for what comes without
    an enqueue: a dead worker's messages given back, and the worker's heartbeat.
    """

    def __init__(self, *, idle_wait_ms: int, **options):
        super().__init__(**options)
        self.idle_wait = idle_wait_ms / 1000
        self._fetch = self._dispatch("fetch")
        self._enqueue = self.scripts["dispatch"]
        self._wakers = threading.local()  # each consumer thread's subscriptions, by queue

    @property
    def consumer_class(self):
        return _WokenConsumer

    def wake_channel(self, queue_name: str) -> str:
        return f"{self.namespace}:{queue_name}.wake"

    def enqueue_in(self, pipeline, queue_name: str, redis_message_id: str, data: bytes) -> None:
        """Queue one message on a Redis pipeline: dramatiq's own enqueue script, with the arguments
        `RedisBroker.enqueue` gives it (dramatiq is pinned: see pyproject.toml)."""
        self._enqueue(keys=[self.namespace], client=pipeline, args=[
            "enqueue", current_millis(), queue_name, self.broker_id, self.heartbeat_timeout,
            self.dead_message_ttl, self._should_do_maintenance("enqueue"), self._max_unpack_size(),
            redis_message_id, data,
        ])

    def wake_in(self, pipeline, queue_name: str) -> None:
        pipeline.publish(self.wake_channel(queue_name), b"")

    def do_enqueue(self, queue_name: str, redis_message_id: str, data: bytes) -> None:
        """RedisBroker.enqueue's step that writes to Redis: the message, and its queue's wake-up."""
        pipeline = self.client.pipeline(transaction=False)
        self.enqueue_in(pipeline, queue_name, redis_message_id, data)
        self.wake_in(pipeline, queue_name)
        pipeline.execute()

    def do_fetch(self, queue_name: str, count: int) -> list:
        """The consumer's fetch: when the queue is empty, wait for a message to be queued (or
        `idle_wait`) and look once more. Wake-ups seen before this look are dropped first: the
        look takes their messages."""
        waker = self._waker(queue_name)
        try:
            waker.clear()
            messages = self._fetch(queue_name, count)
            if not messages and waker.wait(self.idle_wait):
                messages = self._fetch(queue_name, count)
            return messages
        except redis.RedisError:
            self.close_wakers()  # a new subscription at the next look, once Redis answers
            raise

    def _waker(self, queue_name: str) -> "_Waker":
        wakers = self._wakers.__dict__.setdefault("by_queue", {})
        if queue_name not in wakers:
            wakers[queue_name] = _Waker(self.client, self.wake_channel(queue_name))
        return wakers[queue_name]

    def close_wakers(self) -> None:
        """Close this thread's subscriptions (a consumer thread that ends, or lost Redis)."""
        for waker in self._wakers.__dict__.pop("by_queue", {}).values():
            waker.close()


class _Waker:
    """One consumer thread's subscription to its queue's wake-up channel."""

    def __init__(self, client: redis.Redis, channel: str):
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(channel)

    def clear(self) -> None:
        while self.pubsub.get_message(timeout=0) is not None:
            pass

    def wait(self, seconds: float) -> bool:
        """True when a message was queued within `seconds`. The subscription's confirmation, which
        may come first, is not one (get_message gives None for it, as at the end of its wait)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.pubsub.get_message(timeout=left) is not None:
                return True
        return False

    def close(self) -> None:
        try:
            self.pubsub.close()
        except redis.RedisError:
            pass


# After a wait that found nothing queued, a consumer sleeps this long at most before it looks
# again (dramatiq's backoff, capped by its consumer's timeout: the worker's, a second).
AFTER_WAIT_MS = 10


class _WokenConsumer(_RedisConsumer):
    """dramatiq's Redis consumer (the broker's `consumer_class`), whose fetch waits for a wake-up
    (WakingRedisBroker.do_fetch) and which therefore sleeps only briefly after an empty one."""

    def __init__(self, broker, queue_name, prefetch, timeout):
        super().__init__(broker, queue_name, prefetch, min(timeout, AFTER_WAIT_MS))


class WakerCleanup(dramatiq.Middleware):
    """Closes a consumer thread's subscriptions when it stops (Worker.stop). Only `build_broker`
    adds it, to a WakingRedisBroker."""

    def before_consumer_thread_shutdown(self, broker: WakingRedisBroker, thread):
        broker.close_wakers()


# dramatiq's own default, for a pool built outside a worker (a test, a command).
DEFAULT_WORKER_THREADS = 8


def pool_size(own_threads: int = 1) -> int:
    """Database connections a worker process keeps open: one per worker thread (each holds at
    most one at a time) and one per thread of the service's own (a sweeper). A smaller pool
    opened and closed a connection per message for the threads beyond it."""
    return (WorkerThreads.count or DEFAULT_WORKER_THREADS) + own_threads


def build_broker(redis_url: str, namespace: str) -> WakingRedisBroker:
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
        WakerCleanup(),
    ]
    return WakingRedisBroker(
        idle_wait_ms=_int("DRAMATIQ_IDLE_WAIT_MS", 1_000),
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
    all again, which the consumers' processed-event keys make harmless. Each queue it wrote to is
    woken once, at the end of the same round trip (WakingRedisBroker).
    """
    if not isinstance(broker, WakingRedisBroker):
        for message in messages:
            broker.enqueue(message)
        return
    pipeline = broker.client.pipeline(transaction=False)
    queued = []
    for message in messages:
        # Each enqueued message has an id of its own in Redis, as RedisBroker.enqueue gives it.
        message = message.copy(options={"redis_message_id": str(uuid4())})
        broker.emit_before("enqueue", message, None)
        broker.enqueue_in(pipeline, message.queue_name, message.options["redis_message_id"], message.encode())
        queued.append(message)
    for queue_name in dict.fromkeys(message.queue_name for message in queued):
        broker.wake_in(pipeline, queue_name)
    pipeline.execute()
    for message in queued:
        broker.emit_after("enqueue", message, None)


broker = build_broker(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    os.environ.get("DRAMATIQ_NAMESPACE", "tremplin"),
)
dramatiq.set_broker(broker)
