"""The pace's rules that need no Redis; its timing is measured against the real Redis in
tests/integration/shared/test_pacing.py."""
import pytest
import redis

from shared.core.pacing import Pace

NOBODY = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.mark.parametrize("per_second", [0, -1, 2.5, True, "7"])
def test_a_pace_is_a_whole_number_of_requests_a_second(per_second):
    with pytest.raises(ValueError):
        Pace(NOBODY, "registry", per_second)


def test_without_redis_a_pace_refuses_rather_than_letting_requests_through():
    pace = Pace(NOBODY, "registry", 7, socket_timeout=0.2)
    with pytest.raises(redis.exceptions.ConnectionError):
        pace.acquire(timeout=0.5)
    with pytest.raises(redis.exceptions.ConnectionError):
        pace.try_acquire()
    assert repr(pace) == "Pace('registry', 7/s)"
