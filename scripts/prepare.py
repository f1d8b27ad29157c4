"""Bring every service's database to the latest migration, then seed the grants demo
(a fund, an open call and a fund manager) so that `make run` has something to apply to."""
from __future__ import annotations

import importlib

from shared.core.config import SERVICES, load_settings
from shared.core.db import Database
from shared.core.migrations import upgrade


def prepare() -> None:
    for service in SERVICES:
        config = importlib.import_module(f"services.{service}.config")
        upgrade(config.MIGRATIONS_DIR, load_settings(service).database_url)
    seed_grants_demo()


def seed_grants_demo() -> None:
    from services.grants import demo

    settings = load_settings("grants")
    database = Database(settings.database_url)
    try:
        with database.unit_of_work() as session:
            demo.seed(session, settings)
    finally:
        database.dispose()
    print(
        f"Demo fund manager (local demo only): sign in at {settings.public_url}/signin "
        f"as {demo.MANAGER_EMAIL}, password {demo.MANAGER_PASSWORD}"
    )


if __name__ == "__main__":
    prepare()
