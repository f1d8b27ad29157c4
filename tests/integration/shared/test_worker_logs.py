"""A real dramatiq worker (`dramatiq shared.core.broker services.<name>.actors`, as the Procfile runs
it) writes each log line once, as JSON, although dramatiq configures logging itself."""
import json

import pytest

from tests.conftest import wait_until
from tests.e2e.platform import BIN, spawn, stop


@pytest.mark.parametrize("service", ["notifications", "grants"])
def test_a_worker_writes_each_line_once_as_json(tmp_path, service):
    log = tmp_path / "worker.log"
    worker = spawn(
        [str(BIN / "dramatiq"), "shared.core.broker", f"services.{service}.actors", "--processes", "1", "--threads", "1"],
        {}, log,
    )
    try:
        wait_until(lambda: "Worker process is ready for action." in log.read_text(), timeout=30,
                   message="the worker to boot")
    finally:
        stop(worker)

    lines = [line for line in log.read_text().splitlines() if "Worker process is ready for action." in line]
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert entry["logger"].startswith("dramatiq.WorkerProcess") and entry["service"] == service
