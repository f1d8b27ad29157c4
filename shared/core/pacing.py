"""A pace of requests to an outside system, held in Redis so that it holds across every worker
process and thread: at most N requests in any one second.

The budget is `limits`' moving window (the library the sign-in limits use): Redis keeps the
times of the last N requests of a pace, and a request is let through only when the N-th latest
is more than a second old (one Lua script, so two processes never take the same slot). That is
exact, unlike a fixed window (up to 2N across a boundary) or `limits`' sliding-window counter
(an estimate). `acquire` waits for a slot: when the window is full it sleeps until the oldest
request in it is a second old, then tries again, so the pace reaches its rate within a few
milliseconds a second (see tests/integration/shared/test_pacing.py).

The times are the callers' clocks (`limits` passes `time.time()` to the script): processes on
different machines need their clocks in step (NTP), or the pace is off by their difference.
Up to N requests may go out at once at the start of a second (the window allows a burst), never
more than N in any second.

When Redis does not answer, `acquire` raises Redis' error rather than letting requests through
unpaced: a dramatiq actor's retry takes it from there.

Used by the company registry adapter (7 a second, services/grants/registry.py) and, in the
crowdfunding close, by Stripe charging (`STRIPE_MAX_REQUESTS_PER_SECOND`).
"""
from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

# Shortest sleep between two tries when the window is full: a slot frees at a known time, but
# a clock read between two processes may be a hair early.
_MIN_WAIT = 0.001


class Pace:
    """At most `per_second` requests a second under `name`, shared by every process using the
    same Redis and namespace."""

    def __init__(self, redis_url: str, name: str, per_second: int, *, namespace: str = "tremplin",
                 socket_timeout: float = 2.0):
        if not isinstance(per_second, int) or isinstance(per_second, bool) or per_second < 1:
            raise ValueError("A pace is a whole number of requests a second, at least 1.")
        self.name = name
        self.per_second = per_second
        self._item = RateLimitItemPerSecond(per_second, 1)
        storage = RedisStorage(
            redis_url, key_prefix=f"{namespace}:pace",
            socket_connect_timeout=socket_timeout, socket_timeout=socket_timeout,
        )
        self._limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, settings, name: str, per_second: int) -> "Pace":
        """A pace in the platform's Redis, under its namespace (`shared.core.config.Settings`)."""
        return cls(settings.redis_url, name, per_second, namespace=settings.dramatiq_namespace)

    def try_acquire(self) -> bool:
        """Take a slot now if there is one, without waiting."""
        return self._limiter.hit(self._item, self.name)

    def acquire(self, timeout: float) -> bool:
        """Take a slot, waiting at most `timeout` seconds for one; False when none came in time."""
        deadline = time.monotonic() + timeout
        while True:
            if self._limiter.hit(self._item, self.name):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            reset_at, _remaining = self._limiter.get_window_stats(self._item, self.name)
            time.sleep(min(max(reset_at - time.time(), _MIN_WAIT), left))

    def __repr__(self) -> str:
        return f"Pace({self.name!r}, {self.per_second}/s)"
