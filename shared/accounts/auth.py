"""Who is calling: the API's bearer token and the pages' session cookie, both signed by the
accounts service and checked here with its public keys (`shared.accounts.tokens`), then against
the service's copy of the person (`shared.accounts.projection`): a token issued before the
person's sessions ended (sign-out, new password) is refused, on every service, as soon as the
`account.updated` event that says so has arrived, and in any case when the token expires.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app, g, request
from sqlalchemy import bindparam, select

from shared.accounts import projection
from shared.accounts.tokens import Claims, InvalidToken, Verifier
from shared.core.refusal import Refusal
from shared.web.service_app import db_session, unit_of_work

SESSION_COOKIE = "tremplin_session"


@dataclass(frozen=True)
class Principal:
    account_id: int
    roles: tuple[str, ...]
    name: str = ""
    email: str = ""

    @property
    def id(self) -> int:
        return self.account_id

    def has_any(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


def verifier() -> Verifier:
    found = current_app.extensions.get("token_verifier")
    if found is None:
        found = current_app.extensions["token_verifier"] = Verifier(current_app.config["SETTINGS"].jwks_url)
    return found


def person_of(claims: Claims) -> Principal | None:
    """The person a valid token names, as this service knows them; None when their sessions
    ended after the token was issued."""
    model = current_app.extensions["people"]
    person = db_session().execute(_person_by_id(model), {"account_id": claims.account_id}).scalar_one_or_none()
    if person is not None and person.session_version > claims.session_version:
        return None
    # Roles taken since the copy was last brought up to date (one click at the accounts service,
    # which then gives a new cookie): the token is the fresher word until the event arrives. The
    # accounts service's own table is no copy (it has no `synced_at`): its roles are the truth.
    is_copy = hasattr(model, "synced_at")
    newer_roles = is_copy and person is not None and set(person.roles) != set(claims.roles) and (
        person.synced_at is None or person.synced_at < _issued(claims))
    if person is None or person.session_version < claims.session_version or newer_roles:
        # First seen here, or the token knows of a newer session or roles than the copy: record it
        # now rather than wait for the event.
        facts = {"account_id": claims.account_id, "email": claims.email, "name": claims.name,
                 "language": claims.language, "roles": claims.roles, "session_version": claims.session_version}
        with unit_of_work() as session:
            projection.record(session, model, facts, _issued(claims))
        person = db_session().get(model, claims.account_id)
    return Principal(account_id=person.id, roles=tuple(person.roles), name=person.name, email=person.email)


@functools.cache
def _person_by_id(model):
    """The person's row, by a statement built once per model: `Session.get` builds its own, and
    its cache key, on every call, about 70 µs of CPU more on each authenticated request (issue 15).
    Loaded into the session as `get` would, so a use case's own `get` of the person asks nothing more."""
    return select(model).where(model.id == bindparam("account_id"))


def _issued(claims: Claims) -> datetime:
    return datetime.fromtimestamp(claims.issued_at, timezone.utc)


def current_principal() -> Principal | None:
    """The bearer token's person, or None."""
    if "principal" in g:
        return g.principal
    header = request.headers.get("Authorization", "")
    principal = None
    if header.startswith("Bearer "):
        try:
            principal = person_of(verifier().verify(header[7:].strip(), "access"))
        except InvalidToken:
            principal = None
    g.principal = principal
    return principal


def require_roles(*roles: str):
    """Refuse with 401 without a valid token, 403 without one of the roles (any role if none given)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                raise Refusal(401, "Sign in first: this route needs a valid access token.")
            if roles and not principal.has_any(*roles):
                raise Refusal(403, "Your role does not allow this action.")
            return view(*args, **kwargs)

        return wrapper

    return decorate
