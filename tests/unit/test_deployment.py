"""docker-compose.yml describes the same processes as the Procfile, with the same commands and
the same web server settings; the proxy in front (deploy/Caddyfile, the same file in both)
routes each service's path to the port the Procfile gives it."""
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from shared.core.config import DEFAULT_PATH_PREFIXES, DEFAULT_PROXY_PORT, SERVICES

ROOT = Path(__file__).resolve().parents[2]
CADDY = Path(sys.executable).parent / "caddy"


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def test_compose_runs_the_procfile_processes_with_the_same_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    processes = procfile()
    # The local mail server is replaced by Mailpit in deployment, and Caddy runs from its image.
    assert processes.pop("mail").startswith("python -m services.notifications.devsmtp")
    assert "mailpit" in compose
    assert processes.pop("proxy").startswith("caddy run ")
    assert compose["proxy"]["image"] == "caddy:2"
    # localstripe stands in for Stripe on this machine alone: deployment talks to the real Stripe,
    # whose keys the crowdfunding's processes must be given.
    assert processes.pop("localstripe").startswith("python scripts/local_stripe.py ")
    assert "localstripe" not in compose
    # The registry's stand-in too: deployment asks the real API, at its address from the environment.
    assert processes.pop("registry").startswith("python -m services.grants.registry_standin ")
    assert "registry" not in compose
    assert compose["grants-worker"]["environment"]["REGISTRY_BASE_URL"] == (
        "${REGISTRY_BASE_URL:-https://recherche-entreprises.api.gouv.fr}")
    for name in ("crowdfunding", "crowdfunding-worker"):
        environment = compose[name]["environment"]
        for key in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
            assert environment[key] == f"${{{key}:?set {key}}}", (name, key)
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")  # and every setting the others have
    for name, command in processes.items():
        assert name in compose, f"{name} is in the Procfile but not in docker-compose.yml"
        shell, flag, script = compose[name]["command"]
        assert (shell, flag) == ("sh", "-c")
        assert script.replace("$$", "$") == command, name
    app_services = {name for name, service in compose.items() if "build" in service}
    assert app_services == set(processes)


def test_compose_has_health_checks_and_settings_from_the_environment():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("postgres", "redis", "mailpit", "grants", "crowdfunding", "notifications"):
        assert "healthcheck" in compose[name], name
    environment = compose["grants"]["environment"]
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert environment["GRANTS_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert environment["SMTP_HOST"] == "${SMTP_HOST:-mailpit}"


def test_web_processes_run_the_same_gunicorn_settings_everywhere(monkeypatch):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("grants", "crowdfunding", "notifications"):
        assert "gunicorn --config python:shared.web.server " in procfile()[name], name
    # Under `make run` nothing sets them: compose's defaults are the module's own.
    for variable in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_CLIENT_TIMEOUT_SECONDS", "WEB_KEEPALIVE_SECONDS"):
        monkeypatch.delenv(variable, raising=False)
    server = importlib.reload(importlib.import_module("shared.web.server"))
    defaults = {
        "WEB_CONCURRENCY": server.workers,
        "WEB_THREADS": server.threads,
        "WEB_CLIENT_TIMEOUT_SECONDS": server.CLIENT_TIMEOUT_SECONDS,
        "WEB_KEEPALIVE_SECONDS": server.keepalive,
    }
    environment = compose["grants"]["environment"]
    for variable, default in defaults.items():
        fallback = re.fullmatch(r"\$\{%s:-(\d+)\}" % variable, environment[variable])
        assert fallback and float(fallback.group(1)) == default, variable
    assert server.workers > 1 and server.threads > 1


def compose_default(value: str) -> str:
    """What compose gives `${NAME:-default}` when NAME is not set; a plain value as it is."""
    match = re.fullmatch(r"\$\{\w+:-(.*)\}", str(value))
    return match.group(1) if match else str(value)


def procfile_port(service: str) -> str:
    return re.search(r"\$\{%s_PORT:-(\d+)\}" % service.upper(), procfile()[service]).group(1)


def caddy_server(environment: dict) -> dict:
    """The Caddyfile's one server, as Caddy reads it with `environment` (its JSON configuration)."""
    env = {key: value for key, value in os.environ.items() if not key.endswith(("_PORT", "_PATH_PREFIX", "_HOST", "_BIND"))}
    adapted = subprocess.run(
        [str(CADDY), "adapt", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
        env={**env, **environment}, capture_output=True, text=True, check=True,
    )
    return json.loads(adapted.stdout)["apps"]["http"]["servers"]["srv0"]


def _handlers(node):
    """Every handler in Caddy's JSON configuration, however deeply its routes are nested."""
    if isinstance(node, dict):
        if "handler" in node:
            yield node
        for value in node.values():
            yield from _handlers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _handlers(value)


def caddy_routes(environment: dict) -> tuple[list[str], dict]:
    """The Caddyfile as Caddy reads it with `environment`: where it listens, and for each path
    matched, where it sends the request, the path the service is told (X-Forwarded-Prefix),
    the path stripped and the path it rewrites to."""
    server = caddy_server(environment)
    routes = {}
    for route in server["routes"]:
        [path] = route["match"][0]["path"] if route.get("match") else ["*"]
        found = {}
        for handler in _handlers(route["handle"]):
            if handler["handler"] == "reverse_proxy":
                found["dial"] = handler["upstreams"][0]["dial"]
                found["prefix"] = handler["headers"]["request"]["set"]["X-Forwarded-Prefix"][0]
            elif handler["handler"] == "rewrite":
                found["strip"] = handler.get("strip_path_prefix")
                found["uri"] = handler.get("uri")
            elif handler["handler"] == "static_response":
                found["status"] = handler.get("status_code")
        routes[path] = found
    return server["listen"], routes


def _check_routes(routes: dict, hosts: dict) -> None:
    for service in SERVICES:
        prefix = DEFAULT_PATH_PREFIXES[service]
        assert routes[f"{prefix}/*"] == {
            "dial": f"{hosts[service]}:{procfile_port(service)}", "prefix": prefix, "strip": prefix, "uri": None,
        }, service
        assert routes[prefix]["status"] == 308  # the path alone: to the service's home
    # The platform's home page is the grants' /home, its links under the grants' path.
    assert routes["/"] == {
        "dial": f"{hosts['grants']}:{procfile_port('grants')}", "prefix": DEFAULT_PATH_PREFIXES["grants"],
        "strip": None, "uri": "/home",
    }
    assert routes["*"] == {"status": 404}  # anything else: not found


def test_the_caddyfile_sends_each_path_to_the_port_the_procfile_gives_its_service():
    # Under `make run` nothing is set: Caddy's defaults are the Procfile's and the settings'.
    listen, routes = caddy_routes({})
    assert listen == [f"127.0.0.1:{DEFAULT_PROXY_PORT}"]
    _check_routes(routes, {service: "127.0.0.1" for service in SERVICES})


def test_the_proxy_stops_reusing_an_idle_connection_before_a_service_closes_it(monkeypatch):
    # The other way round, Caddy may send a POST on a connection gunicorn is closing and answer
    # it with a 502 (a sign-in failed so once in CI); tests/e2e/test_one_address.py watches who
    # closes first.
    monkeypatch.delenv("WEB_KEEPALIVE_SECONDS", raising=False)
    server = importlib.reload(importlib.import_module("shared.web.server"))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    proxies = [handler for handler in _handlers(caddy_server({})["routes"]) if handler["handler"] == "reverse_proxy"]
    assert len(proxies) == len(SERVICES) + 1  # each service's path, and the home page at /
    for proxy in proxies:
        idle_seconds = proxy["transport"]["keep_alive"]["idle_timeout"] / 1e9
        assert 0 < idle_seconds <= server.keepalive - 2  # seconds to spare on a busy machine
        assert idle_seconds <= int(compose_default(compose["grants"]["environment"]["WEB_KEEPALIVE_SECONDS"])) - 2


def test_compose_runs_the_same_caddyfile_in_front_of_its_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    proxy = compose["proxy"]
    # The Procfile's command, with the Caddyfile where compose mounts it.
    [mount] = [volume for volume in proxy["volumes"] if volume.startswith("./deploy/Caddyfile:")]
    target = mount.split(":")[1]
    assert " ".join(proxy["command"]) == procfile()["proxy"].replace("deploy/Caddyfile", target)

    environment = {key: compose_default(value) for key, value in proxy["environment"].items()}
    listen, routes = caddy_routes(environment)
    assert listen == [f"0.0.0.0:{environment['PROXY_PORT']}"]
    assert compose_default(proxy["ports"][0]).endswith(f":{environment['PROXY_PORT']}")
    # Each upstream is the compose service of that name.
    _check_routes(routes, {service: service for service in SERVICES})
    assert {environment[f"{service.upper()}_UPSTREAM_HOST"] for service in SERVICES} <= set(compose)

    # The services know the same paths as the proxy, and trust its headers.
    for service in SERVICES:
        app_environment = compose[service]["environment"]
        for name in SERVICES:
            variable = f"{name.upper()}_PATH_PREFIX"
            assert app_environment[variable] == proxy["environment"][variable]
            assert compose_default(app_environment[variable]) == DEFAULT_PATH_PREFIXES[name]
        assert app_environment["TRUSTED_PROXY_COUNT"] == "1"
        assert compose_default(app_environment["PUBLIC_URL"]).endswith(f":{environment['PROXY_PORT']}")


def test_make_run_starts_localstripe_unless_a_stripe_key_is_set():
    from scripts.run import processes

    assert set(processes({})) == set(procfile())
    assert set(processes({"STRIPE_SECRET_KEY": "sk_live_x"})) == set(procfile()) - {"localstripe"}


def test_compose_postgres_allows_every_connection_its_processes_may_hold():
    """docker-compose runs every service's database on one PostgreSQL server: its connection
    limit holds every pool of every process full at once (docs/architecture.md, "Scaling out")."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    from shared.web.service_app import pool_for_threads

    environment = compose["grants"]["environment"]
    processes, threads = int(compose_default(environment["WEB_CONCURRENCY"])), int(compose_default(environment["WEB_THREADS"]))
    web_pool = sum(pool_for_threads("postgresql+psycopg://", threads).values())
    # Grants' and crowdfunding's web processes each listen for changes to their public reads.
    listening = {"grants", "crowdfunding"}
    # A worker thread holds one connection at a time, crowdfunding's charging threads two (the
    # pledge's lock and the unit of work: services/crowdfunding/actors.py); each process has a sweeper.
    per_thread = {"crowdfunding": 2}
    needed = 0
    for name, service in compose.items():
        command = " ".join(service.get("command") or [])
        if "gunicorn" in command:
            needed += processes * (web_pool + (name in listening))
        elif "shared.core.relay" in command:
            needed += 1
        elif "dramatiq" in command:
            service_name = name.removesuffix("-worker")
            worker_processes = int(re.search(r"--processes (\d+)", command).group(1))
            worker_threads = int(re.search(r"--threads (\d+)", command).group(1))
            needed += worker_processes * (per_thread.get(service_name, 1) * worker_threads + 1)
    postgres = compose["postgres"]["command"]
    limit = int(re.search(r"max_connections=(\d+)", " ".join(postgres)).group(1))
    assert needed == 162  # the figure docs/architecture.md gives
    assert limit >= needed + 10  # and room for a migration, psql and the health checks
