"""Impact: the supported firms followed in the company registry, their support history, the
registry's checks with their answers, the statuses recorded by hand, the campaigns' outcomes
crowdfunding announced, and what the alternative funding referent records (advice requests,
advice sessions, alternative funding obtained).

A firm is one row per organisation, keyed by `follow_key`: `siren:<SIREN>` when it has one
(the registry follows it), else `rna:<RNA>` or `account:<id>` (followed by hand). A row with
supports is a supported firm; a row with none but `comparison_since` is in the comparison group
(scored by the jury, not selected). The firm's row carries what the survival estimate reads
(first support, closing date, last time known active), kept up to date in the same transaction
as each support, check and manual status; the checks and manual statuses keep the history.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.grants.models.applications import Account
from services.grants.models.base import Base
from shared.core.db import UtcDateTime

SUPPORT_KINDS = ("grant", "crowdfunding", "matchfunding")
FIRM_STATUSES = ("active", "ceased", "unknown")
CHECK_STATUSES = ("active", "ceased", "unknown", "invalid")  # invalid: an answer not of the API's shape
MECHANISMS = ("crowdfunding", "patronage", "bpifrance", "regional_investment_fund", "foundation", "bank_loan", "other")
ADVICE_STATUSES = ("open", "answered")
CAMPAIGN_OUTCOMES = ("succeeded", "failed", "cancelled")


class SupportedFirm(Base):
    __tablename__ = "supported_firms"
    __table_args__ = (Index("ix_supported_firms_next_check_at", "next_check_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    follow_key: Mapped[str] = mapped_column(String(40), unique=True)
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True, unique=True)
    rna: Mapped[str | None] = mapped_column(String(10), nullable=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    sector: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The survival's start: the first support (supported firms) or the decision (comparison group).
    first_support_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    comparison_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    has_grant: Mapped[bool] = mapped_column(Boolean, default=False)
    has_crowdfunding: Mapped[bool] = mapped_column(Boolean, default=False)  # crowdfunding or matchfunding
    # What the registry said last: its status, closing and creation dates, and when.
    registry_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    registry_closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_checked_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The latest status recorded by hand, for a firm the registry cannot answer for.
    manual_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    manual_closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    manual_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The scheduled check: its due time is the token of the one message that may run it.
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # seeded by `make run`'s demo
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    supports: Mapped[list["Support"]] = relationship(back_populates="firm", order_by="Support.on")


class Support(Base):
    """One support of a firm: a grant accepted, a campaign succeeded, a match paid."""

    __tablename__ = "supports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey(SupportedFirm.id), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    source_key: Mapped[str] = mapped_column(String(80), unique=True)  # award:12, campaign:5, match:pledge:9
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    firm: Mapped[SupportedFirm] = relationship(back_populates="supports")


class RegistryCheck(Base):
    """One answer of the registry about a firm, kept as received."""

    __tablename__ = "registry_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey(SupportedFirm.id), index=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10))
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    http_status: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(500))
    answer: Mapped[str] = mapped_column(Text)


class ManualStatus(Base):
    """A status the fund manager recorded for a firm the registry cannot answer for."""

    __tablename__ = "manual_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey(SupportedFirm.id), index=True)
    status: Mapped[str] = mapped_column(String(10))
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    known_on: Mapped[date] = mapped_column(Date)  # the day the status was known
    source: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)


class CampaignOutcome(Base):
    """A crowdfunding campaign's close, as crowdfunding announced it (campaign.succeeded, .failed,
    .cancelled): what the report's crowdfunding figures count."""

    __tablename__ = "campaign_outcomes"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    outcome: Mapped[str] = mapped_column(String(10))
    closed_on: Mapped[date] = mapped_column(Date)
    legal_name: Mapped[str] = mapped_column(String(300))
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    goal_cents: Mapped[int] = mapped_column(Integer)
    pledged_cents: Mapped[int] = mapped_column(Integer)
    backers: Mapped[int] = mapped_column(Integer)
    matched_cents: Mapped[int] = mapped_column(Integer, default=0)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AdviceRequest(Base):
    """A person asks the referent for advice about their project; answered by a session."""

    __tablename__ = "advice_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey(Account.id), index=True)
    organisation: Mapped[str] = mapped_column(String(300))
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    project: Mapped[str] = mapped_column(Text)
    mechanisms: Mapped[list] = mapped_column(JSON, default=list)  # those the person asks about
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)

    account: Mapped[Account] = relationship()


class AdviceSession(Base):
    """An advice session held by the referent: with whom, when, the mechanisms discussed, notes."""

    __tablename__ = "advice_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey(AdviceRequest.id), nullable=True, unique=True)
    organisation: Mapped[str] = mapped_column(String(300))
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    held_on: Mapped[date] = mapped_column(Date)
    mechanisms: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    referent_id: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AlternativeFunding(Base):
    """Alternative funding an organisation obtained, as the referent recorded it."""

    __tablename__ = "alternative_funding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation: Mapped[str] = mapped_column(String(300))
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))  # one of MECHANISMS
    amount_cents: Mapped[int] = mapped_column(Integer)
    obtained_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))
    session_id: Mapped[int | None] = mapped_column(ForeignKey(AdviceSession.id), nullable=True)
    referent_id: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
