"""A service's relay as a process: `python -m shared.core.relay <service>` (the Procfile and
docker-compose run it; `flask --app services.<name>.app relay` does the same through the app).

A relay needs the service's database and the broker, not its web application: started this way
it holds about 65 MB, where loading the app (every page, schema and catalog) held 120 MB.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

from shared.core.config import load_settings
from shared.core.db import Database
from shared.core.logs import configure_logging

log = logging.getLogger("tremplin.relay")

SERVICES = ("grants", "crowdfunding", "notifications", "accounts")


def relay_events(database: Database, once: bool = False) -> int | None:
    """Move the outbox's events to Redis until SIGINT or SIGTERM; with `once`, one batch (its count)."""
    from shared.core.broker import broker
    from shared.core.outbox import Relay

    relay = Relay(database, broker)
    if once:
        return relay.relay_batch()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("relay started")
    relay.run(stop, max_backoff=float(os.environ.get("RELAY_MAX_BACKOFF_SECONDS", 30)))
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.core.relay", description="Move a service's outbox events to Redis.")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--once", action="store_true", help="Send one batch and stop.")
    arguments = parser.parse_args(argv)
    settings = load_settings(arguments.service)
    configure_logging(arguments.service, settings.log_json)
    database = Database(settings.database_url)
    try:
        sent = relay_events(database, arguments.once)
        if sent is not None:
            print(f"sent {sent} events")
    finally:
        database.dispose()


if __name__ == "__main__":
    main()
