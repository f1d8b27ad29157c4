"""The notifications worker: `dramatiq shared.broker services.notifications.actors`."""
import functools

import shared.broker  # noqa: F401  (the broker is built before any actor is declared)
from services.notifications.config import settings
from shared.consumer import event_actor
from shared.db import Database

from services.notifications.deliveries import HANDLERS


@functools.cache
def database() -> Database:
    return Database(settings().database_url)


on_event = event_actor("notifications", HANDLERS, database)
