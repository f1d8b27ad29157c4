"""The grants worker: `dramatiq shared.broker services.grants.actors`."""
import functools

import shared.broker  # noqa: F401  (the broker is built before any actor is declared)
from services.grants.config import settings
from shared.consumer import event_actor
from shared.db import Database

HANDLERS: dict = {}  # the grants service consumes no event yet


@functools.cache
def database() -> Database:
    return Database(settings().database_url)


on_event = event_actor("grants", HANDLERS, database)
