"""Bring every service's database to the latest migration, then seed the demo (a fund manager's
account, a fund and an open call) so that `make run` has something to apply to."""
from __future__ import annotations

import importlib

from shared.core.config import SERVICES, load_settings
from shared.core.db import Database
from shared.core.migrations import upgrade


def prepare() -> None:
    for service in SERVICES:
        config = importlib.import_module(f"services.{service}.config")
        upgrade(config.MIGRATIONS_DIR, load_settings(service).database_url)
    seed_demo()


def seed_demo() -> None:
    from services.accounts import demo as accounts_demo
    from services.grants import demo as grants_demo

    for service, seed in (("accounts", accounts_demo.seed), ("grants", grants_demo.seed)):
        settings = load_settings(service)
        database = Database(settings.database_url)
        try:
            with database.unit_of_work() as session:
                seed(session, settings) if service == "accounts" else seed(session)
        finally:
            database.dispose()
    seed_awards_demo()
    print(
        f"Demo fund manager (local demo only): sign in at {load_settings('accounts').public_url}/signin "
        f"as {accounts_demo.MANAGER_EMAIL}, password {accounts_demo.MANAGER_PASSWORD}"
    )


def seed_awards_demo() -> None:
    """The awards' demo: applicants with their accounts (the accounts service), then in grants a
    decided call with their applications, awards and a first tranche paid."""
    from services.accounts import demo as accounts_demo
    from services.grants import demo as grants_demo

    applicants = _in_service("accounts", lambda session, settings: accounts_demo.seed_applicants(session, settings))
    _in_service("grants", lambda session, settings: grants_demo.seed_decided_call(session, applicants))


def _in_service(service: str, seed):
    settings = load_settings(service)
    database = Database(settings.database_url)
    try:
        with database.unit_of_work() as session:
            return seed(session, settings)
    finally:
        database.dispose()


if __name__ == "__main__":
    prepare()
