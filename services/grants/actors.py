"""The grants worker: `dramatiq shared.core.broker services.grants.actors`."""
import functools

import dramatiq

import shared.core.broker  # noqa: F401  (the broker is built before any actor is declared)
from services.grants import impact, jury
from services.grants.config import settings
from services.grants.models import Account
from services.grants.registry import Registry
from shared.accounts import projection
from shared.core.clock import utcnow
from shared.core.consumer import Handlers, event_actor
from shared.core.db import Database

# Keyed by (name, version). The service keeps its copy of the people it knows up to date, its
# jurors' profiles from the invitations they accepted, and its supported firms (and the
# comparison group) from the awards, the decisions and the crowdfunding's closes.
HANDLERS: Handlers = {
    ("account.updated", 1): projection.record_event(Account),
    ("invitation.accepted", 1): jury.record_invitation_accepted,
    ("award.accepted", 1): impact.on_award_accepted,
    ("application.not_selected", 1): impact.on_application_not_selected,
    ("campaign.succeeded", 1): impact.on_campaign_succeeded,
    ("campaign.failed", 1): impact.on_campaign_failed,
}


@functools.cache
def database() -> Database:
    return Database(settings().database_url)


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
