"""Accounts, owned by each service in its own database.

The table is the same shape everywhere, so it lives on CoreBase; each service decides which
roles may sign up by themselves (`SELF_SERVICE_ROLES`). Creating an account announces it with
`account.registered`, in the same commit, so the notifications service can greet or confirm.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import JSON, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.accounts.passwords import hash_password, password_problem, verify_password
from shared.core import events
from shared.core.config import Settings
from shared.core.db import CoreBase, UtcDateTime
from shared.core.outbox import publish
from shared.core.refusal import Refusal

ROLES = ("applicant", "juror", "fund_manager", "campaign_owner", "backer", "admin")
CONFIRM_MAX_AGE = 3 * 24 * 3600


class Account(CoreBase):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    # Carried by every session and token; moving it on ends all of them at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def normalise_email(email: str) -> str:
    return email.strip().lower()


NOT_ASCII_ADDRESS = (
    "Write the part before @ with plain letters, digits and . _ + -: our emails cannot reach "
    "internationalised addresses."
)


def deliverable_email(email: str) -> str:
    """The address as our SMTP server can send to it, or a refusal naming the field.

    We do not send with SMTPUTF8, so the part before @ must be ASCII; an internationalised
    domain is written in its ASCII form (IDNA, "xn--..."), which every mail server accepts.
    """
    address = normalise_email(email)
    local, _, domain = address.rpartition("@")
    if not local or not domain or any(unicodedata.category(c)[0] in "CZ" for c in address):
        raise Refusal.invalid("email", "Not a valid email address.")
    if not local.isascii():
        raise Refusal.invalid("email", NOT_ASCII_ADDRESS)
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refusal.invalid("email", "Not a valid email address.") from None
    return f"{local}@{domain}"


def clean_name(name: str) -> str:
    """A name as it can go in a mail header: no control or invisible format characters (a CR/LF
    in a name would break the message), spaces collapsed."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                   for c in name if unicodedata.category(c) != "Cf")
    cleaned = " ".join(kept.split())
    if not cleaned:
        raise Refusal.invalid("name", "Give your name.")
    return cleaned


def _check_password(password: str, *hints: str) -> None:
    problem = password_problem(password, *hints)
    if problem is not None:
        raise Refusal.invalid("password", problem)


def end_sessions(account: Account) -> None:
    """End every session and token of the account issued until now (sign-out, new password)."""
    account.session_version = (account.session_version or 0) + 1


def find_by_email(session: Session, email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == normalise_email(email)))


def _confirm_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=f"confirm-email:{settings.service}")


def confirmation_token(settings: Settings, account: Account) -> str:
    return _confirm_serializer(settings).dumps({"id": account.id, "email": account.email})


def create_account(
    session: Session,
    settings: Settings,
    *,
    email: str,
    name: str,
    password: str,
    roles: list[str],
    language: str = "fr",
    confirmed: bool = False,
) -> Account:
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise Refusal.about("roles", 422, "Unknown role: %(roles)s.", roles=", ".join(unknown))
    email = deliverable_email(email)
    name = clean_name(name)
    _check_password(password, name, email)
    if find_by_email(session, email) is not None:
        raise Refusal.about("email", 409, "An account already uses this email address.")
    account = Account(
        email=email,
        name=name,
        password_hash=hash_password(password),
        roles=list(roles),
        language=language,
        confirmed_at=events.utcnow() if confirmed else None,
    )
    session.add(account)
    session.flush()
    confirm_url = None
    if not confirmed:
        confirm_url = f"{settings.public_url}/accounts/confirm/{confirmation_token(settings, account)}"
    publish(
        session,
        settings.service,
        "account.registered", 1,
        {
            "account_id": account.id,
            "service": settings.service,
            "email": account.email,
            "name": account.name,
            "language": account.language,
            "roles": account.roles,
            "confirm_url": confirm_url,
        },
    )
    return account


def confirm_email(session: Session, settings: Settings, token: str) -> Account:
    try:
        data = _confirm_serializer(settings).loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired:
        raise Refusal.about("token", 410, "This confirmation link has expired; ask for a new one.") from None
    except BadSignature:
        raise Refusal.about("token", 404, "This confirmation link is not valid.") from None
    account = session.get(Account, data.get("id"))
    if account is None or account.email != data.get("email"):
        raise Refusal.about("token", 404, "This confirmation link is not valid.")
    if account.confirmed_at is None:
        account.confirmed_at = events.utcnow()
    return account


def sign_in(session: Session, email: str, password: str) -> Account:
    account = find_by_email(session, email)
    if not verify_password(account.password_hash if account else None, password):
        raise Refusal(401, "Wrong email address or password.")
    if account.confirmed_at is None:
        raise Refusal.about("email", 403, "Confirm your email address first: we sent you a link.")
    return account


def sign_out(session: Session, account_id: int) -> None:
    """Sign out everywhere: the session cookies and API tokens issued so far no longer work."""
    account = session.get(Account, account_id, with_for_update=True)
    if account is not None:
        end_sessions(account)


def change_password(session: Session, account_id: int, current_password: str, new_password: str) -> Account:
    account = session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise Refusal.not_found("This account no longer exists.")
    if not verify_password(account.password_hash, current_password):
        raise Refusal.about("current_password", 422, "This is not your current password.")
    _check_password(new_password, account.name, account.email)
    account.password_hash = hash_password(new_password)
    end_sessions(account)
    return account


RESET_MAX_AGE = 2 * 3600


def _reset_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=f"password-reset:{settings.service}")


def _reset_fingerprint(account: Account) -> str:
    # Part of the signed token: once the password changes, the link no longer matches (single use).
    return account.password_hash[-16:]


def request_password_reset(session: Session, settings: Settings, email: str) -> None:
    """Send a reset link if the account exists; say nothing either way, so addresses cannot be probed."""
    account = find_by_email(session, email)
    if account is None:
        return
    token = _reset_serializer(settings).dumps({"id": account.id, "fp": _reset_fingerprint(account)})
    publish(
        session,
        settings.service,
        "account.password_reset_requested", 1,
        {
            "account_id": account.id,
            "service": settings.service,
            "email": account.email,
            "name": account.name,
            "language": account.language,
            "reset_url": f"{settings.public_url}/accounts/reset/{token}",
        },
    )


def reset_password(session: Session, settings: Settings, token: str, new_password: str) -> Account:
    try:
        data = _reset_serializer(settings).loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise Refusal.about("token", 410, "This reset link has expired; ask for a new one.") from None
    except BadSignature:
        raise Refusal.about("token", 404, "This reset link is not valid.") from None
    account = session.get(Account, data.get("id"))
    if account is None or _reset_fingerprint(account) != data.get("fp"):
        raise Refusal.about("token", 404, "This reset link is not valid.")
    _check_password(new_password, account.name, account.email)
    account.password_hash = hash_password(new_password)
    # Whoever held the old password may hold a session too: it ends here.
    end_sessions(account)
    # Following the link proves the address too.
    if account.confirmed_at is None:
        account.confirmed_at = events.utcnow()
    return account
