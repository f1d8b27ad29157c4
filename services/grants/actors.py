"""The grants worker: `dramatiq shared.core.broker services.grants.actors`."""
import functools

import dramatiq

import shared.core.broker  # noqa: F401  (the broker is built before any actor is declared)
from shared.core.broker import pool_size
from services.grants import impact, jury, matchfunding
from services.grants.config import settings
from services.grants.models import Account
from services.grants.registry import Registry
from shared.accounts import projection
from shared.core.clock import utcnow
from shared.core.consumer import Handlers, event_actor
from shared.core.db import Database



def _both(first, second):
    """One event, two effects, in the one transaction that records the event as processed."""

    def handle(session, event):
        first(session, event)
        second(session, event)

    return handle


# Keyed by (name, version). The service keeps its copy of the people it knows up to date, its
# jurors' profiles from the invitations they accepted, matchfunding's pots from the crowdfunding's
# pledges and closes, and its supported firms (and the comparison group) from the awards, the
# decisions and the crowdfunding's closes.
HANDLERS: Handlers = {
    ("account.updated", 1): projection.record_event(Account),
    ("invitation.accepted", 1): jury.record_invitation_accepted,
    # Impact (services/grants/impact.py): supported firms and the comparison group.
    ("award.accepted", 1): impact.on_award_accepted,
    ("application.not_selected", 1): impact.on_application_not_selected,
    # Matchfunding: the campaigns the fund may match, each pledge's match, and what releases or
    # pays it (services/grants/matchfunding.py).
    ("campaign.published", 1): matchfunding.record_published,
    ("match.requested", 1): matchfunding.request_match,
    ("pledge.changed", 1): matchfunding.on_pledge_changed,
    ("pledge.cancelled", 1): matchfunding.on_pledge_cancelled,
    ("pledge.failed", 1): matchfunding.on_pledge_failed,
    ("pledge.refunded", 1): matchfunding.on_pledge_refunded,
    # A campaign's close matters to both: its matches are paid or released, and its owner becomes
    # a supported firm (or its failure counts in the success rate).
    ("campaign.succeeded", 1): _both(matchfunding.on_campaign_succeeded, impact.on_campaign_succeeded),
    ("campaign.failed", 1): _both(matchfunding.on_campaign_failed, impact.on_campaign_failed),
    ("campaign.cancelled", 1): matchfunding.on_campaign_cancelled,
}


@functools.cache
def database() -> Database:
    return Database(settings().database_url, pool_size=pool_size())


@functools.cache
def registry() -> Registry:
    """The company registry's adapter (REGISTRY_BASE_URL: the local stand-in under `make run`)."""
    return Registry.from_settings(settings())


on_event = event_actor("grants", HANDLERS, database)

# Its own queue, so that checks waiting for the registry's pace never hold up the events.
@dramatiq.actor(actor_name=impact.CHECK_ACTOR, queue_name=impact.CHECK_QUEUE, max_retries=3)
def check_firm(firm_id: int, token: str, attempt: int = 0) -> None:
    """One scheduled registry check of a supported firm (see services/grants/impact.py): it sends
    itself again when the check is not due yet or the registry gave no answer."""
    impact.run_check(database(), registry(), firm_id, token, utcnow(), attempt)
