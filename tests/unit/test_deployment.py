"""docker-compose.yml describes the same processes as the Procfile, with the same commands and
the same web server settings."""
import importlib
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


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
    # The local mail server is replaced by Mailpit in deployment.
    assert processes.pop("mail").startswith("python -m services.notifications.devsmtp")
    assert "mailpit" in compose
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
    for variable in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_CLIENT_TIMEOUT_SECONDS"):
        monkeypatch.delenv(variable, raising=False)
    server = importlib.reload(importlib.import_module("shared.web.server"))
    defaults = {
        "WEB_CONCURRENCY": server.workers,
        "WEB_THREADS": server.threads,
        "WEB_CLIENT_TIMEOUT_SECONDS": server.CLIENT_TIMEOUT_SECONDS,
    }
    environment = compose["grants"]["environment"]
    for variable, default in defaults.items():
        fallback = re.fullmatch(r"\$\{%s:-(\d+)\}" % variable, environment[variable])
        assert fallback and float(fallback.group(1)) == default, variable
    assert server.workers > 1 and server.threads > 1
