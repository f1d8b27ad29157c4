"""Funds, calls, organisations, applications and their documents (the grants service's first
tables)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship, remote

from services.grants.models.base import Base
from shared.accounts.projection import PersonColumns
from shared.core.db import UtcDateTime


class Account(PersonColumns, Base):
    """The service's copy of a platform account (see shared.accounts.projection)."""

    __tablename__ = "accounts"

CALL_STATUSES = ("draft", "open", "closed", "in_review", "decided")
APPLICATION_STATUSES = ("draft", "submitted", "withdrawn")
FUNDING_KINDS = ("own_funds", "bank_loan", "crowdfunding", "other_public_funding", "private_sponsor")


class Fund(Base):
    """A yearly envelope, e.g. the area's reactive fund: €50,000 a year."""

    __tablename__ = "funds"
    __table_args__ = (UniqueConstraint("name", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    envelope_cents: Mapped[int] = mapped_column(Integer)
    grants_objective: Mapped[int] = mapped_column(Integer)  # number of grants aimed at this year
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    calls: Mapped[list["Call"]] = relationship(back_populates="fund", order_by="Call.id")


class Call(Base):
    """A call for projects; its rules are what submission checks."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    title_fr: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300), nullable=True)
    description_fr: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime)
    max_award_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # Eligibility rules; an empty list means "no restriction".
    postal_codes: Mapped[list] = mapped_column(JSON, default=list)
    sectors: Mapped[list] = mapped_column(JSON, default=list)
    organisation_kinds: Mapped[list] = mapped_column(JSON, default=list)
    min_other_funding_share_percent: Mapped[int] = mapped_column(Integer, default=0)
    # [{"code": "budget", "label_fr": "...", "label_en": "..."}]
    required_documents: Mapped[list] = mapped_column(JSON, default=list)
    # [{"code": "quality", "label_fr", "label_en", "weight": 3, "levels": [{"score": 0, "description": "..."}]}]
    scoring_grid: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())

    fund: Mapped[Fund] = relationship(back_populates="calls")

    def title(self, language: str) -> str:
        return (self.title_en if language == "en" and self.title_en else self.title_fr)

    def description(self, language: str) -> str:
        return (self.description_en if language == "en" and self.description_en else self.description_fr)


class Organisation(Base):
    """The applicant's organisation: one per applicant account."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey(Account.id), unique=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    siret: Mapped[str | None] = mapped_column(String(14), nullable=True)  # a SIREN (9) or SIRET (14)
    rna: Mapped[str | None] = mapped_column(String(10), nullable=True)
    address: Mapped[str] = mapped_column(String(500))
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(40))
    head_count: Mapped[int] = mapped_column(Integer)
    created_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey(Account.id), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    project_title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    requested_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total_budget_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    jobs_expected: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timeline: Mapped[str] = mapped_column(Text, default="")
    # Frozen at submission: what the jury reads, whatever changes afterwards.
    snapshot: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    eligible: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    receipt_number: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())

    call: Mapped[Call] = relationship()
    # The applicant's organisation (one per account), read with the application in the same
    # statement (applications.WHOLE_APPLICATION) and never on its own: a draft is checked against
    # the call's rules with it. Written through the profile, never through this.
    organisation: Mapped[Organisation | None] = relationship(
        primaryjoin=lambda: foreign(Application.account_id) == remote(Organisation.account_id),
        viewonly=True, uselist=False, lazy="raise",
    )
    funding_sources: Mapped[list["FundingSource"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="FundingSource.id"
    )
    documents: Mapped[list["Document"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Document.id"
    )


class FundingSource(Base):
    """Other funding in the project's budget: own funds, a bank loan, crowdfunding..."""

    __tablename__ = "funding_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    amount_cents: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(300), default="")

    application: Mapped[Application] = relationship(back_populates="funding_sources")


class Document(Base):
    """A PDF attached to an application, stored outside the database under its SHA-256."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("application_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))  # a code from the call's required documents
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    application: Mapped[Application] = relationship(back_populates="documents")
