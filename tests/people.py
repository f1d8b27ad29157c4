"""People in tests: a platform account as a service knows it (its copy, as `account.updated`
would leave it) and the tokens the accounts service would give them, signed with this run's key
(tests/conftest.py makes it and publishes its JWKS file for the services)."""
from __future__ import annotations

import functools
import itertools
from datetime import datetime, timezone
from types import SimpleNamespace

from sqlalchemy import select

from shared.accounts import projection
from shared.accounts.auth import SESSION_COOKIE
from shared.accounts.tokens import Signer

_ids = itertools.count(1001)


@functools.cache
def signer() -> Signer:
    return Signer.from_environment()


PASSWORD = "a long password"


def person(app, email: str, roles, name: str = "Someone", language: str = "fr") -> SimpleNamespace:
    """Someone the service `app` knows (its copy of their account), created the first time; on
    the accounts service itself, a confirmed account with the password PASSWORD."""
    model = app.extensions["people"]
    if app.config["SETTINGS"].service == "accounts":
        from services.accounts.accounts import create_account, find_by_email

        with app.extensions["db"].unit_of_work() as session:
            account = find_by_email(session, email) or create_account(
                session, app.config["SETTINGS"], email=email, name=name, password=PASSWORD, roles=list(roles),
                language=language, confirmed=True)
            return SimpleNamespace(id=account.id, email=account.email, name=account.name, language=account.language,
                                   roles=list(account.roles), session_version=account.session_version)
    with app.extensions["db"].unit_of_work() as session:
        known = session.scalar(select(model).where(model.email == email))
        account_id = known.id if known is not None else next(_ids)
        facts = {"account_id": account_id, "email": email, "name": name, "language": language,
                 "roles": list(roles), "session_version": known.session_version if known else 0}
        projection.record(session, model, facts, datetime.now(timezone.utc))
    return SimpleNamespace(id=account_id, email=email, name=name, language=language, roles=list(roles),
                           session_version=facts["session_version"])


def bearer(someone) -> dict:
    """The Authorization header of an access token the accounts service would give them."""
    return {"Authorization": f"Bearer {signer().mint(someone, 'access', 600)}"}


def sign_in(client, someone) -> None:
    """A browser (a Flask test client) with the platform's session cookie for them."""
    client.set_cookie(SESSION_COOKIE, signer().mint(someone, "session", 1800), path="/")
