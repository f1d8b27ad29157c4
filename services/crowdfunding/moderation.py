"""The fund manager's moderation: a submitted campaign is approved, sent back with changes
requested, or rejected. A reason is given for the last two, and the owner is emailed each decision.

An approved campaign whose start time has come goes live at once; otherwise at its start
(schedule.py; people see it live from that second in any case, campaigns.effective_status).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crowdfunding import campaigns, matchfunding
from services.crowdfunding.config import SERVICE
from services.crowdfunding.models import Account, Campaign, ModerationDecision
from shared.core.outbox import publish
from shared.core.refusal import Refusal

DECISIONS = ("approved", "changes_requested", "rejected")
EVENTS = {"approved": "campaign.approved", "changes_requested": "campaign.changes_requested",
          "rejected": "campaign.rejected"}


def decide(session: Session, manager_id: int, campaign_id: int, decision: str, reason: str | None,
           now: datetime) -> Campaign:
    """Record the fund manager's decision on a submitted campaign and tell its owner."""
    if decision not in DECISIONS:
        raise Refusal.invalid("decision", "Unknown decision.")
    campaign = campaigns.get_campaign(session, campaign_id, lock=True)
    if campaign.status != "submitted":
        raise Refusal.about("decision", 409, "Only a submitted campaign can be moderated.")
    reason = (reason or "").strip() or None
    if decision != "approved" and reason is None:
        raise Refusal.invalid("reason", "Say why, for the owner: the reason is emailed to them.")
    if decision == "approved" and campaign.ends_at <= now:
        raise Refusal.about("decision", 409, "This campaign's end is already past: ask for changes to its dates.")
    campaign.status = decision
    campaign.moderation_reason = reason
    if decision == "approved":
        campaign.approved_at = now
    session.add(ModerationDecision(campaign_id=campaign.id, decision=decision, reason=reason,
                                   decided_by=manager_id, decided_at=now))
    owner = session.get(Account, campaign.account_id)
    payload = campaigns.campaign_event_ref(owner, campaign, campaigns.editor_url(campaign.id))
    if decision == "approved":
        payload.update(starts_at=campaign.starts_at, ends_at=campaign.ends_at)
    else:
        payload["reason"] = reason
    publish(session, SERVICE, EVENTS[decision], 1, payload)
    if decision == "approved" and campaign.starts_at <= now:
        go_live(session, campaign, now)
    return campaign


def decisions_of(session: Session, campaign_id: int) -> list[ModerationDecision]:
    return list(session.scalars(
        select(ModerationDecision).where(ModerationDecision.campaign_id == campaign_id).order_by(ModerationDecision.id)
    ))


def go_live(session: Session, campaign: Campaign, now: datetime) -> None:
    """Record that an approved campaign is live, and tell its owner (`campaign.published`), once."""
    if campaign.status != "approved":
        return
    campaign.status = "live"
    campaign.published_at = now
    owner = session.get(Account, campaign.account_id)
    publish(session, SERVICE, "campaign.published", 1, {
        **campaigns.campaign_event_ref(owner, campaign, campaigns.campaign_url(campaign.id)),
        "starts_at": campaign.starts_at, "ends_at": campaign.ends_at,
        "goal_cents": campaign.goal_cents, "funding_model": campaign.funding_model,
        "owner_account_id": campaign.account_id, "organisation": matchfunding.organisation_facts(campaign.owner),
    })
