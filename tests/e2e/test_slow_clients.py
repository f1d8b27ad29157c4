"""Clients that open a connection, send part of a request and stall do not starve a service.

The service is started with the Procfile's own command (the one docker-compose runs too); the
stalled clients send a request line and one header, then nothing.
"""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import free_port, wait_until
from tests.e2e.platform import ROOT
from tests.unit.test_deployment import procfile


def healthz(port: int, timeout: float) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
            return response.status
    except OSError:
        return None


def stalled_client(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
    return client


@pytest.fixture(scope="module")
def grants_web(tmp_path_factory):
    """The grants web process, as the Procfile starts it, on a SQLite file of its own."""
    tmp_path = tmp_path_factory.mktemp("slow_clients")
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "GRANTS_PORT": str(port),
        "GRANTS_DATABASE_URL": f"sqlite:///{tmp_path / 'grants.db'}",
        "WEB_CLIENT_TIMEOUT_SECONDS": "2",
    }
    process = subprocess.Popen(
        ["sh", "-c", procfile()["grants"]], cwd=ROOT, env=env, start_new_session=True,
        stdout=(tmp_path / "grants.log").open("wb"), stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: healthz(port, timeout=1) == 200, timeout=90, message="grants /healthz")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_few_stalled_clients_cost_nothing(grants_web):
    stalled = [stalled_client(grants_web) for _ in range(6)]
    try:
        time.sleep(0.5)  # they are accepted and their first bytes read
        started = time.monotonic()
        assert healthz(grants_web, timeout=5) == 200
        assert time.monotonic() - started < 2
    finally:
        for client in stalled:
            client.close()


def test_a_stalled_client_is_dropped_after_the_client_timeout(grants_web):
    # More stalled clients than the service has threads: each is dropped after
    # WEB_CLIENT_TIMEOUT_SECONDS (2 s here), so the service answers again soon after.
    stalled = [stalled_client(grants_web) for _ in range(20)]
    try:
        started = time.monotonic()
        assert healthz(grants_web, timeout=30) == 200
        assert time.monotonic() - started < 10
        for client in stalled:
            client.settimeout(15)
            try:
                assert client.recv(1024) == b""  # closed by the service
            except ConnectionResetError:
                pass
        assert time.monotonic() - started < 15
    finally:
        for client in stalled:
            client.close()
