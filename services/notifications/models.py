"""The notifications service's tables (the outbox and processed events come from shared)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.accounts.projection import PersonColumns
from shared.core.db import UtcDateTime, service_base

Base = service_base()


class Account(PersonColumns, Base):
    """The service's copy of a platform account (see shared.accounts.projection)."""

    __tablename__ = "accounts"

# queued: waiting to be sent (now, at due_at, or after a temporary failure);
# sending: a worker holds it until lease_until, talking to the mail server (see deliveries.py);
# sent: the mail server accepted it; failed: refused for good or out of attempts (see last_error);
# cancelled: no longer needed (a reminder for a draft since submitted);
# skipped: the recipient unsubscribed from this category before it was sent.
DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "cancelled", "skipped")


class Delivery(Base):
    """One message to one recipient on one channel, for one event: the delivery log."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("event_id", "recipient_email", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    event_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(20), default="email")
    recipient_email: Mapped[str] = mapped_column(String(254), index=True)
    recipient_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    context: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What the message is about, e.g. "application:42", so a later event can cancel it.
    topic: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    # Not to be sent before: a reminder's time, or the next try after a temporary failure.
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # While `sending`: the worker sending it holds it until then; past it, that worker is gone.
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # When a worker was last asked to send it (a `deliver` message put on the queue), so that
    # the sweep wakes a delivery left behind once, not at every pass.
    woken_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, server_default=func.now(), onupdate=func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Preference(Base):
    """A person's choice for one category of opt-out messages; no row means subscribed."""

    __tablename__ = "preferences"
    __table_args__ = (UniqueConstraint("email", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    category: Mapped[str] = mapped_column(String(40))
    subscribed: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, server_default=func.now(), onupdate=func.now()
    )
