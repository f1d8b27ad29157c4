"""scripts/supervise.py: a Procfile process that dies is named with its exit code or signal and
started again, sooner while it had been running a while, later while it keeps dying at once."""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from scripts.supervise import describe_exit
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_an_exit_is_told_in_words():
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
    # What a shell reports when the command it ran was killed.
    assert describe_exit(128 + signal.SIGSEGV) == "exit code 139 (killed by SIGSEGV)"


def test_a_dying_command_is_started_again_with_growing_waits_until_stopped(tmp_path):
    log = tmp_path / "supervise.log"
    process = subprocess.Popen(
        [sys.executable, "scripts/supervise.py", "flaky", "echo working; exit 3"],
        cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_until(lambda: log.read_text().count("working") >= 3, timeout=20, message="three starts")
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert process.wait(timeout=10) == 3
        assert time.monotonic() - started < 2
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    output = log.read_text()
    waits = re.findall(r"\[supervisor\] flaky died after \d+ s: exit code 3; starting it again in (\d+) s", output)
    assert waits[:2] == ["1", "2"]
