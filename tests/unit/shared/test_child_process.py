"""The child process that runs heavy work beside a web process (shared/core/child_process.py), with
real processes: started at the first call, replaced once when it dies, a clear refusal when it
cannot answer or answers too late (and then killed), gone when its parent is gone."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from shared.core.child_process import ChildProcess
from shared.core.refusal import Refusal
from tests.conftest import process_alive as alive, wait_until

ROOT = Path(__file__).resolve().parents[3]
UNAVAILABLE = "The work is unavailable for a moment."


# The jobs: module-level functions, as the child imports them by name.

def add(a: int, b: int) -> int:
    return a + b


def die() -> None:
    os._exit(9)


def die_once(marker: str) -> str:
    """Dies the first time (the marker file does not exist yet), answers the next."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(9)
    return "answered"


def refuse_the_value(value: int) -> None:
    raise ValueError(f"{value} is not a good value")


def stall(seconds: float) -> None:
    time.sleep(seconds)


def heavy_modules() -> list[str]:
    return sorted(name for name in sys.modules if name.split(".")[0] in ("flask", "sqlalchemy"))


@pytest.fixture
def child():
    settings = {"timeout": 30.0}
    process = ChildProcess("test work", UNAVAILABLE, lambda: settings["timeout"])
    process.settings = settings
    yield process
    process.stop()


def test_the_child_starts_at_the_first_call_and_answers_in_a_process_of_its_own(child):
    assert child.pid is None
    assert child.run(add, 2, 3) == 5
    first = child.pid
    assert first is not None and first != os.getpid() and alive(first)
    assert child.run(add, 4, 5) == 9 and child.pid == first  # the same child, kept
    assert child.run(heavy_modules) == []  # it imports what its jobs need, not its parent's modules


def test_a_killed_child_is_replaced_and_the_next_call_answers(child):
    child.run(add, 1, 1)
    killed = child.pid
    os.kill(killed, signal.SIGKILL)
    wait_until(lambda: not alive(killed), message="the child gone")
    assert child.run(add, 2, 2) == 4
    assert child.pid not in (None, killed)


def test_a_child_that_dies_during_a_call_is_replaced_and_the_call_tried_once_more(child, tmp_path):
    child.run(add, 1, 1)
    first = child.pid
    assert child.run(die_once, str(tmp_path / "died")) == "answered"
    assert child.pid != first and (tmp_path / "died").exists()


def test_a_call_whose_children_die_twice_is_refused_with_a_503(child):
    with pytest.raises(Refusal) as refused:
        child.run(die)
    assert refused.value.status == 503 and refused.value.message == UNAVAILABLE
    assert refused.value.headers == {"Retry-After": "30"}
    assert child.run(add, 1, 2) == 3  # and the next call starts a new child


def test_a_call_that_takes_too_long_is_refused_and_its_child_killed(child):
    child.run(add, 1, 1)
    stuck = child.pid
    child.settings["timeout"] = 0.5
    started = time.monotonic()
    with pytest.raises(Refusal) as refused:
        child.run(stall, 60)
    assert refused.value.status == 503 and time.monotonic() - started < 5
    wait_until(lambda: not alive(stuck), timeout=5, message="the stuck child killed")
    child.settings["timeout"] = 30.0
    assert child.run(add, 2, 3) == 5 and child.pid != stuck


def test_an_error_in_the_job_is_the_callers_error(child):
    with pytest.raises(ValueError, match="7 is not a good value"):
        child.run(refuse_the_value, 7)
    assert child.run(add, 1, 1) == 2  # the child is still there


def test_the_child_exits_when_its_parent_is_killed(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, time
        from shared.core.child_process import ChildProcess
        from tests.unit.shared.test_child_process import add
        child = ChildProcess("test work", "unavailable", lambda: 30.0)
        child.run(add, 1, 1)
        print(child.pid, flush=True)
        time.sleep(60)
    """)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        assert alive(pid)
    finally:
        parent.kill()
        parent.wait()
    wait_until(lambda: not alive(pid), timeout=10, message="the orphaned child gone")
