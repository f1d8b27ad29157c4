"""`make run`'s launcher starts the whole Procfile on SQLite files and an embedded Redis, and
prints one address, where the proxy serves every service under its path: each answers /healthz,
/readyz and /openapi.json there (and on its own port, on 127.0.0.1, for health checks), a sign-up
ends as an email in the local mailbox with a link to the one address, `/` is the home page and
the demo call is open; a process that is killed is named, started again, and the rest goes on
meanwhile; SIGTERM stops everything."""
import email
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

from tests.conftest import free_port, wait_until
from tests.e2e.platform import ROOT


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read()
    except OSError:
        return None, b""


def sign_up(accounts: str, email: str) -> None:
    request = urllib.request.Request(
        f"{accounts}/api/accounts", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"email": email, "name": "Newcomer", "password": "a long password"}).encode(),
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


def _messages_to(directory, address: str) -> list:
    found = (email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
             for path in sorted(directory.glob("*.eml")))
    return [message for message in found if message["To"].addresses[0].addr_spec == address]


def started_pids(log, name: str) -> list[int]:
    return [int(pid) for pid in re.findall(rf"\[supervisor\] {name} started \(pid (\d+)\)", log.read_text())]


PATHS = {"grants": "/subventions", "crowdfunding": "/financement-participatif", "notifications": "/messages", "accounts": "/comptes"}


def test_launcher_starts_every_process_and_stops_them(tmp_path):
    ports = {name: free_port() for name in ("grants", "crowdfunding", "notifications", "accounts")}
    proxy_port = free_port()
    address = f"http://127.0.0.1:{proxy_port}"
    env = {key: value for key, value in os.environ.items()
           if not key.endswith(("_DATABASE_URL", "_PUBLIC_URL", "_PATH_PREFIX", "TRUSTED_PROXY_COUNT", "JWKS_URL",
                                "ACCOUNTS_SIGNING_KEY_FILE"))}
    env.update(
        PROXY_PORT=str(proxy_port),
        TREMPLIN_VAR=str(tmp_path / "var"),
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nobody answers: the embedded Redis starts
        EMBEDDED_REDIS_PORT=str(free_port()),
        SMTP_PORT=str(free_port()),
        MAILBOX_DIR=str(tmp_path / "mail"),
        PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
        **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()},
    )
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for name, port in ports.items():
            # On its own port, on this machine only, for health checks...
            wait_until(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 200, timeout=180, message=f"{name} /healthz")
            # ...and for people at the one address, under its path.
            base = f"{address}{PATHS[name]}"
            wait_until(lambda: _get(f"{base}/healthz")[0] == 200, timeout=60, message=f"{name} through the proxy")
            status, body = _get(f"{base}/readyz")
            assert status == 200 and json.loads(body)["checks"] == {"database": "ok", "redis": "ok"}
            status, body = _get(f"{base}/openapi.json")
            assert status == 200 and json.loads(body)["info"]["title"] == f"Tremplin {name}"
            assert json.loads(body)["servers"] == [{"url": base}]
        # The whole chain on SQLite and the embedded Redis: a sign-up becomes an email in the mailbox.
        grants = f"{address}/subventions"
        sign_up(f"{address}/comptes", "newcomer@example.org")
        # The demo's own emails (its jurors' invitations, its applicants' receipts) are there too.
        [message] = wait_until(lambda: _messages_to(tmp_path / "mail", "newcomer@example.org"), timeout=60,
                               message="the confirmation email")
        assert f"{address}/comptes/accounts/confirm/" in message.get_body(("plain",)).get_content()
        status, home = _get(f"{address}/")
        assert status == 200 and "Financer les industries créatives" in home.decode()  # the one home page
        status, calls = _get(f"{grants}/")
        assert status == 200 and "Appels à projets ouverts" in calls.decode()  # the demo's open call
        output = (tmp_path / "run.log").read_text()
        assert "starting an embedded one" in output
        # One address is printed; the services are paths under it.
        assert f"Tremplin is starting at {address}/" in output
        printed = output.split("Tremplin is starting at", 1)[1].split("Ctrl-C stops everything.", 1)[0]
        for name, port in ports.items():
            assert f"{PATHS[name]}/" in printed and f":{port}" not in printed
        assert (tmp_path / "var" / "grants.db").exists()

        # A worker killed: it is named with the signal and started again; the rest goes on.
        run_log = tmp_path / "run.log"
        [worker] = started_pids(run_log, "notifications-worker")
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: "[supervisor] notifications-worker died" in run_log.read_text(), timeout=30,
                   message="the supervisor's word on the killed worker")
        died = re.search(r"\[supervisor\] notifications-worker died after \d+ s: (.*)", run_log.read_text()).group(1)
        assert "killed by SIGKILL" in died and "starting it again" in died
        for name, port in ports.items():
            assert _get(f"{address}{PATHS[name]}/healthz")[0] == 200, name
        wait_until(lambda: len(started_pids(run_log, "notifications-worker")) == 2, timeout=30,
                   message="the worker started again")
        sign_up(f"{address}/comptes", "second@example.org")
        wait_until(lambda: any(b"second@example.org" in path.read_bytes() for path in (tmp_path / "mail").glob("*.eml")),
                   timeout=90, message="an email sent by the worker started again")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    for port in ports.values():
        assert _get(f"http://127.0.0.1:{port}/healthz")[0] is None
    assert _get(f"{address}/")[0] is None  # the proxy too
