"""The grants worker: `dramatiq shared.core.broker services.grants.actors`."""
import functools

import shared.core.broker  # noqa: F401  (the broker is built before any actor is declared)
from services.grants import jury
from services.grants.config import settings
from services.grants.models import Account
from shared.accounts import projection
from shared.core.consumer import Handlers, event_actor
from shared.core.db import Database

# Keyed by (name, version). The service keeps its copy of the people it knows up to date, and
# its jurors' profiles from the invitations they accepted.
HANDLERS: Handlers = {
    ("account.updated", 1): projection.record_event(Account),
    ("invitation.accepted", 1): jury.record_invitation_accepted,
}


@functools.cache
def database() -> Database:
    return Database(settings().database_url)


on_event = event_actor("grants", HANDLERS, database)
