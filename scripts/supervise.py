"""Run one process of the Procfile and start it again when it dies (`make run`, via scripts/run.py).

Usage: python scripts/supervise.py NAME COMMAND

honcho stops every process as soon as one ends; under `make run` each Procfile command runs
under this supervisor instead, so a worker that crashes or is killed says why and comes back
(after 1 s, then 2, 4... up to 30 s while it keeps dying at once) and the rest of the platform
goes on. SIGTERM or SIGINT (honcho stopping everything) stops the command and the supervisor.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
# A process that ran this long before dying was working: the next restart waits the first delay.
STEADY_SECONDS = 30.0
# honcho kills whatever is left 5 s after asking it to stop: the command gets a little less.
STOP_GRACE_SECONDS = 4.0


def describe_exit(returncode: int) -> str:
    """Why a command ended, in words: its exit code, or the signal that killed it."""
    if returncode < 0:
        return f"killed by {_signal_name(-returncode) or f'signal {-returncode}'}"
    # The shell running the command reports a child killed by signal N as 128 + N.
    name = _signal_name(returncode - 128) if returncode > 128 else None
    if name:
        return f"exit code {returncode} (killed by {name})"
    return f"exit code {returncode}"


def _signal_name(number: int) -> str | None:
    try:
        return signal.Signals(number).name
    except ValueError:
        return None


class Supervisor:
    def __init__(self, name: str, command: str):
        self.name = name
        self.command = command
        self.stop_requested_at: float | None = None
        self.child: subprocess.Popen | None = None

    def say(self, message: str) -> None:
        print(f"[supervisor] {self.name} {message}", flush=True)

    def stop(self, signum, _frame) -> None:
        if self.stop_requested_at is None:
            self.stop_requested_at = time.monotonic()
            self._signal_child(signum)

    def _signal_child(self, signum) -> None:
        if self.child is not None:
            try:
                os.killpg(self.child.pid, signum)
            except ProcessLookupError:
                pass

    def run_once(self) -> int:
        # Its own process group: when the shell dies, what it started (a server holding the
        # port) is stopped with it before the next start.
        self.child = subprocess.Popen(self.command, shell=True, start_new_session=True)
        self.say(f"started (pid {self.child.pid})")
        while True:
            try:
                returncode = self.child.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if self.stop_requested_at is not None and time.monotonic() - self.stop_requested_at > STOP_GRACE_SECONDS:
                    self._signal_child(signal.SIGKILL)
        self._signal_child(signal.SIGKILL)  # whatever the command left behind
        return returncode

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        delay = FIRST_DELAY_SECONDS
        while True:
            started = time.monotonic()
            returncode = self.run_once()
            if self.stop_requested_at is not None:
                return _exit_status(returncode)
            ran_for = time.monotonic() - started
            if ran_for >= STEADY_SECONDS:
                delay = FIRST_DELAY_SECONDS
            self.say(f"died after {ran_for:.0f} s: {describe_exit(returncode)}; starting it again in {delay:.0f} s")
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline:
                if self.stop_requested_at is not None:
                    return _exit_status(returncode)
                time.sleep(0.1)
            delay = min(delay * 2, MAX_DELAY_SECONDS)


def _exit_status(returncode: int) -> int:
    # As a shell would say it: a command killed by signal N ended with 128 + N.
    return returncode if returncode >= 0 else 128 - returncode


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    return Supervisor(argv[1], argv[2]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
