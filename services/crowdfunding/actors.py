"""The crowdfunding worker: `dramatiq shared.core.broker services.crowdfunding.actors`.

- `on_event` keeps the service's copy of people up to date (`account.updated`), and after a
  `pledge.cancelled` (its own event, through the outbox) asks `forget_card` to detach the
  pledge's saved card at Stripe: the Stripe call runs after the event's commit, in a message of
  its own that dramatiq tries again while Stripe does not answer.
- A sweeper thread in each worker process records campaigns going live and ending
  (schedule.advance), at its start and every CAMPAIGN_SWEEP_SECONDS: a worker that was down
  catches up when it starts. People never wait for it (campaigns.effective_status reads the clock).
"""
import functools
import logging
import threading

import dramatiq

import shared.core.broker  # noqa: F401  (the broker is built before any actor is declared)
from services.crowdfunding import matchfunding, pledges, schedule
from services.crowdfunding.config import SERVICE, campaign_sweep_seconds, settings, stripe_settings
from services.crowdfunding.models import Account
from services.crowdfunding.payments import Payments
from shared.accounts import projection
from shared.core import events
from shared.core.clock import utcnow
from shared.core.consumer import NOT_RETRIED, Handlers, consume
from shared.core.db import Database
from shared.core.logs import configure_logging, request_id_context
from shared.core.outbox import consumer_actor_name

log = logging.getLogger("tremplin.crowdfunding.actors")
configure_logging(SERVICE)

PLEDGE_CANCELLED = "pledge.cancelled"  # contract in shared/core/events.py


def _card_to_forget(session, event) -> None:
    """Nothing to write: `on_event` sends `forget_card` once the event is recorded."""


# Keyed by (name, version).
HANDLERS: Handlers = {
    ("account.updated", 1): projection.record_event(Account),
    (PLEDGE_CANCELLED, 1): _card_to_forget,
    # The grant fund's answers about each pledge's match.
    ("match.reserved", 1): matchfunding.on_reserved,
    ("match.refused", 1): matchfunding.on_refused,
    ("match.released", 1): matchfunding.on_released,
}


@functools.cache
def database() -> Database:
    return Database(settings().database_url)


@functools.cache
def payments() -> Payments:
    return Payments(stripe_settings())


@dramatiq.actor(actor_name=consumer_actor_name(SERVICE), queue_name=SERVICE, throws=NOT_RETRIED)
def on_event(envelope: dict) -> None:
    consume(database(), HANDLERS, envelope)
    # Also after a repeated event: if sending failed the first time, the retry does it.
    event = events.read_event(envelope)
    if event.name == PLEDGE_CANCELLED:
        forget_card.send(event.payload["pledge_id"], envelope.get("request_id"))


@dramatiq.actor(actor_name=f"{SERVICE}.forget_card", queue_name=SERVICE)
def forget_card(pledge_id: int, request_id: str | None = None) -> None:
    """Detach a cancelled pledge's saved card at Stripe (once; a retry after Stripe failed tries again)."""
    with request_id_context(request_id):
        pledges.forget_cancelled_card(database().unit_of_work, payments(), pledge_id, utcnow())


class CampaignSweeper(dramatiq.Middleware):
    """Runs `schedule.advance` in a thread of each worker process, from its start and then every
    CAMPAIGN_SWEEP_SECONDS."""

    def __init__(self):
        self._stops: dict[int, threading.Event] = {}

    def after_worker_boot(self, broker, worker):
        stop = threading.Event()
        self._stops[id(worker)] = stop
        threading.Thread(target=self._run, args=(stop,), name="campaign-sweeper", daemon=True).start()

    def before_worker_shutdown(self, broker, worker):
        stop = self._stops.pop(id(worker), None)
        if stop is not None:
            stop.set()

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                started, ended = schedule.advance(database().unit_of_work, utcnow())
                if started or ended:
                    log.info("campaigns advanced", extra={"live": started, "ended": ended})
            except Exception:
                # The database is down: the next pass tries again.
                log.exception("campaign sweep failed")
            stop.wait(campaign_sweep_seconds())


on_event.broker.add_middleware(CampaignSweeper())
