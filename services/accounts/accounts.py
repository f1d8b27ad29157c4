"""The platform's accounts: the one place people sign up, confirm their address, sign in and
out, reset or change their password, take roles and accept invitations.

Every change another service must know is announced in the same unit of work: `account.updated`
carries what a service keeps about a person (email, name, language, roles, session version) to
their local copies; `account.registered`, `account.password_reset_requested`,
`account.sign_up_attempted` and `account.invited` make the notifications service write;
`invitation.accepted` gives the grants service its jurors' organisations and SIRENs.
"""
from __future__ import annotations

import unicodedata

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.accounts.config import INVITED_ROLES, SELF_ADDED_ROLES, SERVICE
from services.accounts.models import ROLES, Account, Invitation
from services.accounts.passwords import hash_password, password_problem, verify_password
from shared.core import events
from shared.core.config import Settings
from shared.core.outbox import publish
from shared.core.refusal import Refusal

CONFIRM_MAX_AGE = 3 * 24 * 3600
INVITATION_MAX_AGE = 14 * 24 * 3600


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


def end_sessions(session: Session, account: Account) -> None:
    """End every session and token of the account issued until now (sign-out, new password);
    the services learn it from `account.updated`."""
    account.session_version = (account.session_version or 0) + 1
    announce(session, account)


def announce(session: Session, account: Account) -> None:
    """Tell every service what it keeps about this person, as it is now."""
    publish(session, SERVICE, "account.updated", 1, {
        "account_id": account.id, "email": account.email, "name": account.name,
        "language": account.language, "roles": list(account.roles),
        "session_version": account.session_version,
    })


def find_by_email(session: Session, email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == normalise_email(email)))


def _confirm_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="confirm-email")


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
) -> Account | None:
    """A new account, announced with `account.registered` (its confirmation link, unless it is
    created confirmed) and `account.updated`.

    An address that already has an account gets no second one and the caller learns nothing:
    its owner is told by email (`account.sign_up_attempted`) and None comes back, so a sign-up
    answers the same whether the address was known or not. Two sign-ups racing with one address
    meet on its unique key: one account, and the other is answered the same way.
    """
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise Refusal.about("roles", 422, "Unknown role: %(roles)s.", roles=", ".join(unknown))
    email = deliverable_email(email)
    name = clean_name(name)
    _check_password(password, name, email)
    existing = find_by_email(session, email)
    if existing is None:
        account = Account(
            email=email, name=name, password_hash=hash_password(password), roles=list(roles),
            language=language, confirmed_at=events.utcnow() if confirmed else None, session_version=0,
        )
        try:
            with session.begin_nested():
                session.add(account)
                session.flush()
        except IntegrityError:
            existing = find_by_email(session, email)
    if existing is not None:
        _sign_up_attempted(session, settings, existing)
        return None
    confirm_url = None
    if not confirmed:
        confirm_url = f"{settings.public_url}/accounts/confirm/{confirmation_token(settings, account)}"
    publish(session, SERVICE, "account.registered", 1, {
        "account_id": account.id, "service": SERVICE, "email": account.email, "name": account.name,
        "language": account.language, "roles": account.roles, "confirm_url": confirm_url,
    })
    announce(session, account)
    return account


def _sign_up_attempted(session: Session, settings: Settings, account: Account) -> None:
    publish(session, SERVICE, "account.sign_up_attempted", 1, {
        "account_id": account.id, "email": account.email, "name": account.name, "language": account.language,
        "sign_in_url": f"{settings.public_url}/signin",
        "reset_url": f"{settings.public_url}/accounts/reset",
    })


def _signed(serializer: URLSafeTimedSerializer, token: str, max_age: int, expired: str, invalid: str) -> dict:
    """What a link's signed token says, or a refusal naming it expired (410) or not valid (404)."""
    try:
        return serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise Refusal.about("token", 410, expired) from None
    except BadSignature:
        raise Refusal.about("token", 404, invalid) from None


def confirm_email(session: Session, settings: Settings, token: str) -> Account:
    data = _signed(_confirm_serializer(settings), token, CONFIRM_MAX_AGE,
                   "This confirmation link has expired; ask for a new one.", "This confirmation link is not valid.")
    account = session.get(Account, data.get("id"))
    if account is None or account.email != data.get("email"):
        raise Refusal.about("token", 404, "This confirmation link is not valid.")
    if account.confirmed_at is None:
        account.confirmed_at = events.utcnow()
        announce(session, account)
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
        end_sessions(session, account)


def change_password(session: Session, account_id: int, current_password: str, new_password: str) -> Account:
    account = session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise Refusal.not_found("This account no longer exists.")
    if not verify_password(account.password_hash, current_password):
        raise Refusal.about("current_password", 422, "This is not your current password.")
    _check_password(new_password, account.name, account.email)
    account.password_hash = hash_password(new_password)
    end_sessions(session, account)
    return account


RESET_MAX_AGE = 2 * 3600


def _reset_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="password-reset")


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
        SERVICE,
        "account.password_reset_requested", 1,
        {
            "account_id": account.id,
            "service": SERVICE,
            "email": account.email,
            "name": account.name,
            "language": account.language,
            "reset_url": f"{settings.public_url}/accounts/reset/{token}",
        },
    )


def reset_password(session: Session, settings: Settings, token: str, new_password: str) -> Account:
    data = _signed(_reset_serializer(settings), token, RESET_MAX_AGE,
                   "This reset link has expired; ask for a new one.", "This reset link is not valid.")
    account = session.get(Account, data.get("id"))
    if account is None or _reset_fingerprint(account) != data.get("fp"):
        raise Refusal.about("token", 404, "This reset link is not valid.")
    _check_password(new_password, account.name, account.email)
    account.password_hash = hash_password(new_password)
    # Following the link proves the address too.
    if account.confirmed_at is None:
        account.confirmed_at = events.utcnow()
    # Whoever held the old password may hold a session too: it ends here.
    end_sessions(session, account)
    return account


# --- Roles and the person's own details -------------------------------------------------------------


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise Refusal.not_found("This account no longer exists.")
    return account


def take_role(session: Session, account_id: int, role: str) -> Account:
    """One click: an applicant becomes a campaign owner (or a backer...) with the same account."""
    if role not in SELF_ADDED_ROLES:
        raise Refusal.invalid("role", "This role is given by invitation only.")
    account = session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise Refusal.not_found("This account no longer exists.")
    if role not in account.roles:
        account.roles = [*account.roles, role]
        announce(session, account)
    return account


def update_details(session: Session, account_id: int, changes: dict) -> Account:
    """The person's name and language."""
    account = session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise Refusal.not_found("This account no longer exists.")
    if "name" in changes:
        account.name = clean_name(changes["name"])
    if "language" in changes:
        account.language = changes["language"]
    announce(session, account)
    return account


# --- Invitations ---------------------------------------------------------------------------------------


def _invitation_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="invitation")


def invitation_token(settings: Settings, invitation: Invitation) -> str:
    """The signed token of an invitation's link (what `accept_invitation` takes)."""
    return _invitation_serializer(settings).dumps({"id": invitation.id})


def invite(session: Session, settings: Settings, inviter_id: int, data: dict) -> Invitation:
    """Invite a juror, a referent or a fund manager by email; the link lets a newcomer choose a
    password, and adds the roles to the account of someone who already has one."""
    roles = list(dict.fromkeys(data["roles"]))
    if any(role not in INVITED_ROLES for role in roles) or not roles:
        raise Refusal.invalid("roles", "Invite as juror, referent or fund_manager.")
    invitation = Invitation(
        email=deliverable_email(data["email"]), name=clean_name(data["name"]),
        organisation=data.get("organisation"), siren=data.get("siren"), roles=roles,
        invited_by=inviter_id, created_at=events.utcnow(),
    )
    session.add(invitation)
    session.flush()
    token = invitation_token(settings, invitation)
    inviter = session.get(Account, inviter_id)
    publish(session, SERVICE, "account.invited", 1, {
        "invitation_id": invitation.id, "email": invitation.email, "name": invitation.name,
        "language": inviter.language if inviter else "fr", "roles": roles,
        "organisation": invitation.organisation, "siren": invitation.siren,
        "invited_by": inviter.name if inviter else "",
        "accept_url": f"{settings.public_url}/invitations/{token}",
    })
    return invitation


def open_invitation(session: Session, settings: Settings, token: str) -> Invitation:
    data = _signed(_invitation_serializer(settings), token, INVITATION_MAX_AGE,
                   "This invitation has expired: ask for a new one.", "This invitation is not valid.")
    invitation = session.get(Invitation, data.get("id"), with_for_update=True)
    if invitation is None:
        raise Refusal.about("token", 404, "This invitation is not valid.")
    if invitation.accepted_at is not None:
        raise Refusal.about("token", 409, "This invitation was already accepted: sign in.")
    return invitation


def accept_invitation(session: Session, settings: Settings, token: str, password: str | None, language: str = "fr") -> Account:
    """A newcomer chooses a password (the invitation proves the address); a person who already
    has an account gets the invitation's roles added."""
    invitation = open_invitation(session, settings, token)
    account = find_by_email(session, invitation.email)
    if account is None:
        if not password:
            raise Refusal.invalid("password", "Choose a password.")
        _check_password(password, invitation.name, invitation.email)
        account = Account(
            email=invitation.email, name=invitation.name, password_hash=hash_password(password),
            roles=list(invitation.roles), language=language, confirmed_at=events.utcnow(), session_version=0,
        )
        session.add(account)
        session.flush()
    else:
        account.roles = [*account.roles, *[role for role in invitation.roles if role not in account.roles]]
        if account.confirmed_at is None:
            account.confirmed_at = events.utcnow()
    invitation.accepted_at = events.utcnow()
    invitation.account_id = account.id
    # Before `account.updated`, so that its time is earlier: a service that records the person
    # from this event first still takes the account's own event after it.
    publish(session, SERVICE, "invitation.accepted", 1, {
        "invitation_id": invitation.id, "account_id": account.id, "email": account.email, "name": account.name,
        "language": account.language, "roles": list(account.roles), "invited_roles": list(invitation.roles),
        "organisation": invitation.organisation, "siren": invitation.siren, "accepted_at": invitation.accepted_at,
    })
    announce(session, account)
    return account
