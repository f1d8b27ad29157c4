"""The crowdfunding worker: `dramatiq shared.core.broker services.crowdfunding.actors`.

The close (closing.py): `close_campaign` is a delayed message due at a campaign's end time (the
sweeper sends it shortly before); `charge_pledge` charges one pledge on the `crowdfunding-charges`
queue, at the pace of STRIPE_MAX_REQUESTS_PER_SECOND across every worker process (Redis);
`remind_backer` and `expire_pledge` are delayed messages at 2, 5 and 7 days; `detach_card` forgets
the cards of a failed campaign; `send_refund` sends an approved refund to Stripe. The sweeper
catches up whatever those messages missed (a worker down at the end time, a message lost with
Redis), so none of them has to arrive.

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
from shared.core.broker import pool_size
from services.crowdfunding import closing, matchfunding, pledges, refunds, schedule
from services.crowdfunding.config import (
    SERVICE,
    campaign_sweep_seconds,
    charge_requeue_seconds,
    close_lead_seconds,
    settings,
    stripe_max_requests_per_second,
    stripe_settings,
)
from services.crowdfunding.models import Account
from services.crowdfunding.payments import Payments
from shared.accounts import projection
from shared.core import events
from shared.core.clock import utcnow
from shared.core.consumer import NOT_RETRIED, Handlers, consume, consume_batch
from shared.core.db import Database
from shared.core.logs import configure_logging, request_id_context
from shared.core.outbox import batch_actor_name, consumer_actor_name
from shared.core.pacing import Pace

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
    # A charge holds two connections at once (its pledge's advisory lock, on a connection of its
    # own, and its unit of work): two per thread, and one for the sweeper.
    return Database(settings().database_url, pool_size=2 * pool_size(own_threads=0) + 1)


@functools.cache
def payments() -> Payments:
    return Payments(stripe_settings())


@functools.cache
def stripe_pace() -> Pace:
    """One budget for every worker process: Stripe's limit is per account, not per process."""
    return Pace.from_settings(settings(), "stripe", stripe_max_requests_per_second())


CHARGES_QUEUE = f"{SERVICE}-charges"


@dramatiq.actor(actor_name=consumer_actor_name(SERVICE), queue_name=SERVICE, throws=NOT_RETRIED)
def on_event(envelope: dict) -> None:
    consume(database(), HANDLERS, envelope)
    # Also after a repeated event: if sending failed the first time, the retry does it.
    _after(events.read_event(envelope), envelope.get("request_id"))


@dramatiq.actor(actor_name=batch_actor_name(SERVICE), queue_name=SERVICE)
def on_events(envelopes: list[dict]) -> None:
    """Several events in one unit of work (shared.core.consumer.consume_batch)."""
    request_ids = {envelope.get("id"): envelope.get("request_id") for envelope in envelopes}
    for event in consume_batch(database(), HANDLERS, envelopes, on_event):
        _after(event, request_ids.get(event.id))


def _after(event: events.Event, request_id: str | None) -> None:
    if event.name == PLEDGE_CANCELLED:
        forget_card.send(event.payload["pledge_id"], request_id)


@dramatiq.actor(actor_name=f"{SERVICE}.forget_card", queue_name=SERVICE)
def forget_card(pledge_id: int, request_id: str | None = None) -> None:
    """Detach a cancelled pledge's saved card at Stripe (once; a retry after Stripe failed tries again)."""
    with request_id_context(request_id):
        pledges.forget_cancelled_card(database().unit_of_work, payments(), pledge_id, utcnow())


# --- The close ----------------------------------------------------------------------------------


def _delay_ms(at) -> int:
    return max(int((at - utcnow()).total_seconds() * 1000), 0)


@dramatiq.actor(actor_name=f"{SERVICE}.close_campaign", queue_name=SERVICE)
def close_campaign(campaign_id: int, ends_at: str | None = None) -> None:
    """At the campaign's end time: close it (the sweeper would, later; running both changes nothing)."""
    with database().unit_of_work() as session:
        closed = schedule.close_one(session, campaign_id, utcnow())
        if not closed:
            campaign = session.get(schedule.Campaign, campaign_id)
            early = campaign is not None and campaign.status in ("approved", "live") and campaign.ends_at > utcnow()
    if closed:
        after_close(campaign_id)
    elif early:  # this clock is a hair behind the sender's: wait for the end time
        close_campaign.send_with_options(args=(campaign_id,), delay=max(_delay_ms(campaign.ends_at), 10))


def after_close(campaign_id: int) -> None:
    feed_charges()
    with database().unit_of_work() as session:
        to_detach = closing.cards_to_detach(session, campaign_id)
    for pledge_id in to_detach:
        detach_card.send(pledge_id)


def feed_charges() -> int:
    """Queue the next few seconds of charges (see closing.pledges_to_queue)."""
    rate = stripe_max_requests_per_second()
    limit = max(int(rate * max(campaign_sweep_seconds(), 1) * 3), rate)
    with database().unit_of_work() as session:
        due = closing.pledges_to_queue(session, utcnow(), limit, charge_requeue_seconds())
    for pledge_id in due:
        charge_pledge.send(pledge_id)
    return len(due)


@dramatiq.actor(actor_name=f"{SERVICE}.charge_pledge", queue_name=CHARGES_QUEUE)
def charge_pledge(pledge_id: int) -> None:
    """Charge one pledge off-session (once, whatever ran before; a retry after Stripe or Redis
    failed resumes where it stopped)."""
    charged = closing.charge_pledge(database(), payments(), stripe_pace(), pledge_id, utcnow())
    for number, delay in enumerate(charged.reminders, start=1):
        remind_backer.send_with_options(args=(pledge_id, number), delay=int(delay * 1000))
    if charged.expiry is not None:
        expire_pledge.send_with_options(args=(pledge_id,), delay=int(charged.expiry * 1000))


@dramatiq.actor(actor_name=f"{SERVICE}.remind_backer", queue_name=SERVICE)
def remind_backer(pledge_id: int, reminder: int) -> None:
    with database().unit_of_work() as session:
        closing.remind(session, pledge_id, reminder, utcnow())


@dramatiq.actor(actor_name=f"{SERVICE}.expire_pledge", queue_name=SERVICE)
def expire_pledge(pledge_id: int) -> None:
    with database().unit_of_work() as session:
        expired = closing.expire(session, pledge_id, utcnow())
    if expired:
        cancel_intents()


def cancel_intents() -> None:
    """Queue the cancellation of failed pledges' PaymentIntents still open (see closing.intents_to_cancel)."""
    with database().unit_of_work() as session:
        waiting = closing.intents_to_cancel(session)
    for attempt_id in waiting:
        cancel_intent.send(attempt_id)


@dramatiq.actor(actor_name=f"{SERVICE}.cancel_intent", queue_name=CHARGES_QUEUE)
def cancel_intent(attempt_id: int) -> None:
    """Cancel a failed pledge's PaymentIntent at Stripe (once; retried while Stripe is away)."""
    closing.cancel_intent(database(), payments(), stripe_pace(), attempt_id, utcnow())


@dramatiq.actor(actor_name=f"{SERVICE}.detach_card", queue_name=SERVICE)
def detach_card(pledge_id: int) -> None:
    """Forget the saved card of a pledge whose campaign failed (once; retried while Stripe is away)."""
    closing.detach_card(database(), payments(), pledge_id, utcnow())


@dramatiq.actor(actor_name=f"{SERVICE}.send_refund", queue_name=CHARGES_QUEUE)
def send_refund(refund_id: int) -> None:
    """Send an approved refund to Stripe (once: its key, and the pledge's lock)."""
    refunds.send_refund(database(), payments(), stripe_pace(), refund_id, utcnow())


def sweep() -> None:
    """One pass of the sweeper: what a worker does whatever messages were lost."""
    now = utcnow()
    started, ended = schedule.advance(database().unit_of_work, now)
    if started or ended:
        log.info("campaigns advanced", extra={"live": started, "ended": ended})
    for campaign_id in ended:
        after_close(campaign_id)
    with database().unit_of_work() as session:
        closes = schedule.closes_to_schedule(session, now, close_lead_seconds())
    for campaign_id, ends_at in closes:
        close_campaign.send_with_options(args=(campaign_id,), delay=_delay_ms(ends_at))
    feed_charges()
    with database().unit_of_work() as session:
        closing.catch_up_actions(session, now)
    cancel_intents()
    with database().unit_of_work() as session:
        due_refunds = refunds.refunds_to_send(session, now, charge_requeue_seconds())
    for refund_id in due_refunds:
        send_refund.send(refund_id)
    with database().unit_of_work() as session:
        to_detach = closing.cards_to_detach(session, None)[:100]
    for pledge_id in to_detach:
        detach_card.send(pledge_id)


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
                sweep()
            except Exception:
                # The database or Redis is down: the next pass tries again.
                log.exception("campaign sweep failed")
            stop.wait(campaign_sweep_seconds())


on_event.broker.add_middleware(CampaignSweeper())
