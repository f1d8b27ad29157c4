"""Bring every service's database to the latest migration, then seed the demo (a fund manager's
account, two jurors and a few applicants; a fund with an open call, and a call in review for the
jury) so that `make run` has something to apply to and to judge."""
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

    people = None
    for service in ("accounts", "grants"):
        settings = load_settings(service)
        database = Database(settings.database_url)
        try:
            with database.unit_of_work() as session:
                if service == "accounts":
                    people = accounts_demo.seed(session, settings)
                else:
                    grants_demo.seed(session, people=people)
        finally:
            database.dispose()
    seed_awards_demo()
    sign_in = f"{load_settings('accounts').public_url}/signin"
    print(
        f"Demo fund manager (local demo only): sign in at {sign_in} "
        f"as {accounts_demo.MANAGER_EMAIL}, password {accounts_demo.MANAGER_PASSWORD}"
    )
    for juror in accounts_demo.JURORS:
        print(f"Demo juror (local demo only): sign in at {sign_in} as {juror['email']}, "
              f"password {accounts_demo.JUROR_PASSWORD}")
    for email, _name, _language in accounts_demo.AWARD_APPLICANTS:
        print(f"Demo applicant of the decided call (local demo only): sign in at {sign_in} as {email}, "
              f"password {accounts_demo.APPLICANT_PASSWORD}")


def seed_awards_demo() -> None:
    """The awards' demo: applicants with their accounts (the accounts service), then in grants a
    decided call with their applications, awards and a first tranche paid."""
    from services.accounts import demo as accounts_demo
    from services.grants import demo as grants_demo

    applicants = _in_service("accounts", accounts_demo.seed_award_applicants)
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
