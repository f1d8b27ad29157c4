"""docker-compose.yml describes the same processes as the Procfile, with the same commands."""
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
