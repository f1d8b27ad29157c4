"""The owner's news: posted on the campaign's page and emailed to its backers through the
notifications service (the `campaign_news` message, with its one-click unsubscribe link)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from services.crowdfunding import campaigns
from services.crowdfunding.config import SERVICE
from services.crowdfunding.models import Account, NewsPost, Pledge
from shared.core.outbox import publish
from shared.core.refusal import Refusal


def news_of(session: Session, campaign_id: int) -> list[NewsPost]:
    return list(session.scalars(_NEWS, {"campaign_id": campaign_id}))


# Built once (every campaign page reads it): the campaign's id is bound at each call.
_NEWS = (select(NewsPost).where(NewsPost.campaign_id == bindparam("campaign_id"))
         .order_by(NewsPost.posted_at.desc(), NewsPost.id.desc()))


def backers_to_tell(session: Session, campaign_id: int) -> list[Account]:
    """Everyone whose pledge counts or whose transfer is awaited, once each."""
    return list(session.scalars(
        select(Account).where(Account.id.in_(
            select(Pledge.account_id).where(Pledge.campaign_id == campaign_id,
                                            Pledge.status.in_(("confirmed", "awaiting_transfer")))
        )).order_by(Account.id)
    ))


def post_news(session: Session, account_id: int, campaign_id: int, text: str, now: datetime) -> NewsPost:
    """News on a live or ended campaign of the owner's, announced with `campaign.news_posted`."""
    campaign = campaigns.get_own_campaign(session, account_id, campaign_id)
    if not campaigns.is_public(campaign, now):
        raise Refusal(409, "News is for a campaign that is live or has ended: this one is not public yet.")
    post = NewsPost(campaign_id=campaign.id, text=text, posted_by=account_id, posted_at=now)
    session.add(post)
    session.flush()
    publish(session, SERVICE, "campaign.news_posted", 1, {
        "news_id": post.id, "campaign_id": campaign.id, "campaign_title": campaign.title_fr,
        "campaign_title_en": campaign.title_en, "campaign_url": campaigns.campaign_url(campaign.id),
        "text": text, "posted_at": now,
        "recipients": [{"email": person.email, "name": person.name, "language": person.language}
                       for person in backers_to_tell(session, campaign.id)],
    })
    return post
