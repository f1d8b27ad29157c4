"""The grants worker: `dramatiq shared.core.broker services.grants.actors`."""
import functools

import shared.core.broker  # noqa: F401  (the broker is built before any actor is declared)
from services.grants import jury, matchfunding
from services.grants.config import settings
from services.grants.models import Account
from shared.accounts import projection
from shared.core.consumer import Handlers, event_actor
from shared.core.db import Database

# Keyed by (name, version). The service keeps its copy of the people it knows up to date, and
# its jurors' profiles from the invitations they accepted,
# and matchfunding's pots from the crowdfunding's pledges and closes.
HANDLERS: Handlers = {
    ("account.updated", 1): projection.record_event(Account),
    ("invitation.accepted", 1): jury.record_invitation_accepted,
    # Matchfunding: the campaigns the fund may match, each pledge's match, and what releases or
    # pays it (services/grants/matchfunding.py).
    ("campaign.published", 1): matchfunding.record_published,
    ("match.requested", 1): matchfunding.request_match,
    ("pledge.changed", 1): matchfunding.on_pledge_changed,
    ("pledge.cancelled", 1): matchfunding.on_pledge_cancelled,
    ("pledge.failed", 1): matchfunding.on_pledge_failed,
    ("pledge.refunded", 1): matchfunding.on_pledge_refunded,
    ("campaign.succeeded", 1): matchfunding.on_campaign_succeeded,
    ("campaign.failed", 1): matchfunding.on_campaign_failed,
    ("campaign.cancelled", 1): matchfunding.on_campaign_cancelled,
}


@functools.cache
def database() -> Database:
    return Database(settings().database_url)


on_event = event_actor("grants", HANDLERS, database)
