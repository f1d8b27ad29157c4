"""A child process of its own for work whose libraries would weigh on the process that asks.

The indicators report's survival estimate needs numpy and scipy.stats: about 80 MB once
imported, and what they allocate for 100,000 firms stays in a threaded web process's memory
arenas. A `ChildProcess` runs such work in one child process per asking process, so that the
web process never imports them:

- **started lazily**, at the first call, by `spawn` (a new interpreter: never a fork of a threaded
  gunicorn worker, whose locks another thread may hold at the fork). The child imports only what
  the function it is given needs, and keeps it for the next call;
- **one call at a time** (`ProcessPoolExecutor(max_workers=1)`): the callers' threads queue;
- **a child that dies** (killed, out of memory) breaks the pool: the call is tried once more in a
  new child; if that one fails too, or the call takes longer than `timeout_seconds` (the child is
  then killed, and the next call starts a new one), the caller gets a `Refusal` 503 with the
  message it chose and a Retry-After;
- **a child whose parent is gone exits** (it waits on its parent's sentinel in a thread): a
  killed gunicorn worker leaves no orphan behind.

Arguments and results cross by pickle: keep them compact (bytes, plain values) and of types the
asking process already has, or unpickling them there would import what the child was for.
"""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as CallTimeout
from concurrent.futures.process import BrokenProcessPool

from shared.core.refusal import Refusal

log = logging.getLogger("tremplin.child_process")

ATTEMPTS = 2  # a child that dies is replaced once within a call


class ChildProcess:
    def __init__(self, name: str, unavailable: str, timeout_seconds: Callable[[], float], retry_after_seconds: int = 30):
        self.name = name
        self.unavailable = unavailable  # the refusal's message, in English (translated on pages)
        self.timeout_seconds = timeout_seconds  # read at each call: a setting
        self.retry_after_seconds = retry_after_seconds
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._pool_pid: int | None = None  # the child's
        self._owner: int | None = None  # the process that started the pool (a fork starts its own)

    @property
    def pid(self) -> int | None:
        """The running child's process id, None before the first call or once it is gone."""
        return self._pool_pid if self._owner == os.getpid() else None

    def run(self, function: Callable, *args):
        """`function(*args)` in the child; a module-level function, as pickle names it."""
        deadline = time.monotonic() + self.timeout_seconds()
        for attempt in range(1, ATTEMPTS + 1):
            pool = None
            try:
                pool = self._started(deadline)
                return _submitted(pool, function, args).result(timeout=_left(deadline))
            except (BrokenProcessPool, CancelledError):
                log.warning("%s: the child process died (attempt %d of %d)", self.name, attempt, ATTEMPTS)
                self._discard(pool)
            except CallTimeout:
                log.warning("%s: no answer within %.1f s; the child process is stopped", self.name,
                            self.timeout_seconds())
                self._discard(pool, kill=True)
                break
        raise Refusal(503, self.unavailable, headers={"Retry-After": str(self.retry_after_seconds)})

    def _started(self, deadline: float) -> ProcessPoolExecutor:
        """The running pool, or a new one whose child has started (it raises BrokenProcessPool or
        CallTimeout, its pool forgotten, when the child does not start in time)."""
        if not self._lock.acquire(timeout=_left(deadline)):
            raise CallTimeout()
        try:
            if self._pool is not None and self._owner == os.getpid():
                return self._pool
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_exit_with_parent)
            try:
                # Its first call starts the child and says who it is: the pid to kill on a timeout.
                pid = pool.submit(os.getpid).result(timeout=_left(deadline))
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            self._pool, self._pool_pid, self._owner = pool, pid, os.getpid()
            return pool
        finally:
            self._lock.release()

    def _discard(self, pool: ProcessPoolExecutor | None, *, kill: bool = False) -> None:
        """Forget a broken or stuck pool (unless another thread has replaced it already)."""
        with self._lock:
            if pool is None or pool is not self._pool:
                return
            pid, self._pool, self._pool_pid = self._pool_pid, None, None
        if kill and pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pool.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        """Stop the child (it starts again at the next call)."""
        with self._lock:
            pool, self._pool, self._pool_pid = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _submitted(pool: ProcessPoolExecutor, function: Callable, args: tuple) -> Future:
    try:
        return pool.submit(_call, function, args)
    except BrokenProcessPool:
        raise
    except RuntimeError as error:  # shut down meanwhile by another thread that found it broken
        raise BrokenProcessPool(str(error)) from error


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _call(function: Callable, args: tuple):
    """In the child. An exception of a library's own type is given back as a RuntimeError naming
    it: unpickling numpy's or scipy's exception in the parent would import them there."""
    try:
        return function(*args)
    except Exception as error:
        if type(error).__module__ == "builtins":
            raise
        raise RuntimeError(f"{type(error).__module__}.{type(error).__qualname__}: {error}") from None


def _exit_with_parent() -> None:
    """In the child: exit as soon as the parent is gone (the pool's own queues never say so)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def wait() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=wait, name="exit-with-parent", daemon=True).start()
