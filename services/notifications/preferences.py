"""People's choices: which categories of opt-out messages an address receives.

Transactional messages (see rendering.KINDS) have no category and are always sent; every
other kind belongs to one category, and a person may leave a category with the one-click
link in any of its messages or from their account.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notifications import unsubscribe
from services.notifications.models import Account, Preference
from services.notifications.rendering import KINDS
from shared.core import events
from shared.core.refusal import Refusal

# Each opt-out kind, and the category a person subscribes to or leaves.
CATEGORY_OF_KIND = {"draft_reminder": "reminders", "campaign_news": "campaign_news"}
CATEGORIES = ("reminders", "campaign_news")

assert set(CATEGORY_OF_KIND) == {kind for kind, spec in KINDS.items() if not spec.transactional}


def category_of(kind: str) -> str | None:
    """The category of an opt-out kind; None for a transactional one (always sent)."""
    return CATEGORY_OF_KIND.get(kind)


def _normalised(email: str) -> str:
    return email.strip().lower()


def is_subscribed(session: Session, email: str, category: str) -> bool:
    subscribed = session.scalar(
        select(Preference.subscribed).where(
            Preference.email == _normalised(email), Preference.category == category
        )
    )
    return subscribed is None or subscribed


def preferences_of(session: Session, email: str) -> dict[str, bool]:
    chosen = dict(
        session.execute(
            select(Preference.category, Preference.subscribed).where(Preference.email == _normalised(email))
        ).all()
    )
    return {category: chosen.get(category, True) for category in CATEGORIES}


def set_preference(session: Session, email: str, category: str, subscribed: bool) -> None:
    """Record a choice (in the caller's transaction)."""
    if category not in CATEGORIES:
        raise Refusal.invalid(category, "Unknown category.")
    email = _normalised(email)
    row = session.scalar(
        select(Preference).where(Preference.email == email, Preference.category == category).with_for_update()
    )
    if row is None:
        session.add(Preference(email=email, category=category, subscribed=subscribed, updated_at=events.utcnow()))
    else:
        row.subscribed = subscribed


def update_preferences(session: Session, email: str, choices: dict[str, bool]) -> dict[str, bool]:
    for category, subscribed in choices.items():
        set_preference(session, email, category, subscribed)
    session.flush()
    return preferences_of(session, email)


def unsubscribe_url(secret: str, public_url: str, email: str, category: str) -> str:
    return f"{public_url}/unsubscribe/{unsubscribe.make_token(secret, email, category)}"


INVALID_LINK = "This unsubscribe link is not valid: it was altered or made up."


def read_unsubscribe_token(secret: str, token: str) -> tuple[str, str]:
    """The address and category a link names; a 404 refusal if forged or unknown."""
    try:
        email, category = unsubscribe.read_token(secret, token)
    except unsubscribe.InvalidUnsubscribeToken as error:
        raise Refusal.not_found(INVALID_LINK) from error
    if category not in CATEGORIES:
        raise Refusal.not_found(INVALID_LINK)
    return email, category


def unsubscribe_with_token(session: Session, secret: str, token: str) -> tuple[str, str]:
    """Leave the category a signed link names (in the caller's unit of work)."""
    email, category = read_unsubscribe_token(secret, token)
    set_preference(session, email, category, False)
    session.flush()
    return email, category


def confirmed_address(session: Session, account_id: int) -> str:
    """The signed-in person's address, once they have proved it is theirs."""
    account = session.get(Account, account_id)
    if account is None or account.confirmed_at is None:
        raise Refusal(403, "Confirm your email address first: we sent you a link.")
    return account.email
