"""The accounts service's settings: shared ones from the environment (see shared.core.config)."""
from pathlib import Path

from shared.core.config import load_settings

SERVICE = "accounts"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Roles a person may take by signing up alone; jurors, referents, fund managers and admins are
# invited (or made on the command line), never self-registered.
SELF_SERVICE_ROLES: tuple[str, ...] = ("applicant", "backer")
# Roles a signed-in person may add to their own account with one click.
SELF_ADDED_ROLES: tuple[str, ...] = ("applicant", "backer", "campaign_owner")
INVITED_ROLES: tuple[str, ...] = ("juror", "referent", "fund_manager")


def settings():
    return load_settings(SERVICE)
