"""The crowdfunding service's settings: shared ones from the environment (see shared.core.config)."""
from pathlib import Path

from shared.core.config import load_settings

SERVICE = "crowdfunding"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Roles a person may take by signing up alone; others are given by an admin or the command line.
SELF_SERVICE_ROLES: tuple[str, ...] = ("backer", "campaign_owner")


def settings():
    return load_settings(SERVICE)
