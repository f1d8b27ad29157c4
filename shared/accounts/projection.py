"""What a service keeps about a person: a local copy of the platform account (id, email, name,
language, roles, session version), kept up to date from `account.updated` events, so that joins
and emails never call the accounts service at request time.

Each service declares its copy on its own models (`class Account(PersonColumns, Base)`, table
`accounts`), so its foreign keys point at it. A token signed by the accounts service carries the
same facts: a person seen for the first time, before their event arrived, is recorded from it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.core.db import UtcDateTime
from shared.core.events import Event


class PersonColumns:
    """The columns of a service's `accounts` table."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the copy was last brought up to date: an older event than that changes nothing.
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    # Only on databases from before the platform had one account: read once by the accounts
    # service's `adopt-accounts` command, empty otherwise.
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)


def record(session: Session, model, facts: dict, at: datetime) -> None:
    """Bring the copy of one person up to date with facts known at `at` (an event's time)."""
    person = session.get(model, facts["account_id"], with_for_update=True)
    if person is None:
        person = model(id=facts["account_id"], session_version=0)
        _fill(person, facts, at)
        try:
            with session.begin_nested():
                session.add(person)
                session.flush()
        except IntegrityError:
            # Recorded meanwhile from a token, or an old copy held the address: start again.
            session.expire_all()
            _clear_address(session, model, facts)
            record(session, model, facts, at)
        return
    if person.synced_at is not None and at < person.synced_at:
        return  # an event older than what the copy already knows
    _fill(person, facts, at)


def _fill(person, facts: dict, at: datetime) -> None:
    person.email = facts["email"]
    person.name = facts["name"]
    person.language = facts["language"]
    person.roles = list(facts["roles"])
    person.session_version = max(person.session_version or 0, facts["session_version"])
    person.synced_at = at
    person.confirmed_at = person.confirmed_at or at


def _clear_address(session: Session, model, facts: dict) -> None:
    """Another person's old copy holding this address (they changed it since) lets it go."""
    other = session.scalar(select(model).where(model.email == facts["email"], model.id != facts["account_id"]))
    if other is not None:
        other.email = f"released-{other.id}@invalid"
        session.flush()


def record_event(model):
    """The `account.updated` handler of a service whose copy is `model`."""

    def handle(session: Session, event: Event) -> None:
        record(session, model, dict(event.payload), event.occurred_at)

    handle.__name__ = "record_account"
    return handle
