"""Bring every service's database to the latest migration, then seed the demo (the demo accounts:
a fund manager, two jurors, a few applicants, campaign owners and backers; a fund with an open
call and a call in review for the jury; two live campaigns with pledges; about 60 supported firms
since 2019 with their registry checks, for the indicators report) so that `make run` has
something to apply to, to judge, to back and to report on."""
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


def _seeded(service: str, seed) -> dict:
    settings = load_settings(service)
    database = Database(settings.database_url)
    try:
        with database.unit_of_work() as session:
            return seed(session, settings)
    finally:
        database.dispose()


def seed_demo() -> None:
    from services.accounts import demo as accounts_demo
    from services.crowdfunding import demo as crowdfunding_demo
    from services.grants import demo as grants_demo

    people = _seeded("accounts", accounts_demo.seed)
    _seeded("grants", lambda session, _settings: grants_demo.seed(session, people=people))
    # The demo campaigns' people are the accounts service's demo accounts.
    _seeded("crowdfunding", lambda session, _settings: crowdfunding_demo.seed(session, people))
    applicants = _seeded("accounts", accounts_demo.seed_award_applicants)
    _seeded("grants", lambda session, _settings: grants_demo.seed_decided_call(session, applicants))
    # Impact: supported firms since 2019 and their registry checks, the stand-in's firms beside them.
    referent = _seeded("accounts", accounts_demo.seed_referent)
    _seeded("grants", lambda session, _settings: grants_demo.seed_impact(session, referent=referent))
    sign_in = f"{load_settings('accounts').public_url}/signin"
    password = accounts_demo.MANAGER_PASSWORD
    print(f"Demo accounts (local demo only), signing in at {sign_in}:")
    print(f"  fund manager     {accounts_demo.MANAGER_EMAIL}, password {password}")
    for juror in accounts_demo.JURORS:
        print(f"  juror            {juror['email']}, password {accounts_demo.JUROR_PASSWORD}")
    print(f"  campaign owners  {', '.join(email for email, _name in accounts_demo.OWNERS)}, password {password}")
    print(f"  backers          {', '.join(email for email, _name, _language in accounts_demo.BACKERS)}, "
          f"password {password}")
    print(f"  referent         {accounts_demo.REFERENT['email']} (alternative funding), password {password}")
    for email, _name, _language in accounts_demo.AWARD_APPLICANTS:
        print(f"  applicant        {email} (the decided call), password {accounts_demo.APPLICANT_PASSWORD}")


if __name__ == "__main__":
    prepare()
