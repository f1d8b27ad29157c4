"""Matchfunding, the crowdfunding side: every confirmed pledge asks the grant fund for its match
(`match.requested`, in the same unit of work as the confirmation), and the grants' answers
(`match.reserved`, `match.refused`, `match.released`) are kept per pledge, so that a campaign's
page shows what the fund adds beside what the crowd gave.

Every pledge asks, whatever its campaign: which campaigns qualify is the grants' to say (a
campaign linked to an award, or approved by the fund manager), and they answer `not_qualifying`
for the others. Crowdfunding keeps no copy of that decision that could disagree with it.

The answers are kept order-free (see `PledgeMatch`): each is applied once (its event id), a
repeated one changes nothing, and answers read in another order than they were written end in
the same match.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.crowdfunding.config import SERVICE
from services.crowdfunding.models import Owner, Pledge, PledgeMatch
from shared.core.clock import utcnow
from shared.core.events import Event
from shared.core.outbox import publish


def organisation_facts(owner: Owner) -> dict:
    """The owner's organisation as the events carry it (`CampaignOrganisationV1`)."""
    return {
        "siret": owner.siret, "siren": owner.siret[:9] if owner.siret else None, "rna": owner.rna,
        "legal_name": owner.legal_name, "kind": owner.kind, "sector": owner.sector,
        "postal_code": owner.postal_code, "city": owner.city,
    }


def _insert_if_absent(session: Session, values: dict) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(PledgeMatch).values(**values).on_conflict_do_nothing(index_elements=["pledge_id"]))


def _row(session: Session, pledge_id: int, campaign_id: int, now: datetime) -> PledgeMatch:
    _insert_if_absent(session, {"pledge_id": pledge_id, "campaign_id": campaign_id, "status": "requested",
                                "reserved_cents": 0, "released_cents": 0, "requested_at": now, "updated_at": now})
    return session.scalar(select(PledgeMatch).where(PledgeMatch.pledge_id == pledge_id).with_for_update()
                          .execution_options(populate_existing=True))


def request_match(session: Session, pledge: Pledge, now: datetime) -> None:
    """A pledge was just confirmed: ask the grant fund for its match (once per pledge)."""
    campaign = pledge.campaign
    if session.get(PledgeMatch, pledge.id) is not None:
        return
    _row(session, pledge.id, campaign.id, now)
    publish(session, SERVICE, "match.requested", 1, {
        "pledge_id": pledge.id, "campaign_id": campaign.id, "backer_account_id": pledge.account_id,
        "owner_account_id": campaign.account_id, "organisation": organisation_facts(campaign.owner),
        "campaign_title": campaign.title_fr, "amount_cents": pledge.amount_cents, "requested_at": now,
    })


def _settle(match: PledgeMatch) -> None:
    if match.status == "refused":
        return
    if match.reserved_cents == 0 and match.released_cents == 0:
        match.status = "requested"
    else:
        match.status = "reserved" if match.matched_cents > 0 else "released"


def _campaign_of(session: Session, payload) -> int:
    pledge = session.get(Pledge, payload["pledge_id"])
    return pledge.campaign_id if pledge is not None else payload["campaign_id"]


def on_reserved(session: Session, event: Event) -> None:
    payload = event.payload
    match = _row(session, payload["pledge_id"], _campaign_of(session, payload), utcnow())
    match.reserved_cents = payload["matched_cents"]
    match.pot_id = payload["pot_id"]
    match.updated_at = utcnow()
    _settle(match)


def on_refused(session: Session, event: Event) -> None:
    payload = event.payload
    match = _row(session, payload["pledge_id"], _campaign_of(session, payload), utcnow())
    match.status, match.reason, match.updated_at = "refused", payload["reason"], utcnow()


def on_released(session: Session, event: Event) -> None:
    payload = event.payload
    match = _row(session, payload["pledge_id"], _campaign_of(session, payload), utcnow())
    match.released_cents += payload["released_cents"]
    match.reason, match.updated_at = payload["reason"], utcnow()
    _settle(match)


def matched_cents(session: Session, campaign_id: int) -> int:
    """What the fund's pot holds for the campaign's pledges now."""
    return int(session.scalar(_MATCHED, {"campaign_id": campaign_id}))


# Built once (every campaign page reads it): the campaign's id is bound at each call.
_MATCHED = (select(func.coalesce(func.sum(PledgeMatch.reserved_cents - PledgeMatch.released_cents), 0))
            .where(PledgeMatch.campaign_id == bindparam("campaign_id"), PledgeMatch.status == "reserved"))


def matched_cents_of(session: Session, campaign_ids: list[int]) -> dict[int, int]:
    """`matched_cents` of several campaigns, by id (those with nothing matched are left out)."""
    return {campaign_id: int(cents) for campaign_id, cents in session.execute(_MATCHED_OF_MANY, {"campaign_ids": campaign_ids})}


_MATCHED_OF_MANY = (
    select(PledgeMatch.campaign_id, func.sum(PledgeMatch.reserved_cents - PledgeMatch.released_cents))
    .where(PledgeMatch.campaign_id.in_(bindparam("campaign_ids", expanding=True)), PledgeMatch.status == "reserved")
    .group_by(PledgeMatch.campaign_id)
)


def match_of(session: Session, pledge_id: int) -> PledgeMatch | None:
    return session.get(PledgeMatch, pledge_id)
