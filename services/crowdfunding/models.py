"""The crowdfunding service's tables (the outbox and processed events come from shared).

Money is integer cents; times are aware and stored in UTC. Stripe's ids are kept beside our own
records, so that a retried request reads back what it already created instead of creating it
again (localstripe ignores idempotency keys; our records must not).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.accounts.projection import PersonColumns
from shared.core.db import UtcDateTime, service_base

Base = service_base()


class Account(PersonColumns, Base):
    """The service's copy of a platform account (see shared.accounts.projection)."""

    __tablename__ = "accounts"


# Stored statuses. People see the effective one (campaigns.effective_status): an approved campaign
# is live from its start time, and a live one ended from its end time, to the second, whatever
# the worker that records it is doing.
CAMPAIGN_STATUSES = ("draft", "submitted", "changes_requested", "approved", "rejected", "live", "ended")
FUNDING_MODELS = ("all_or_nothing", "keep_it_all")
# pending: a card pledge whose card is not saved yet (it holds its tier place until hold_until);
# awaiting_transfer: a transfer pledge the fund manager has not marked received (it holds its place);
# confirmed: it counts; cancelled: it no longer does; failed: not paid by its deadline after the
# close (its tier place is freed, it no longer counts).
PLEDGE_STATUSES = ("pending", "awaiting_transfer", "confirmed", "cancelled", "failed")
# After the close, what became of a confirmed pledge's money (closing.py):
# to_charge: its card is to be charged (the worker's queue); paid: charged, or its transfer
# received; action_needed: the bank asked for authentication or declined, the backer finishes on
# the recovery page; failed: not paid by its deadline; released: the campaign failed, nothing charged.
PAYMENT_STATUSES = ("to_charge", "paid", "action_needed", "failed", "released")
CAMPAIGN_OUTCOMES = ("succeeded", "failed", "cancelled")
PLEDGE_METHODS = ("card", "transfer")


class Owner(Base):
    """A campaign owner's organisation: one per account, checked as the grants check theirs."""

    __tablename__ = "owners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey(Account.id), unique=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    siret: Mapped[str | None] = mapped_column(String(14), nullable=True)  # a SIREN (9) or SIRET (14)
    rna: Mapped[str | None] = mapped_column(String(10), nullable=True)
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey(Account.id), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    title_fr: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pitch_fr: Mapped[str] = mapped_column(Text, default="")
    pitch_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    sector: Mapped[str] = mapped_column(String(40))
    goal_cents: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    funding_model: Mapped[str] = mapped_column(String(20))
    # [{"label": "Studio", "amount_cents": 120000}]: what the money pays for.
    budget: Mapped[list] = mapped_column(JSON, default=list)
    # The grants receipt number of the award this campaign belongs to (matchfunding, later).
    grant_receipt_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The cover, stored outside the database under its content's sha256, at a few widths.
    cover_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cover_format: Mapped[str | None] = mapped_column(String(4), nullable=True)  # "png" or "jpeg"
    cover_widths: Mapped[list] = mapped_column(JSON, default=list)
    cover_alt_fr: Mapped[str | None] = mapped_column(String(300), nullable=True)
    cover_alt_en: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # The fund manager's last word (changes requested or rejected), as the owner reads it.
    moderation_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The close (closing.py): its outcome, when, and the confirmed total at that second.
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    close_queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # the delayed message sent
    closed_pledged_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    # The payout to the owner, recorded by the fund manager once made.
    payout_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payout_reference: Mapped[str | None] = mapped_column(String(140), nullable=True)
    payout_recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    payout_recorded_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())

    owner: Mapped[Owner] = relationship()
    tiers: Mapped[list["RewardTier"]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="RewardTier.minimum_cents, RewardTier.id"
    )

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_fr

    def pitch(self, language: str) -> str:
        return self.pitch_en if language == "en" and self.pitch_en else self.pitch_fr

    def cover_alt(self, language: str) -> str:
        return (self.cover_alt_en if language == "en" and self.cover_alt_en else self.cover_alt_fr) or ""


class ModerationDecision(Base):
    """Each decision of a fund manager on a campaign, kept: the moderation's history."""

    __tablename__ = "moderation_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # approved, changes_requested, rejected
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[int] = mapped_column(ForeignKey(Account.id))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RewardTier(Base):
    __tablename__ = "reward_tiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    title_fr: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description_fr: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    minimum_cents: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: unlimited
    delivery_month: Mapped[date] = mapped_column(Date)  # the first day of the estimated month
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    campaign: Mapped[Campaign] = relationship(back_populates="tiers")

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_fr

    def description(self, language: str) -> str:
        return self.description_en if language == "en" and self.description_en else self.description_fr


class Pledge(Base):
    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey(Account.id), index=True)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("reward_tiers.id"), nullable=True, index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    public_name: Mapped[bool] = mapped_column(Boolean, default=False)
    method: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Unique and hard to guess: the bank transfer's reference, and the root of the idempotency
    # keys of the pledge's Stripe calls (ids alone repeat when a database starts again).
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # A pending card pledge holds its tier place until then; later, another backer may take it.
    hold_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    stripe_setup_intent_id: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    card_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    card_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    card_detached_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    transfer_received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    transfer_received_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # After the close (see PAYMENT_STATUSES).
    payment_status: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    paid_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    charge_queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    action_reason: Mapped[str | None] = mapped_column(String(60), nullable=True)
    action_since: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    action_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())

    campaign: Mapped[Campaign] = relationship()
    tier: Mapped[RewardTier | None] = relationship()
    backer: Mapped[Account] = relationship(foreign_keys=[account_id])


class ChargeAttempt(Base):
    """One try at charging a pledge: one PaymentIntent, one idempotency key (the pledge's reference
    and the attempt's number). The row is written before Stripe is called and its PaymentIntent id
    kept as soon as Stripe answers, so that a worker resuming after a crash reads back what was
    made instead of making another (localstripe ignores idempotency keys)."""

    __tablename__ = "charge_attempts"
    __table_args__ = (UniqueConstraint("pledge_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # from 1
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    off_session: Mapped[bool] = mapped_column(Boolean)  # the worker's; the backer's on the recovery page is not
    customer_id: Mapped[str] = mapped_column(String(255))
    payment_method_id: Mapped[str] = mapped_column(String(255))
    amount_cents: Mapped[int] = mapped_column(Integer)
    # created (not sent yet; older rows: a charge now writes its attempt as requested), requested
    # (sent; the answer may have been lost), succeeded, requires_action, failed, canceled
    status: Mapped[str] = mapped_column(String(30))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Stripe's fee as its balance transaction reports it; None: not reported.
    fee_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    pledge: Mapped[Pledge] = relationship()


# requested (by the backer), refused, approved (to send), succeeded, failed (Stripe refused it).
REFUND_STATUSES = ("requested", "refused", "approved", "succeeded", "failed")


class Refund(Base):
    """A refund of a paid pledge, in full or in part: asked by the backer (requested, then approved
    or refused by the fund manager) or made by the fund manager (approved). An approved one is sent
    to Stripe with its own idempotency key; `charge.refunded` finds it by its Stripe id."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey(Account.id))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey(Account.id), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    refusal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # given to the worker
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # sent to Stripe (answer maybe lost)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(500), nullable=True)

    pledge: Mapped[Pledge] = relationship()


class StripeCustomer(Base):
    """The Stripe Customer of a backer: one per account, reused by each of their card pledges."""

    __tablename__ = "stripe_customers"

    account_id: Mapped[int] = mapped_column(ForeignKey(Account.id), primary_key=True, autoincrement=False)
    customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class StripeEvent(Base):
    """A Stripe webhook event, recorded in the same transaction as its effect: once only."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime)  # when Stripe made it
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(100))  # what it did: "pledge 12 confirmed", "ignored"...


class NewsPost(Base):
    __tablename__ = "news_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    posted_by: Mapped[int] = mapped_column(ForeignKey(Account.id))
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)


# A pledge's match from the grant fund, as the grants answered: reserved, refused, released.
MATCH_STATUSES = ("requested", "reserved", "refused", "released")


class PledgeMatch(Base):
    """What the grant fund's matching pot gives a pledge, from the grants' answers (`match.*`).

    Kept order-free: `reserved_cents` is what `match.reserved` said, `released_cents` the sum of
    the `match.released` read (each event once, by its id), so the match is their difference
    whatever order they came in."""

    __tablename__ = "pledge_matches"

    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"), primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="requested")
    reserved_cents: Mapped[int] = mapped_column(Integer, default=0)
    released_cents: Mapped[int] = mapped_column(Integer, default=0)
    pot_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @property
    def matched_cents(self) -> int:
        return max(self.reserved_cents - self.released_cents, 0)
