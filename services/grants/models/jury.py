"""The jury's tables: jurors' profiles, each call's jury and panel, assignments, declarations of
conflicts of interest, flags of obvious conflicts, reviews and the jury's log.

A juror is a platform account holding the `juror` role that came by invitation: the profile is
kept from the accounts service's `invitation.accepted` event (its organisation and SIREN are
what the automatic conflict flags compare). Reviews and declarations are keyed by application
and juror: there is at most one of each per pair.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.grants.models.applications import Account, Application, Call
from services.grants.models.base import Base
from shared.core.db import UtcDateTime

ASSIGNMENT_ORIGINS = ("automatic", "manual", "replacement")
FLAG_RULES = ("same_siren", "same_email_domain")
FLAG_STATUSES = ("open", "confirmed", "cleared")
REVIEW_STATUSES = ("draft", "submitted")
RECOMMENDATIONS = ("fund", "maybe", "dont_fund")

DEFAULT_REVIEWS_PER_APPLICATION = 3
DEFAULT_REMINDER_DAYS_BEFORE = 3
DEFAULT_DISAGREEMENT_THRESHOLD = 15


class JurorProfile(Base):
    """An invited juror: who they are for the conflict flags (from `invitation.accepted`)."""

    __tablename__ = "juror_profiles"

    account_id: Mapped[int] = mapped_column(ForeignKey(Account.id), primary_key=True, autoincrement=False)
    email: Mapped[str] = mapped_column(String(254))  # the invited address
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(300), nullable=True)
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())

    account: Mapped[Account] = relationship()


class Jury(Base):
    """A call's jury settings; a call without a row has the defaults."""

    __tablename__ = "juries"

    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), primary_key=True, autoincrement=False)
    reviews_per_application: Mapped[int] = mapped_column(Integer, default=DEFAULT_REVIEWS_PER_APPLICATION)
    review_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reminder_days_before: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER_DAYS_BEFORE)
    disagreement_threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_DISAGREEMENT_THRESHOLD)
    deliberation_opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())

    call: Mapped[Call] = relationship()


class PanelMember(Base):
    """A juror on a call's panel."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("call_id", "juror_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), index=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey(JurorProfile.account_id), index=True)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # What the last `jury.reviews_pending` event said of this juror in this call: only a change
    # is announced, each with the next revision (notifications ignores an older one).
    reminder_revision: Mapped[int] = mapped_column(Integer, default=0)
    announced_remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    juror: Mapped[JurorProfile] = relationship()


class Assignment(Base):
    """A juror asked to review an application."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("application_id", "juror_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey(Application.id), index=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey(JurorProfile.account_id), index=True)
    origin: Mapped[str] = mapped_column(String(12))  # automatic, manual, replacement
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)

    application: Mapped[Application] = relationship()
    juror: Mapped[JurorProfile] = relationship()


class Declaration(Base):
    """A juror's declaration about one application: no conflict, or a conflict with its reason.
    Final for the juror; the fund manager can reopen it (the row goes, the log keeps it)."""

    __tablename__ = "declarations"
    __table_args__ = (UniqueConstraint("application_id", "juror_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey(Application.id), index=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey(JurorProfile.account_id), index=True)
    conflict: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConflictFlag(Base):
    """An obvious conflict found without a declaration (same SIREN, same email domain), until the
    fund manager confirms it (a recusal) or clears it."""

    __tablename__ = "conflict_flags"
    __table_args__ = (UniqueConstraint("application_id", "juror_id", "rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey(Application.id), index=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey(JurorProfile.account_id), index=True)
    rule: Mapped[str] = mapped_column(String(30))  # same_siren, same_email_domain
    detail: Mapped[str] = mapped_column(String(300), default="")  # the SIREN or the domain in common
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, confirmed, cleared
    flagged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)


class Review(Base):
    """A juror's scores of one application: a level and a comment per criterion of the call's
    grid, a recommendation and an overall comment. A draft until submitted; final after, unless
    the fund manager reopens it."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("application_id", "juror_id"),
        Index("ix_reviews_call_id_status", "call_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id))
    application_id: Mapped[int] = mapped_column(ForeignKey(Application.id), index=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey(JurorProfile.account_id), index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    levels: Mapped[dict] = mapped_column(JSON, default=dict)  # {criterion code: level score}
    comments: Mapped[dict] = mapped_column(JSON, default=dict)  # {criterion code: comment}
    recommendation: Mapped[str | None] = mapped_column(String(10), nullable=True)  # fund, maybe, dont_fund
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class JuryLogEntry(Base):
    """What the fund manager did to the jury's work: declarations and reviews reopened, flags
    confirmed or cleared, assignments changed by hand, the deliberation opened."""

    __tablename__ = "jury_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey(Call.id), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    juror_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
