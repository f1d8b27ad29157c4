"""Matchfunding's tables: matching pots set aside from a fund, the campaigns the grants know of
(and which pot matches them), one match per pledge, and one payout per successful campaign.

A pot counts in its fund's envelope for its whole amount (see services/grants/matchfunding.py).
A match is keyed by its pledge: whatever order the events about a pledge come in, and however
often, there is one row per pledge, and its status only moves forward:
reserved → committed (the campaign succeeded) → paid (its payout was paid), or released (the
pledge or the campaign no longer counts); refused is final.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.grants.models.applications import Account, Fund
from services.grants.models.awards import Award
from services.grants.models.base import Base
from shared.core.db import UtcDateTime

POT_STATUSES = ("open", "closed")
QUALIFIED_VIA = ("award", "approval")
MATCH_STATUSES = ("reserved", "committed", "paid", "released", "refused")
HELD_MATCH_STATUSES = ("reserved", "committed", "paid")
PAYOUT_STATUSES = ("committed", "paid", "cancelled")


class MatchPot(Base):
    __tablename__ = "match_pots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey(Fund.id), index=True)
    name: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(Integer)
    ratio_percent: Mapped[int] = mapped_column(Integer, default=100)
    cap_per_pledge_cents: Mapped[int] = mapped_column(Integer, default=10_000)
    cap_per_campaign_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pledges_per_backer: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    fund: Mapped[Fund] = relationship()


class MatchCampaign(Base):
    """A campaign as the grants know it (from `campaign.published` and `match.requested`: its
    owner and organisation), and whether a pot matches it: linked to an award whose
    organisation has the owner's SIREN, or approved by the fund manager."""

    __tablename__ = "match_campaigns"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(300))
    owner_account_id: Mapped[int] = mapped_column(Integer)
    legal_name: Mapped[str] = mapped_column(String(300))
    siret: Mapped[str | None] = mapped_column(String(14), nullable=True)
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    pot_id: Mapped[int | None] = mapped_column(ForeignKey(MatchPot.id), nullable=True, index=True)
    award_id: Mapped[int | None] = mapped_column(ForeignKey(Award.id), nullable=True)
    qualified_via: Mapped[str | None] = mapped_column(String(10), nullable=True)  # award, approval
    linked_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    linked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The close, as crowdfunding announced it: succeeded, failed or cancelled.
    outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    pot: Mapped[MatchPot | None] = relationship()
    award: Mapped[Award | None] = relationship()


class Match(Base):
    __tablename__ = "matches"
    __table_args__ = (
        Index("ix_matches_pot_id_status", "pot_id", "status"),
        Index("ix_matches_campaign_id_backer", "campaign_id", "backer_account_id"),
    )

    pledge_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(Integer)
    pot_id: Mapped[int | None] = mapped_column(ForeignKey(MatchPot.id), nullable=True)
    backer_account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)  # the pledge's, when asked
    matched_cents: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)  # why refused or released
    requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class MatchPayout(Base):
    """What a successful campaign's matches come to: a grants payment to its owner, committed at
    the close, paid when the fund manager records the transfer."""

    __tablename__ = "match_payouts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey(MatchCampaign.campaign_id), primary_key=True,
                                             autoincrement=False)
    pot_id: Mapped[int] = mapped_column(ForeignKey(MatchPot.id), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey(Fund.id), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="committed")
    committed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    bank_reference: Mapped[str | None] = mapped_column(String(35), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    campaign: Mapped[MatchCampaign] = relationship()
    pot: Mapped[MatchPot] = relationship()
