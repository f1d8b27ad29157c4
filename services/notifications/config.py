"""The notifications service's settings: shared ones from the environment (see shared.config)."""
from pathlib import Path

from shared.config import load_settings

SERVICE = "notifications"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Roles a person may take by signing up alone; others are given by an admin or the command line.
SELF_SERVICE_ROLES: tuple[str, ...] = ("applicant", "backer")


def settings():
    return load_settings(SERVICE)
