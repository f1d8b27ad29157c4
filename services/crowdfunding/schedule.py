"""What happens at a campaign's start and end times, recorded by the worker (actors.py runs
`advance` at its start and every CAMPAIGN_SWEEP_SECONDS).

People never wait for it: pages and pledges read the clock (campaigns.effective_status), so a
campaign is live at its start time and takes no pledge after its end, to the second. What the
worker adds: the stored status, the owner's "your campaign is live" email (`campaign.published`),
and, at the end, transfers not received cancelled and card pledges never completed let go, then
the close itself (closing.close_campaign). The end is also a delayed dramatiq message due at the
end time to the second (sent by the sweeper shortly before, `closes_to_schedule`), so the close
does not wait for the next sweep.
A worker that was down catches up when it starts again; running it twice changes nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crowdfunding import closing, moderation, pledges
from services.crowdfunding.models import Campaign, Pledge

BATCH = 100


def start_due(session: Session, now: datetime) -> list[int]:
    """Approved campaigns whose start time has come are recorded live; their ids."""
    due = session.scalars(
        select(Campaign).where(Campaign.status == "approved", Campaign.starts_at <= now)
        .order_by(Campaign.starts_at).limit(BATCH).with_for_update(skip_locked=True)
    ).all()
    for campaign in due:
        moderation.go_live(session, campaign, now)
    return [campaign.id for campaign in due]


def end_due(session: Session, now: datetime) -> list[int]:
    """Live campaigns whose end time has passed are recorded ended; their ids."""
    due = session.scalars(
        select(Campaign).where(Campaign.status.in_(("approved", "live")), Campaign.ends_at <= now)
        .order_by(Campaign.ends_at).limit(BATCH).with_for_update(skip_locked=True)
    ).all()
    for campaign in due:
        end_campaign(session, campaign, now)
    return [campaign.id for campaign in due]


def end_campaign(session: Session, campaign: Campaign, now: datetime) -> None:
    if campaign.status == "approved":
        # Approved but its start passed with no worker up: it was live all the same.
        moderation.go_live(session, campaign, now)
    campaign.status = "ended"
    campaign.ended_at = now
    waiting = session.scalars(
        select(Pledge).where(Pledge.campaign_id == campaign.id, Pledge.status.in_(("awaiting_transfer", "pending")))
        .with_for_update()
    ).all()
    for pledge in waiting:
        if pledge.status == "awaiting_transfer":
            pledges.cancel_unreceived_transfer(session, pledge, now)
        else:
            pledges.release_card_hold(pledge, now)
    session.flush()
    closing.close_campaign(session, campaign, now)


def close_one(session: Session, campaign_id: int, now: datetime) -> bool:
    """The delayed message at a campaign's end time: close it if it is due and not closed yet."""
    campaign = session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None or campaign.status not in ("approved", "live") or campaign.ends_at > now:
        return False
    end_campaign(session, campaign, now)
    return True


def closes_to_schedule(session: Session, now: datetime, lead_seconds: float) -> list[tuple[int, datetime]]:
    """Campaigns ending within `lead_seconds` whose delayed close message is not sent yet: marked
    sent, with their end times."""
    due = session.scalars(
        select(Campaign).where(Campaign.status.in_(("approved", "live")), Campaign.close_queued_at.is_(None),
                               Campaign.ends_at <= now + timedelta(seconds=lead_seconds))
        .order_by(Campaign.ends_at).limit(BATCH).with_for_update(skip_locked=True)
    ).all()
    for campaign in due:
        campaign.close_queued_at = now
    return [(campaign.id, campaign.ends_at) for campaign in due]


def advance(units, now: datetime) -> tuple[list[int], list[int]]:
    """Both, each in its own unit of work: (campaigns gone live, campaigns ended)."""
    with units() as session:
        started = start_due(session, now)
    with units() as session:
        ended = end_due(session, now)
    return started, ended
