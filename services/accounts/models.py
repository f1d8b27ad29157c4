"""The accounts service's tables: the platform's accounts (the one place passwords live) and the
invitations that bring jurors, referents and fund managers in."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.core.db import UtcDateTime, service_base

Base = service_base()

ROLES = ("applicant", "juror", "referent", "fund_manager", "campaign_owner", "backer", "admin")


class Account(Base):
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


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(300), nullable=True)
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    roles: Mapped[list] = mapped_column(JSON)
    invited_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
