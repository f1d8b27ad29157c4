"""The crowdfunding worker: `dramatiq shared.core.broker services.crowdfunding.actors`."""
import functools

import shared.core.broker  # noqa: F401  (the broker is built before any actor is declared)
from services.crowdfunding.config import settings
from services.crowdfunding.models import Account
from shared.accounts import projection
from shared.core.consumer import Handlers, event_actor
from shared.core.db import Database

# Keyed by (name, version). The service keeps its copy of the people it knows up to date.
HANDLERS: Handlers = {("account.updated", 1): projection.record_event(Account)}


@functools.cache
def database() -> Database:
    return Database(settings().database_url)


on_event = event_actor("crowdfunding", HANDLERS, database)
