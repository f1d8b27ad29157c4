"""Passwords, access tokens and role checks, the same for every service.

Each service keeps its own accounts; a token is signed for one service (its audience) and is
refused by the others. Roles are carried in the token so a check needs no query.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request

from shared.core.refusal import Refusal

ROLES = ("applicant", "juror", "fund_manager", "campaign_owner", "backer", "admin")

_hasher = PasswordHasher()
# Verified against when the email is unknown, so that sign-in takes as long either way.
_DUMMY_HASH = _hasher.hash("tremplin-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Principal:
    account_id: int
    roles: tuple[str, ...]

    def has_any(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


class InvalidToken(Exception):
    pass


def issue_token(secret: str, audience: str, account_id: int, roles, ttl_seconds: int) -> str:
    now = datetime.now(timezone.utc)
    claims = {
        "sub": str(account_id),
        "roles": list(roles),
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
    return Principal(account_id=int(claims["sub"]), roles=tuple(claims.get("roles", ())))


def current_principal() -> Principal | None:
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
