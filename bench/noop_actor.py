"""The reference of the event rows of bench/platform_load.py: a dramatiq actor that does nothing,
on the project's broker (same middleware), run by a worker process with the Procfile's settings."""
import shared.core.broker  # noqa: F401  (binds the actor below to the project's broker)
import dramatiq


@dramatiq.actor(queue_name="bench-noop", max_retries=0)
def nothing(number: int) -> None:
    return None
