"""Campaigns as their owners write them, and as everyone reads them.

A campaign moves draft → submitted → approved (or changes requested, back to the owner, or
rejected) → live at its start time → ended at its end time. The fund manager moderates
(moderation.py); the worker records going live and ending (schedule.py), but people see both at
the second they happen, whatever the worker is doing: `effective_status` reads the clock.

What the owner may change depends on where the campaign is:
- a draft, or one whose changes were requested: anything;
- submitted (being moderated), rejected or ended: nothing;
- approved or live: not its goal, start, end or funding model; the rest may change, and a reward
  tier with pledges only in ways that do not make it worse for its backers (funding.tier_harms).

Use cases take a session (and `now` where time matters), write, and publish their event in the
caller's unit of work; a refusal is raised before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import Text, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from services.crowdfunding import covers, funding, matchfunding
from services.crowdfunding.config import SERVICE
from services.crowdfunding.models import Account, Campaign, Pledge, RewardTier
from services.crowdfunding.owners import NO_ORGANISATION, find_owner
from shared.core.clock import next_paris_midnight
from shared.core.config import service_public_url
from shared.core.outbox import publish
from shared.core.refusal import Refusal

NOT_FOUND = "There is no such campaign."
TIER_NOT_FOUND = "There is no such reward."
SCHEDULE_FIELDS = ("goal_cents", "starts_at", "ends_at", "funding_model")
CAMPAIGN_FIELDS = (
    "title_fr", "title_en", "pitch_fr", "pitch_en", "sector", "goal_cents", "starts_at", "ends_at",
    "funding_model", "budget", "grant_receipt_number",
)
TIER_FIELDS = ("title_fr", "title_en", "description_fr", "description_en", "minimum_cents", "quantity", "delivery_month")
EDITABLE = ("draft", "changes_requested")
APPROVED = ("approved", "live")


# --- Status and addresses ------------------------------------------------------------------------


def effective_status(campaign: Campaign, now: datetime) -> str:
    """The status people see: an approved campaign is live from its start time, and ended from its end."""
    if campaign.status in ("approved", "live", "ended"):
        if now >= campaign.ends_at:
            return "ended"
        if now >= campaign.starts_at:
            return "live"
        return "approved"
    return campaign.status


def is_public(campaign: Campaign, now: datetime) -> bool:
    return effective_status(campaign, now) in ("live", "ended")


def accepts_pledges(campaign: Campaign, now: datetime) -> bool:
    return effective_status(campaign, now) == "live"


def campaign_url(campaign_id: int) -> str:
    return f"{service_public_url(SERVICE)}/campaigns/{campaign_id}"


def editor_url(campaign_id: int) -> str:
    return f"{service_public_url(SERVICE)}/owner/campaigns/{campaign_id}"


def moderation_url(campaign_id: int) -> str:
    return f"{service_public_url(SERVICE)}/manage/campaigns/{campaign_id}"


# --- Reading -------------------------------------------------------------------------------------


def get_campaign(session: Session, campaign_id: int, lock: bool = False) -> Campaign:
    campaign = session.get(Campaign, campaign_id, with_for_update=lock or None)
    if campaign is None:
        raise Refusal.not_found(NOT_FOUND)
    return campaign


# What a campaign's page shows of it beside its own row, in the same statement rather than a lazy
# load each: its owner's organisation and its reward tiers.
WITH_OWNER_AND_TIERS = (joinedload(Campaign.owner, innerjoin=True), joinedload(Campaign.tiers))
# Built once (the campaign page and every pledge start here), the id bound at each call.
_PUBLIC = select(Campaign).options(*WITH_OWNER_AND_TIERS).where(Campaign.id == bindparam("campaign_id"))


def get_public_campaign(session: Session, campaign_id: int, now: datetime) -> Campaign:
    """A campaign as anyone may read it: live or ended. The others are their owner's and the fund
    manager's, and do not exist outside."""
    campaign = session.execute(_PUBLIC, {"campaign_id": campaign_id}).unique().scalar_one_or_none()
    if campaign is None or not is_public(campaign, now):
        raise Refusal.not_found(NOT_FOUND)
    return campaign


def get_readable_campaign(session: Session, account_id: int | None, roles, campaign_id: int, now: datetime) -> Campaign:
    """The public campaign; its owner and the fund managers read it at any status."""
    if account_id is not None:  # anyone else reads the public campaign alone
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None and (campaign.account_id == account_id or "fund_manager" in (roles or ())):
            return campaign
    return get_public_campaign(session, campaign_id, now)


def get_own_campaign(session: Session, account_id: int, campaign_id: int, lock: bool = False) -> Campaign:
    """The owner's own campaign; another's is answered as if it did not exist."""
    campaign = session.get(Campaign, campaign_id, with_for_update=lock or None)
    if campaign is None or campaign.account_id != account_id:
        raise Refusal.not_found(NOT_FOUND)
    return campaign


def live_campaigns(session: Session, now: datetime, sector: str | None = None) -> list[Campaign]:
    """Campaigns taking pledges now, the nearest end first, with their owner (in the same statement)
    and their tiers."""
    query = (
        select(Campaign)
        .where(Campaign.status.in_(APPROVED), Campaign.starts_at <= now, Campaign.ends_at > now)
        .options(joinedload(Campaign.owner, innerjoin=True), selectinload(Campaign.tiers))
        .order_by(Campaign.ends_at, Campaign.id)
    )
    if sector:
        query = query.where(Campaign.sector == sector)
    return list(session.scalars(query))


def owner_campaigns(session: Session, account_id: int) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(Campaign.account_id == account_id).order_by(Campaign.id.desc())))


def _status_condition(status: str, now: datetime):
    """The stored rows whose effective status is `status`."""
    if status == "live":
        return and_(Campaign.status.in_(APPROVED), Campaign.starts_at <= now, Campaign.ends_at > now)
    if status == "ended":
        return or_(Campaign.status == "ended", and_(Campaign.status.in_(APPROVED), Campaign.ends_at <= now))
    if status == "approved":
        return and_(Campaign.status == "approved", Campaign.starts_at > now)
    return Campaign.status == status


def all_campaigns(session: Session, now: datetime, status: str | None = None) -> list[Campaign]:
    """Every campaign (the fund manager's view), optionally of one effective status."""
    query = select(Campaign).options(selectinload(Campaign.owner)).order_by(Campaign.id.desc())
    if status:
        query = query.where(_status_condition(status, now))
    return list(session.scalars(query))


def moderation_queue(session: Session) -> list[Campaign]:
    """Campaigns waiting for the fund manager, the longest waiting first."""
    return list(session.scalars(
        select(Campaign).where(Campaign.status == "submitted").order_by(Campaign.submitted_at, Campaign.id)
    ))


# The campaign page's reads (and a pledge's check of its tier's places) are built once, with their
# values bound at each call: building a statement cost more than running it.
_CAMPAIGN_ID, _NOW = bindparam("campaign_id"), bindparam("now")


def campaign_progress(session: Session, campaign: Campaign, now: datetime) -> funding.Progress:
    return progress_of(session, [campaign], now)[campaign.id]


def progress_of(session: Session, found: list[Campaign], now: datetime) -> dict[int, funding.Progress]:
    """Each campaign's progress, by id: its confirmed pledges and the fund's match, in two statements
    whatever the number of campaigns."""
    if not found:
        return {}
    ids = [campaign.id for campaign in found]
    counted: dict[int, list[funding.CountedPledge]] = {campaign_id: [] for campaign_id in ids}
    for campaign_id, account_id, amount in session.execute(_COUNTED, {"campaign_ids": ids}):
        counted[campaign_id].append(funding.CountedPledge(backer_id=account_id, amount_cents=amount))
    matched = matchfunding.matched_cents_of(session, ids)
    return {campaign.id: funding.progress(campaign.goal_cents, counted[campaign.id], campaign.ends_at, now,
                                          matched.get(campaign.id, 0)) for campaign in found}


_COUNTED = select(Pledge.campaign_id, Pledge.account_id, Pledge.amount_cents).where(
    Pledge.campaign_id.in_(bindparam("campaign_ids", expanding=True)), Pledge.status == "confirmed")


def list_kept_until(session: Session, found: list[Campaign], now: datetime) -> datetime:
    """Until when the live campaigns, read at `now`, read the same by the clock alone (see
    `page_kept_until`): the first of them to end, the next one to start, the next midnight in Paris
    (their days left)."""
    moments = [next_paris_midnight(now), *(campaign.ends_at for campaign in found)]
    starting = session.scalar(_NEXT_START, {"now": now})
    if starting is not None:
        moments.append(starting)
    return min(moments)


_NEXT_START = select(func.min(Campaign.starts_at)).where(Campaign.status.in_(APPROVED), Campaign.starts_at > _NOW)


def holding_condition(now: datetime):
    """Pledges that hold a tier place now: those that count, transfers awaited, and card pledges
    whose backer is still entering the card."""
    return or_(
        Pledge.status.in_(("confirmed", "awaiting_transfer")),
        and_(Pledge.status == "pending", Pledge.hold_until > now),
    )


def places_taken(session: Session, tier_ids, now: datetime, excluding: int | None = None) -> dict[int, int]:
    """How many places each tier has given, by tier id."""
    tier_ids = list(tier_ids)
    if not tier_ids:
        return {}
    values = {"tier_ids": tier_ids, "now": now}
    if excluding is not None:
        values["excluding"] = excluding
    taken = dict(session.execute(_TAKEN if excluding is None else _TAKEN_EXCLUDING, values).all())
    return {tier_id: taken.get(tier_id, 0) for tier_id in tier_ids}


_TAKEN = (
    select(Pledge.tier_id, func.count())
    .where(Pledge.tier_id.in_(bindparam("tier_ids", expanding=True)), holding_condition(_NOW))
    .group_by(Pledge.tier_id)
)
_TAKEN_EXCLUDING = _TAKEN.where(Pledge.id != bindparam("excluding"))


def places_left(session: Session, campaign: Campaign, now: datetime) -> dict[int, int | None]:
    """Each tier's places left (None: unlimited), by tier id."""
    taken = places_taken(session, [tier.id for tier in campaign.tiers], now)
    return {tier.id: funding.places_left(tier.quantity, taken[tier.id]) for tier in campaign.tiers}


def page_kept_until(session: Session, campaign: Campaign, now: datetime) -> datetime:
    """Until when a campaign's public page, read at `now`, reads the same by the clock alone (it may
    be replayed until then unless a row it shows changes, shared.web.public_reads): its end, the
    next midnight in Paris (its days left), and the first hold to run out on a limited tier (a card
    pledge whose backer is still entering the card gives back its place then)."""
    moments = [next_paris_midnight(now)]
    if campaign.ends_at > now:
        moments.append(campaign.ends_at)
    limited = [tier.id for tier in campaign.tiers if tier.quantity is not None]
    if limited:
        released = session.scalar(_NEXT_RELEASE, {"tier_ids": limited, "now": now})
        if released is not None:
            moments.append(released)
    return min(moments)


_NEXT_RELEASE = select(func.min(Pledge.hold_until)).where(
    Pledge.tier_id.in_(bindparam("tier_ids", expanding=True)), Pledge.status == "pending", Pledge.hold_until > _NOW)


def public_backers(session: Session, campaign_id: int) -> tuple[list[str], int]:
    """The names of backers who chose to be shown (each once, the first to back first), and how
    many others back the campaign without their name."""
    rows = session.execute(_BACKERS, {"campaign_id": campaign_id}).all()
    shown = {account_id: name for account_id, public, name in rows if public}
    everyone = {account_id for account_id, _public, _name in rows}
    return list(dict.fromkeys(shown.values())), len(everyone - set(shown))


_BACKERS = (
    select(Pledge.account_id, Pledge.public_name, Account.name)
    .join(Account, Account.id == Pledge.account_id)
    .where(Pledge.campaign_id == _CAMPAIGN_ID, Pledge.status == "confirmed")
    .order_by(Pledge.confirmed_at, Pledge.id)
)


# --- Writing: the owner ----------------------------------------------------------------------------


def _ensure_schedule(starts_at: datetime, ends_at: datetime, max_days: int) -> None:
    problems = funding.schedule_problems(starts_at, ends_at, max_days)
    if problems:
        [(field, message)] = problems.items()
        raise Refusal.invalid(field, message, days=max_days)


def create_campaign(session: Session, account_id: int, data: dict, max_days: int) -> Campaign:
    """A new campaign, in draft, in the name of the owner's organisation (given first)."""
    owner = find_owner(session, account_id)
    if owner is None:
        raise Refusal.about("organisation", 409, NO_ORGANISATION)
    _ensure_schedule(data["starts_at"], data["ends_at"], max_days)
    campaign = Campaign(owner=owner, account_id=account_id, status="draft", cover_widths=[])
    for name in CAMPAIGN_FIELDS:
        setattr(campaign, name, data.get(name))
    campaign.pitch_fr = campaign.pitch_fr or ""
    campaign.budget = campaign.budget or []
    session.add(campaign)
    session.flush()
    return campaign


def _ensure_changeable(campaign: Campaign, now: datetime) -> None:
    status = effective_status(campaign, now)
    if status == "submitted":
        raise Refusal(409, "This campaign is being moderated: it cannot change until the fund manager decides.")
    if status == "rejected":
        raise Refusal(409, "This campaign was rejected: it can no longer change.")
    if status == "ended":
        raise Refusal(409, "This campaign has ended: it can no longer change.")


def update_campaign(session: Session, account_id: int, campaign_id: int, changes: dict, now: datetime,
                    max_days: int) -> Campaign:
    """Change some fields of the owner's campaign (`changes` validated by CampaignChangesSchema)."""
    campaign = get_own_campaign(session, account_id, campaign_id, lock=True)
    _ensure_changeable(campaign, now)
    if campaign.status in APPROVED:
        errors = {
            name: ["Once approved, a campaign's goal, dates and funding model no longer change."]
            for name in SCHEDULE_FIELDS if name in changes and changes[name] != getattr(campaign, name)
        }
        if errors:
            raise Refusal(409, "Once approved, a campaign's goal, dates and funding model no longer change.", errors)
    _ensure_schedule(changes.get("starts_at", campaign.starts_at), changes.get("ends_at", campaign.ends_at), max_days)
    for name, value in changes.items():
        setattr(campaign, name, value)
    if campaign.pitch_fr is None:
        campaign.pitch_fr = ""
    if campaign.budget is None:
        campaign.budget = []
    return campaign


def set_cover(session: Session, account_id: int, campaign_id: int, stream: BinaryIO, alt_fr: str, alt_en: str | None,
              now: datetime, directory, max_bytes: int) -> Campaign:
    """Store a PNG or JPEG as the campaign's cover, with its text alternative (413, 415 otherwise)."""
    campaign = get_own_campaign(session, account_id, campaign_id, lock=True)
    _ensure_changeable(campaign, now)
    try:
        stored = covers.store_cover(stream, directory, max_bytes)
    except covers.CoverTooLarge:
        megabytes, rest = divmod(max_bytes, 1024 * 1024)
        message, size = (
            ("A cover image may be at most %(size)s MB.", megabytes) if not rest
            else ("A cover image may be at most %(size)s bytes.", max_bytes)
        )
        raise Refusal(413, message, {"file": ["This image is too large."]}, values={"size": size}) from None
    except covers.NotAnImage:
        raise Refusal(415, "Only PNG and JPEG images are accepted.", {"file": ["This file is not a PNG or JPEG image."]}) from None
    # The previous files stay: they are named by content and may be another campaign's too.
    campaign.cover_sha256 = stored.sha256
    campaign.cover_format = stored.format
    campaign.cover_widths = list(stored.widths)
    campaign.cover_alt_fr = alt_fr
    campaign.cover_alt_en = alt_en or None
    return campaign


def cover_files(campaign: Campaign) -> list[tuple[int, str]]:
    """(width, file name) of the campaign's cover, narrowest first."""
    if not campaign.cover_sha256:
        return []
    return [(width, covers.file_name(campaign.cover_sha256, width, campaign.cover_format))
            for width in campaign.cover_widths]


# --- Reward tiers ----------------------------------------------------------------------------------


def get_own_tier(session: Session, account_id: int, campaign_id: int, tier_id: int, lock: bool = False) -> RewardTier:
    campaign = get_own_campaign(session, account_id, campaign_id, lock=lock)
    tier = session.get(RewardTier, tier_id, with_for_update=lock or None)
    if tier is None or tier.campaign_id != campaign.id:
        raise Refusal.not_found(TIER_NOT_FOUND)
    return tier


def add_tier(session: Session, account_id: int, campaign_id: int, data: dict, now: datetime) -> RewardTier:
    campaign = get_own_campaign(session, account_id, campaign_id, lock=True)
    _ensure_changeable(campaign, now)
    tier = RewardTier(**{name: data.get(name) for name in TIER_FIELDS})
    campaign.tiers.append(tier)
    session.flush()
    return tier


def _terms(values) -> funding.TierTerms:
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    return funding.TierTerms(**{name: get(name) for name in TIER_FIELDS})


def update_tier(session: Session, account_id: int, campaign_id: int, tier_id: int, changes: dict,
                now: datetime) -> RewardTier:
    """Change a tier; once backers hold places on it, only in ways that cannot hurt them (409)."""
    tier = get_own_tier(session, account_id, campaign_id, tier_id, lock=True)
    _ensure_changeable(tier.campaign, now)
    current = _terms(tier)
    proposed = _terms({name: changes.get(name, getattr(tier, name)) for name in TIER_FIELDS})
    taken = places_taken(session, [tier.id], now)[tier.id]
    harms = funding.tier_harms(current, proposed, taken)
    if harms:
        raise Refusal(409, "Backers hold places on this reward: these changes would make it worse for them.",
                      {name: [message] for name, message in harms.items()}, values={"taken": taken})
    for name, value in changes.items():
        setattr(tier, name, value)
    return tier


def remove_tier(session: Session, account_id: int, campaign_id: int, tier_id: int, now: datetime) -> None:
    tier = get_own_tier(session, account_id, campaign_id, tier_id, lock=True)
    _ensure_changeable(tier.campaign, now)
    if session.scalar(select(func.count()).select_from(Pledge).where(Pledge.tier_id == tier.id)):
        raise Refusal(409, "Backers chose this reward: it cannot be removed.")
    tier.campaign.tiers.remove(tier)
    session.flush()


# --- Submission ------------------------------------------------------------------------------------


def submission_problems(campaign: Campaign, now: datetime, max_days: int) -> dict[str, list[str]]:
    """What keeps a campaign from going to moderation, per field (empty when it is complete)."""
    errors: dict[str, list[str]] = {}
    if not (campaign.pitch_fr or "").strip():
        errors["pitch_fr"] = ["Write the pitch in French."]
    if campaign.goal_cents < funding.MIN_PLEDGE_CENTS:
        errors["goal_cents"] = ["Set a goal of at least €1."]
    if not campaign.cover_sha256:
        errors["cover"] = ["Add a cover image."]
    if not campaign.budget:
        errors["budget"] = ["Say what the money pays for: at least one line of budget."]
    schedule = funding.schedule_problems(campaign.starts_at, campaign.ends_at, max_days)
    if schedule:
        errors.update({field: [message] for field, message in schedule.items()})
    elif campaign.ends_at <= now:
        errors["ends_at"] = ["The end is already past."]
    return errors


def fund_managers(session: Session) -> list[Account]:
    """The people who moderate (the service's copy of every platform account says who they are)."""
    # Roles are a JSON list: its text holds the role's name in quotes, on PostgreSQL and SQLite alike.
    candidates = session.scalars(select(Account).where(Account.roles.cast(Text).like('%"fund_manager"%')))
    return [account for account in candidates if "fund_manager" in account.roles]


def submit_campaign(session: Session, account_id: int, campaign_id: int, now: datetime, max_days: int) -> Campaign:
    """Send a complete draft (or a campaign whose changes were requested) to moderation, and tell
    the owner and the fund managers (`campaign.submitted`)."""
    campaign = get_own_campaign(session, account_id, campaign_id, lock=True)
    if campaign.status not in EDITABLE:
        raise Refusal(409, "Only a draft, or a campaign whose changes were requested, can be submitted.")
    errors = submission_problems(campaign, now, max_days)
    if errors:
        raise Refusal(422, "This campaign cannot be submitted yet: complete it first (see errors).", errors,
                      values={"days": max_days})
    campaign.status = "submitted"
    campaign.submitted_at = now
    owner = session.get(Account, account_id)
    publish(session, SERVICE, "campaign.submitted", 1, {
        **campaign_event_ref(owner, campaign, editor_url(campaign.id)), "submitted_at": now, "moderation_url": moderation_url(campaign.id),
        "moderators": [{"email": person.email, "name": person.name, "language": person.language}
                       for person in fund_managers(session)],
    })
    return campaign


def campaign_event_ref(owner: Account, campaign: Campaign, url: str) -> dict:
    """The owner as an event's recipient, and the campaign in their language; `url` is the page
    the message leads to (the editor, or the public page once live)."""
    return {
        "email": owner.email, "name": owner.name, "language": owner.language,
        "campaign_id": campaign.id, "campaign_title": campaign.title(owner.language), "campaign_url": url,
    }


# --- What a campaign's page and the API show -------------------------------------------------------


@dataclass(frozen=True)
class TierView:
    tier: RewardTier
    places_left: int | None

    def __getattr__(self, name):
        return getattr(self.tier, name)


@dataclass(frozen=True)
class CampaignView:
    """A campaign with what is worked out about it now: its effective status, its progress, the
    places left on each tier, its public backers."""

    campaign: Campaign
    status: str
    progress: funding.Progress
    tiers: list[TierView]
    public_backers: list[str]
    anonymous_backers: int
    cover: dict | None
    url: str

    def __getattr__(self, name):
        return getattr(self.campaign, name)


def campaign_view(session: Session, campaign: Campaign, now: datetime) -> CampaignView:
    left = places_left(session, campaign, now)
    shown, anonymous = public_backers(session, campaign.id)
    files = cover_files(campaign)
    base = service_public_url(SERVICE)
    cover = None if not files else {
        "widths": [width for width, _name in files], "urls": [f"{base}/covers/{name}" for _width, name in files],
        "alt_fr": campaign.cover_alt_fr, "alt_en": campaign.cover_alt_en,
    }
    return CampaignView(
        campaign=campaign, status=effective_status(campaign, now), progress=campaign_progress(session, campaign, now),
        tiers=[TierView(tier, left[tier.id]) for tier in campaign.tiers], public_backers=shown,
        anonymous_backers=anonymous, cover=cover, url=campaign_url(campaign.id),
    )


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    status: str
    url: str

    def __getattr__(self, name):
        return getattr(self.campaign, name)


def summaries(campaigns: list[Campaign], now: datetime) -> list[CampaignSummary]:
    return [CampaignSummary(campaign, effective_status(campaign, now), campaign_url(campaign.id)) for campaign in campaigns]
