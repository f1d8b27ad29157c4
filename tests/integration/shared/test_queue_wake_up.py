"""An idle consumer is woken when a message is queued (shared.core.broker.WakingRedisBroker,
issue 15): dramatiq's own consumer polls an empty queue, sleeping up to a second between looks.
Each test has a broker of its own on the real Redis, in a namespace of its own, whose consumers
would otherwise wait 30 s before looking again: a message taken in less means it was woken."""
import os
import threading
import time
import uuid

import dramatiq
import pytest

from shared.core.broker import AFTER_WAIT_MS, WakingRedisBroker, enqueue_all

QUEUE = "wake-probe"
LONG_WAIT_S = 30


@pytest.fixture
def waking():
    namespace = f"tremplin-wake-{uuid.uuid4().hex[:8]}"
    broker = WakingRedisBroker(idle_wait_ms=LONG_WAIT_S * 1000, url=os.environ["REDIS_URL"], namespace=namespace)
    broker.declare_queue(QUEUE)
    yield broker
    broker.close_wakers()
    keys = list(broker.client.scan_iter(f"{namespace}*"))
    if keys:
        broker.client.delete(*keys)
    broker.client.close()


def _fetch_in_a_thread(broker, queue: str = QUEUE) -> dict:
    """A consumer's fetch on an empty queue, in a thread of its own as a consumer runs."""
    outcome = {}

    def fetch():
        started = time.monotonic()
        outcome["messages"] = broker.do_fetch(queue, 4)
        outcome["seconds"] = time.monotonic() - started
        broker.close_wakers()

    thread = threading.Thread(target=fetch)
    thread.start()
    outcome["thread"] = thread
    return outcome


def _message(number: int) -> dramatiq.Message:
    return dramatiq.Message(queue_name=QUEUE, actor_name="probe", args=(number,), kwargs={}, options={})


@pytest.mark.parametrize("how", ["enqueue", "enqueue_all"])
def test_a_consumer_waiting_on_an_empty_queue_takes_a_message_as_soon_as_it_is_queued(waking, how):
    outcome = _fetch_in_a_thread(waking)
    time.sleep(0.5)  # the consumer has looked, found nothing, and waits
    assert outcome["thread"].is_alive()

    if how == "enqueue":
        waking.enqueue(_message(1))
    else:  # as the relay and the notifications worker queue several at once
        enqueue_all(waking, [_message(1), _message(2)])
    outcome["thread"].join(LONG_WAIT_S + 5)

    assert outcome["seconds"] < LONG_WAIT_S / 3  # woken, not at the end of its wait
    assert len(outcome["messages"]) == (1 if how == "enqueue" else 2)


def test_a_consumer_that_finds_messages_waits_for_nothing_and_one_woken_for_nothing_looks_once_more(waking):
    enqueue_all(waking, [_message(1)])
    started = time.monotonic()
    assert len(waking.do_fetch(QUEUE, 4)) == 1  # the wake-up it left behind is dropped with its message
    assert time.monotonic() - started < LONG_WAIT_S / 3

    quick = WakingRedisBroker(idle_wait_ms=200, url=os.environ["REDIS_URL"], namespace=waking.namespace)
    try:
        started = time.monotonic()
        assert quick.do_fetch(QUEUE, 4) == []  # nothing queued: it gives up after its wait
        assert 0.15 <= time.monotonic() - started < LONG_WAIT_S / 3
    finally:
        quick.close_wakers()
        quick.client.close()


def test_a_delayed_message_wakes_the_consumer_of_the_delay_queue(waking):
    outcome = _fetch_in_a_thread(waking, f"{QUEUE}.DQ")
    time.sleep(0.5)
    waking.enqueue(_message(1), delay=60_000)  # a retry, a reminder: held there until it is due
    outcome["thread"].join(LONG_WAIT_S + 5)

    assert outcome["seconds"] < LONG_WAIT_S / 3
    assert len(outcome["messages"]) == 1


def test_the_consumers_of_a_worker_sleep_briefly_after_an_empty_wait_and_its_threads_as_dramatiq_sets_them(broker):
    import services.notifications.actors  # noqa: F401  (declares the notifications queues on the broker)

    worker = dramatiq.Worker(broker, worker_threads=1)  # as `dramatiq` builds it: a second
    worker.start()
    try:
        time.sleep(0.3)  # the consumer threads have made their consumers
        consumers = {name: thread.consumer for name, thread in worker.consumers.items()}
        assert {"notifications", "notifications.DQ"} <= set(consumers)
        assert {consumer.timeout for consumer in consumers.values()} == {AFTER_WAIT_MS}
        assert worker.worker_timeout == 1000
    finally:
        worker.stop()
