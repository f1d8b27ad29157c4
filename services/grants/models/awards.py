"""The awards' tables: each call's tranche plan, awards and their tranches, the decision's
outcome per application, the agreement (signatory, bank details), reports, payments,
repayments and the awards' log.

An application has at most one award (the unique key is what a retried or doubled grant meets).
An award is `granted` by the fund manager, then `accepted` or `declined` by the applicant; it can
be `cancelled` by the fund manager at any time before it is declined. It counts against its
fund's envelope while granted or accepted, and once cancelled for what was paid and not given
back (see services/grants/awards.py, "The envelope").
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.grants.models.applications import Account, Application, Call, Fund
from services.grants.models.base import Base
from shared.core.db import UtcDateTime

AWARD_STATUSES = ("granted", "accepted", "declined", "cancelled")
ACTIVE_AWARD_STATUSES = ("granted", "accepted")
TRANCHE_STATUSES = ("planned", "due", "paid", "cancelled")
OUTCOMES = ("awarded", "not_selected")
REPORT_KINDS = ("interim", "final")


class TranchePlanRow(Base):
    """A call's tranche plan, when the fund manager changed it; a call without a row has the
    default plan (70 % at acceptance, 30 % on the final report)."""

    __tablename__ = "tranche_plans"

    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), primary_key=True, autoincrement=False)
    tranches: Mapped[list] = mapped_column(JSON)  # [{"share_bp": 7000, "due": "acceptance"}, ...]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)


class Award(Base):
    __tablename__ = "awards"
    __table_args__ = (Index("ix_awards_fund_id_status", "fund_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey(Application.id), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey(Fund.id))
    account_id: Mapped[int] = mapped_column(ForeignKey(Account.id), index=True)  # the applicant
    amount_cents: Mapped[int] = mapped_column(Integer)
    conditions_fr: Mapped[str] = mapped_column(Text, default="")
    conditions_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="granted")
    # How many times the applicant was told of this award (0 until the call's decision); each
    # change after that is announced again with the next revision.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    announced_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The agreement: terms read, the signatory, the account the grant is paid to (whole here,
    # masked everywhere it is shown; the SEPA file alone has it whole).
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    terms_version: Mapped[str | None] = mapped_column(String(20), nullable=True)
    signatory_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signatory_role: Mapped[str | None] = mapped_column(String(200), nullable=True)
    iban: Mapped[str | None] = mapped_column(String(34), nullable=True)
    bic: Mapped[str | None] = mapped_column(String(11), nullable=True)
    declined_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    application: Mapped[Application] = relationship()
    call: Mapped[Call] = relationship()
    fund: Mapped[Fund] = relationship()
    account: Mapped[Account] = relationship(foreign_keys=[account_id])
    tranches: Mapped[list["AwardTranche"]] = relationship(
        back_populates="award", cascade="all, delete-orphan", order_by="AwardTranche.number")
    payments: Mapped[list["Payment"]] = relationship(back_populates="award", order_by="Payment.id")
    repayments: Mapped[list["Repayment"]] = relationship(back_populates="award", order_by="Repayment.id")
    reports: Mapped[list["AwardReport"]] = relationship(back_populates="award", order_by="AwardReport.id")

    def conditions(self, language: str) -> str:
        return (self.conditions_en if language == "en" and self.conditions_en else self.conditions_fr) or ""


class AwardTranche(Base):
    """One tranche of an award: its share of the award, its amount and when it became due."""

    __tablename__ = "award_tranches"
    __table_args__ = (UniqueConstraint("award_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    award_id: Mapped[int] = mapped_column(ForeignKey(Award.id, ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first
    due: Mapped[str] = mapped_column(String(20))  # acceptance, interim_report, final_report
    share_bp: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="planned")  # planned, due, paid, cancelled
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    award: Mapped[Award] = relationship(back_populates="tranches")
    payments: Mapped[list["Payment"]] = relationship(back_populates="tranche", order_by="Payment.id")

    @property
    def paid_cents(self) -> int:
        return sum(payment.amount_cents for payment in self.payments)

    @property
    def left_cents(self) -> int:
        return self.amount_cents - self.paid_cents


class Outcome(Base):
    """What the call's decision said of a submitted application (a later award turns a
    `not_selected` into `awarded`)."""

    __tablename__ = "outcomes"

    application_id: Mapped[int] = mapped_column(ForeignKey(Application.id), primary_key=True, autoincrement=False)
    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), index=True)
    outcome: Mapped[str] = mapped_column(String(15))  # awarded, not_selected
    award_id: Mapped[int | None] = mapped_column(ForeignKey(Award.id), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The fund manager let the applicant read the jury's comments (anonymised).
    comments_released: Mapped[bool] = mapped_column(Boolean, default=False)


class AwardReport(Base):
    """A report the awarded applicant uploaded (PDF, stored by content as application documents
    are): an interim report makes the next interim tranche due, the final one the last tranche."""

    __tablename__ = "award_reports"
    __table_args__ = (UniqueConstraint("award_id", "kind", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    award_id: Mapped[int] = mapped_column(ForeignKey(Award.id), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # interim, final
    number: Mapped[int] = mapped_column(Integer)  # the n-th interim report; 1 for the final one
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    award: Mapped[Award] = relationship(back_populates="reports")


class Payment(Base):
    """A transfer the fund manager recorded against a tranche. The bank reference is its natural
    key within the tranche: the same payment recorded twice is one payment."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("tranche_id", "bank_reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    award_id: Mapped[int] = mapped_column(ForeignKey(Award.id), index=True)
    tranche_id: Mapped[int] = mapped_column(ForeignKey(AwardTranche.id), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    bank_reference: Mapped[str] = mapped_column(String(35))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)

    award: Mapped[Award] = relationship(back_populates="payments")
    tranche: Mapped[AwardTranche] = relationship(back_populates="payments")


class Repayment(Base):
    """An amount a cancelled award's firm is to pay back, and when it came back."""

    __tablename__ = "repayments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    award_id: Mapped[int] = mapped_column(ForeignKey(Award.id), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    received_reference: Mapped[str | None] = mapped_column(String(35), nullable=True)

    award: Mapped[Award] = relationship(back_populates="repayments")


class AwardLogEntry(Base):
    """What the fund manager did to awards and decisions, with the reason given: an award
    granted, changed, cancelled; a call decided (and decided with reviews missing)."""

    __tablename__ = "award_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), index=True)
    award_id: Mapped[int | None] = mapped_column(ForeignKey(Award.id), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
