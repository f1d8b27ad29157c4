"""The grants worker: `dramatiq shared.core.broker services.grants.actors`."""
import functools

import shared.core.broker  # noqa: F401  (the broker is built before any actor is declared)
from services.grants.config import settings
from shared.core.consumer import Handlers, event_actor
from shared.core.db import Database

HANDLERS: Handlers = {}  # the grants service consumes no event yet; keys are (name, version)


@functools.cache
def database() -> Database:
    return Database(settings().database_url)


on_event = event_actor("grants", HANDLERS, database)
