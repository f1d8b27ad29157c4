"""The crowdfunding service's settings: shared ones from the environment (see shared.core.config)."""
from pathlib import Path

from shared.core.config import load_settings

SERVICE = "crowdfunding"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def settings():
    return load_settings(SERVICE)
