"""Access tokens and role checks, the same for every service.

Each service keeps its own accounts; a token is signed for one service (its audience) and is
refused by the others. A token carries the account's roles and its session version: a token
issued before the account's sessions ended (sign-out, new password) is refused.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from flask import current_app, g, request

from shared.accounts.models import Account
from shared.core.refusal import Refusal
from shared.web.service_app import db_session


@dataclass(frozen=True)
class Principal:
    account_id: int
    roles: tuple[str, ...]
    session_version: int = 0

    def has_any(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


class InvalidToken(Exception):
    pass


def issue_token(secret: str, audience: str, account_id: int, roles, ttl_seconds: int, session_version: int = 0) -> str:
    now = datetime.now(timezone.utc)
    claims = {
        "sub": str(account_id),
        "roles": list(roles),
        "sv": session_version,
        "aud": audience,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(secret: str, audience: str, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], audience=audience, options={"require": ["exp", "aud", "sub"]}
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    return Principal(
        account_id=int(claims["sub"]), roles=tuple(claims.get("roles", ())), session_version=int(claims.get("sv", 0))
    )


def token_for(settings, account: Account) -> str:
    """An API access token for the account, carrying its current session version."""
    return issue_token(
        settings.secret_key, settings.token_audience, account.id, account.roles, settings.token_ttl_seconds,
        account.session_version,
    )


def current_principal() -> Principal | None:
    """The bearer token's account, or None; a token issued before the account's sessions ended
    (sign-out, new password) is refused, as is one whose account no longer exists."""
    if "principal" in g:
        return g.principal
    header = request.headers.get("Authorization", "")
    principal = None
    if header.startswith("Bearer "):
        settings = current_app.config["SETTINGS"]
        try:
            principal = read_token(settings.secret_key, settings.token_audience, header[7:].strip())
        except InvalidToken:
            principal = None
        if principal is not None:
            account = db_session().get(Account, principal.account_id)
            if account is None or account.session_version != principal.session_version:
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
