"""Bring every service's database to the latest migration (and, later, seed the demo)."""
from __future__ import annotations

import importlib

from shared.config import SERVICES, load_settings
from shared.migrations import upgrade


def prepare() -> None:
    for service in SERVICES:
        config = importlib.import_module(f"services.{service}.config")
        upgrade(config.MIGRATIONS_DIR, load_settings(service).database_url)


if __name__ == "__main__":
    prepare()
