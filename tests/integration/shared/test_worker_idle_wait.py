"""A worker polls an idle queue at least every DRAMATIQ_IDLE_WAIT_MS (250 ms), not every second as
dramatiq's command line leaves it: a message queued after a quiet spell is taken that much sooner
(shared.core.broker.IdleWait, issue 15)."""
import dramatiq
import pytest

import services.notifications.actors  # noqa: F401  (declares the notifications queues on the broker)


def _started(broker, **options) -> dramatiq.Worker:
    worker = dramatiq.Worker(broker, worker_threads=1, **options)
    worker.start()
    return worker


def test_a_worker_built_as_the_command_line_builds_it_polls_an_idle_queue_every_quarter_second(broker):
    worker = _started(broker)  # `dramatiq` gives no timeout: dramatiq's default, a second
    try:
        assert worker.worker_timeout == 250
        consumers = {name: consumer.worker_timeout for name, consumer in worker.consumers.items()}
        # Every queue the worker reads, the delayed messages' too, is polled as often.
        assert {"notifications", "notifications.DQ"} <= set(consumers)
        assert set(consumers.values()) == {250}
    finally:
        worker.stop()


@pytest.mark.parametrize("chosen, kept", [(100, 100), (5_000, 250)])
def test_a_shorter_wait_chosen_by_whoever_builds_the_worker_is_kept_and_a_longer_one_is_cut(broker, chosen, kept):
    worker = _started(broker, worker_timeout=chosen)
    try:
        assert worker.worker_timeout == kept
        assert {consumer.worker_timeout for consumer in worker.consumers.values()} == {kept}
    finally:
        worker.stop()
