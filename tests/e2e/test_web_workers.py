"""gunicorn's worker processes, as shared/web/server.py runs every web service: each listens on a
socket of its own on the service's port (SO_REUSEPORT), so that the kernel spreads connections
over all of them, and a second server cannot quietly share a port already served.

The application is the smallest there is (it answers with its process id); what is under test is
the server's configuration, the one the Procfile and docker-compose give every service.
"""
import http.client
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_until
from tests.e2e.platform import BIN, ROOT, spawn, stop

APPLICATION = "tests.e2e.test_web_workers:answer_with_the_process_id"
WORKERS = 2
CONNECTIONS = 40


def answer_with_the_process_id(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]


def serve(port: int, log: Path) -> subprocess.Popen:
    return spawn([str(BIN / "gunicorn"), "--config", "python:shared.web.server", "--bind", f"127.0.0.1:{port}",
                  APPLICATION], {"WEB_CONCURRENCY": str(WORKERS), "PYTHONPATH": str(ROOT)}, log)


def answered_by(port: int) -> str | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/")
        return connection.getresponse().read().decode()
    except OSError:
        return None
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    process = serve(port, tmp_path_factory.mktemp("web_workers") / "first.log")
    try:
        # Every worker up: both have answered (a worker listens once it has booted).
        seen = set()
        wait_until(lambda: seen.add(answered_by(port)) or len(seen - {None}) == WORKERS, timeout=60,
                   message="both workers answering")
        yield port, process
    finally:
        stop(process)


def test_the_connections_are_spread_over_every_worker_process(server):
    port, _process = server
    # All open before any request: where each lands is the kernel's choice at connection time.
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(CONNECTIONS)]
    try:
        for connection in connections:
            connection.connect()
        holders = Counter()
        for connection in connections:
            connection.request("GET", "/")
            holders[connection.getresponse().read().decode()] += 1
    finally:
        for connection in connections:
            connection.close()
    assert len(holders) == WORKERS, holders
    # Spread by a hash of each connection's addresses: a worker with fewer than 8 of 40 would be a
    # chance of about 1 in 100,000. On a shared socket, one process often took them all.
    assert min(holders.values()) >= 8, holders


def test_a_second_server_on_a_served_port_refuses_to_start(server, tmp_path):
    port, first = server
    log = tmp_path / "second.log"
    second = serve(port, log)
    try:
        assert second.wait(timeout=60) != 0
    finally:
        stop(second)
    assert f"127.0.0.1:{port} is already served by another process" in log.read_text()
    # The first one is still up and answering.
    assert first.poll() is None
    assert answered_by(port) is not None
