"""Use cases of the notifications service: from an event to deliveries in the log, and from a
delivery in the log to a message accepted by the mail server.

Exactly once: the handlers below run inside the consumer's transaction (shared.core.consumer), so an
event writes its Delivery rows once, as `queued`. Sending happens after that commit, one
delivery at a time (`attempt_delivery`): a worker takes the delivery in a short transaction
(`sending`, with a lease), talks to the mail server outside any transaction, then records the
outcome; a delivery already taken, sent, failed or cancelled is left alone, so a message
delivered twice to the worker sends nothing twice. The one gap left is the mail server
accepting a message and the worker dying before the commit that marks it sent; the message is
then sent again with the same Message-ID, which mail systems use to drop duplicates.
Deliveries a dead worker left behind are found by `sweep` (see actors.py) and docs/architecture.md
("Faults").
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from babel.numbers import format_percent
from sqlalchemy import and_, bindparam, func, insert, or_, select, text, tuple_, update
from sqlalchemy import inspect as sqlalchemy_inspect
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from services.notifications import config, smtp
from services.notifications.models import Account, Delivery
from services.notifications.preferences import category_of, is_subscribed, unsubscribe_url
from services.notifications.rendering import RenderedEmail, message_language, render
from services.notifications.smtp import PermanentDeliveryError, TemporaryDeliveryError
from shared.core.clock import format_paris, utcnow
from shared.core.money import LOCALES, format_money
from shared.core.db import Database
from shared.accounts import projection
from shared.core.events import Event
from shared.core.logs import current_request_id
from shared.core.outbox import publish
from shared.core.refusal import Refusal

log = logging.getLogger("tremplin.notifications.deliveries")
# Each worker thread keeps its connection to the mail server from one message to the next.
CONNECTIONS = smtp.ConnectionPool()

REMINDER_BEFORE_CLOSING = timedelta(hours=48)
# Context values that are instants, shown in the recipient's language and Paris time.
_INSTANTS = ("closes_at", "submitted_at", "review_deadline")


# --- From an event to deliveries ---------------------------------------------------------------


def _delivery(event: Event, kind: str, context: dict, recipient=None, **extra) -> Delivery:
    """A delivery of `event` to its recipient, or to `recipient` (one of several it lists)."""
    payload = recipient or event.payload
    return Delivery(
        event_id=event.id,
        event_name=event.name,
        kind=kind,
        channel="email",
        recipient_email=payload["email"].strip().lower(),
        recipient_name=payload["name"],
        language=payload["language"],
        context=context,
        status="queued",
        attempts=0,
        request_id=current_request_id(),  # the event's, set by the consumer
        woken_at=utcnow(),  # on_event asks a worker for it right after the commit
        **extra,
    )


def _application_topic(payload: dict) -> str:
    return f"application:{payload['application_id']}"


def cancel_reminders(session: Session, topic: str) -> int:
    result = session.execute(
        update(Delivery)
        .where(Delivery.topic == topic, Delivery.kind == "draft_reminder", Delivery.status == "queued")
        .values(status="cancelled", due_at=None)
    )
    return result.rowcount


def record_account_registered(session: Session, event: Event) -> None:
    payload = event.payload
    if payload["confirm_url"] is None:
        return  # created already confirmed (command line): nothing to ask of the person
    session.add(_delivery(event, "account_confirmation", {"confirm_url": payload["confirm_url"]}))


def record_password_reset_requested(session: Session, event: Event) -> None:
    session.add(_delivery(event, "password_reset", {"reset_url": event.payload["reset_url"]}))


def record_sign_up_attempted(session: Session, event: Event) -> None:
    payload = event.payload
    session.add(_delivery(event, "sign_up_attempted",
                          {"sign_in_url": payload["sign_in_url"], "reset_url": payload["reset_url"]}))


ROLE_NAMES = {
    "juror": {"fr": "membre du jury", "en": "jury member"},
    "referent": {"fr": "référent·e des financements alternatifs", "en": "alternative funding referent"},
    "fund_manager": {"fr": "gestionnaire du fonds", "en": "fund manager"},
}


def record_invited(session: Session, event: Event) -> None:
    payload = event.payload
    language = payload["language"]
    roles_text = ", ".join(ROLE_NAMES.get(role, {}).get(language, role) for role in payload["roles"])
    session.add(_delivery(event, "invitation", {
        "invited_by": payload["invited_by"], "roles_text": roles_text,
        "organisation": payload["organisation"], "accept_url": payload["accept_url"],
    }))


def record_draft_started(session: Session, event: Event) -> None:
    """Schedule a reminder 48 hours before the call closes (nothing is polled: see actors.deliver)."""
    payload = event.payload
    topic = _application_topic(payload)
    due_at = payload["closes_at"] - REMINDER_BEFORE_CLOSING
    # A draft started within the last 48 hours, or after closing, gets no reminder: the person
    # has just seen the deadline.
    if due_at <= utcnow():
        return
    # Events may be handled out of order: a submission already recorded means no reminder.
    submitted = session.scalar(
        select(func.count()).select_from(Delivery).where(
            Delivery.topic == topic, Delivery.kind == "application_received"
        )
    )
    if submitted:
        return
    # A new draft event for the same application (say the deadline moved) replaces the old reminder.
    cancel_reminders(session, topic)
    session.add(
        _delivery(
            event,
            "draft_reminder",
            {
                "call_id": payload["call_id"],  # so that a later closing time moves the reminder
                "call_title": payload["call_title"],
                "closes_at": payload["closes_at"].isoformat(),
                "application_url": payload["application_url"],
            },
            topic=topic,
            due_at=due_at,
        )
    )


CALL_CLOSING_EXTENDED = "call.closing_extended"  # contract in shared/core/events.py


def _queued_reminders_of_call(call_id: int):
    # Reminders recorded before they carried their call id are not found (see record_draft_started).
    return select(Delivery).where(
        Delivery.status == "queued",
        Delivery.kind == "draft_reminder",
        Delivery.context["call_id"].as_integer() == call_id,
    )


def _closes_at(delivery: Delivery) -> datetime:
    return datetime.fromisoformat(delivery.context["closes_at"])


def record_call_closing_extended(session: Session, event: Event) -> None:
    """Move the call's reminders still to come to 48 hours before its new closing time.

    Only ever later: an extension handled after a further one (out of order) changes nothing.
    The worker is woken for them by `queued_for_event`; a delayed `deliver` message from the old
    time that arrives first finds the reminder not yet due and waits again.
    """
    payload = event.payload
    closes_at = payload["closes_at"]
    due_at = closes_at - REMINDER_BEFORE_CLOSING
    reminders = session.scalars(_queued_reminders_of_call(payload["call_id"]).with_for_update()).all()
    for reminder in reminders:
        if _closes_at(reminder) >= closes_at:
            continue
        reminder.context = {**reminder.context, "closes_at": closes_at.isoformat()}
        # A reminder waiting for a retry after a temporary failure keeps its retry time if later.
        if reminder.due_at is None or reminder.due_at < due_at:
            reminder.due_at = due_at


REVIEWS_PENDING = "jury.reviews_pending"  # contract in shared/core/events.py


def record_reviews_pending(session: Session, event: Event) -> None:
    """Schedule, move or cancel a juror's reminder before a call's review deadline.

    The grants service announces each change of what the reminder depends on, numbered per seat
    on the panel (`revision`). Every event leaves one row for its seat's topic, a cancelled one
    when there is nothing to send, so that an event handled after a newer one (out of order)
    finds that newer revision and changes nothing. Two events for one seat at once are applied
    in turn: on PostgreSQL each first takes a lock on the seat's topic (the first event of a
    seat has no row to lock yet); SQLite runs one transaction at a time anyway.
    """
    payload = event.payload
    topic = f"jury-seat:{payload['panel_member_id']}"
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:topic))"), {"topic": topic})
    rows = session.scalars(
        select(Delivery).where(Delivery.topic == topic, Delivery.kind == "review_reminder").with_for_update()
    ).all()
    if any(row.context.get("revision", 0) >= payload["revision"] for row in rows):
        return
    for row in rows:
        if row.status == "queued":
            row.status, row.due_at = "cancelled", None
    now = utcnow()
    deadline, remind_at = payload["review_deadline"], payload["remind_at"]
    context = {
        "revision": payload["revision"], "call_id": payload["call_id"], "call_title": payload["call_title"],
        "review_deadline": deadline.isoformat() if deadline else None, "jury_url": payload["jury_url"],
    }
    delivery = _delivery(event, "review_reminder", context, topic=topic,
                         # A reminder whose time has passed while the deadline has not goes at once.
                         due_at=max(remind_at, now) if remind_at else None)
    if remind_at is None or deadline is None or deadline <= now:
        delivery.status = "cancelled"  # nothing to send: the row keeps the revision
    session.add(delivery)


def record_application_submitted(session: Session, event: Event) -> None:
    payload = event.payload
    topic = _application_topic(payload)
    cancel_reminders(session, topic)
    session.add(
        _delivery(
            event,
            "application_received",
            {
                "call_title": payload["call_title"],
                "project_title": payload["project_title"],
                "receipt_number": payload["receipt_number"],
                "submitted_at": payload["submitted_at"].isoformat(),
            },
            topic=topic,
        )
    )


def record_application_withdrawn(session: Session, event: Event) -> None:
    cancel_reminders(session, _application_topic(event.payload))


# --- Awards and the decision (events from grants) ---------------------------------------------

AWARD_GRANTED = "award.granted"  # contracts in shared/core/events.py
DUE_WORDS = {
    "acceptance": {"fr": "à l'acceptation de l'aide", "en": "when you accept the award"},
    "interim_report": {"fr": "à la remise d'un rapport intermédiaire", "en": "when you send an interim report"},
    "final_report": {"fr": "à la remise du rapport final", "en": "when you send the final report"},
}
TRANCHE_WORDS = {"fr": "Tranche %(number)s : %(amount)s (%(share)s), %(due)s", "en": "Tranche %(number)s: %(amount)s (%(share)s), %(due)s"}


def _award_topic(payload) -> str:
    return f"award:{payload['award_id']}"


def _percent(share_bp: int, language: str) -> str:
    return format_percent(Decimal(share_bp) / 10_000, "#,##0.##\u00a0%" if language == "fr" else "#,##0.##%",
                          locale=LOCALES.get(language, "fr_FR"))


def _tranche_lines(tranches, language: str) -> list[str]:
    return [TRANCHE_WORDS[language] % {
        "number": tranche["number"], "amount": format_money(tranche["amount_cents"], language),
        "share": _percent(tranche["share_bp"], language), "due": DUE_WORDS[tranche["due"]][language]}
        for tranche in tranches]


def _award_letters(session: Session, topic: str) -> list[Delivery]:
    """The award's letters, locked; on PostgreSQL the award's topic first (its first letter has no
    row to lock yet), so that two events of one award at once are applied in turn. SQLite runs
    one transaction at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:topic))"), {"topic": topic})
    return session.scalars(select(Delivery).where(Delivery.topic == topic, Delivery.kind == "award_granted")
                           .with_for_update()).all()


def record_award_granted(session: Session, event: Event) -> None:
    """The award letter: the amount, the conditions, the tranches and the link to accept. A
    change is announced with the next revision: the letter still queued for an older one is not
    sent, and an older revision handled after a newer one (out of order) changes nothing."""
    payload = event.payload
    language = message_language(payload["language"])
    topic = _award_topic(payload)
    letters = _award_letters(session, topic)
    if any(letter.context.get("revision", 0) >= payload["revision"] for letter in letters):
        return
    if session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.topic == topic, Delivery.kind == "award_cancelled")):
        return  # cancelled already (the events came out of order)
    for letter in letters:
        if letter.status == "queued":
            letter.status, letter.due_at = "cancelled", None
    session.add(_delivery(event, "award_granted", {
        "revision": payload["revision"], "revised": payload["revision"] > 1,
        "call_title": payload["call_title"], "project_title": payload["project_title"],
        "amount": format_money(payload["amount_cents"], language), "conditions": payload["conditions"] or "",
        "tranches": _tranche_lines(payload["tranches"], language), "award_url": payload["award_url"],
    }, topic=topic))


def record_award_cancelled(session: Session, event: Event) -> None:
    payload = event.payload
    language = message_language(payload["language"])
    topic = _award_topic(payload)
    for letter in _award_letters(session, topic):
        if letter.status == "queued":
            letter.status, letter.due_at = "cancelled", None
    session.add(_delivery(event, "award_cancelled", {
        "call_title": payload["call_title"], "project_title": payload["project_title"],
        "amount": format_money(payload["amount_cents"], language), "reason": payload["reason"],
        "paid": format_money(payload["paid_cents"], language), "anything_paid": payload["paid_cents"] > 0,
        "award_url": payload["award_url"],
    }, topic=topic))


def record_application_not_selected(session: Session, event: Event) -> None:
    """The polite letter, with the jury's anonymised comments per criterion when released."""
    payload = event.payload
    session.add(_delivery(event, "application_not_selected", {
        "call_title": payload["call_title"], "project_title": payload["project_title"],
        "comments": [dict(item) for item in payload["jury_comments"] or ()],
        "overall_comments": list(payload["overall_comments"] or ()),
        "decision_url": payload["decision_url"],
    }, topic=_application_topic(payload)))


# The service's message to itself when an admin asks for a failed delivery to be sent again: it
# goes through this service's outbox, so that nothing is put on the queue inside a request.
RESEND_REQUESTED = "delivery.resend_requested"  # contract in shared/core/events.py


def _nothing_more(session: Session, event: Event) -> None:
    """The row was put back in the queue by `resend`; the worker only needs waking."""


# Keyed by (name, version): each version of a contract the service understands has its handler.
HANDLERS = {
    ("account.registered", 1): record_account_registered,
    ("account.password_reset_requested", 1): record_password_reset_requested,
    ("account.sign_up_attempted", 1): record_sign_up_attempted,
    ("account.invited", 1): record_invited,
    ("account.updated", 1): projection.record_event(Account),
    ("application.draft_started", 1): record_draft_started,
    ("application.submitted", 1): record_application_submitted,
    ("application.withdrawn", 1): record_application_withdrawn,
    (CALL_CLOSING_EXTENDED, 1): record_call_closing_extended,
    (REVIEWS_PENDING, 1): record_reviews_pending,
    (AWARD_GRANTED, 1): record_award_granted,
    ("award.cancelled", 1): record_award_cancelled,
    ("application.not_selected", 1): record_application_not_selected,
    (RESEND_REQUESTED, 1): _nothing_more,
}


def queued_for_event(db: Database, event: Event) -> list[int]:
    """Deliveries an event put in the queue and not yet settled (see `queued_in`)."""
    with db.unit_of_work() as session:
        return queued_in(session, event)


def queued_in(session: Session, event: Event) -> list[int]:
    """Deliveries an event put in the queue and not yet settled.

    Asked after every consumption, including a repeated one, so that a worker that died
    between the commit and the enqueueing of the deliveries gets them going on the retry.
    """
    ids = list(
        session.scalars(select(Delivery.id).where(Delivery.event_id == event.id, Delivery.status == "queued"))
    )
    return ids + _woken_by(session, event)


def _woken_by(session: Session, event: Event) -> list[int]:
    """Deliveries of other events that this event puts back in the queue or moves."""
    ids = []
    if event.name == RESEND_REQUESTED:
        delivery = session.get(Delivery, event.payload["delivery_id"])
        if delivery is not None and delivery.status == "queued":
            ids.append(delivery.id)
    if event.name == CALL_CLOSING_EXTENDED:
        # The reminders this event moved belong to older events: found by call and closing time.
        ids.extend(
            reminder.id
            for reminder in session.scalars(_queued_reminders_of_call(event.payload["call_id"]))
            if _closes_at(reminder) == event.payload["closes_at"]
        )
    return ids


# --- From a delivery to a message sent ---------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What became of one attempt; `retry_in` (seconds) when the delivery must be tried again."""

    status: str
    retry_in: float | None = None


def _shown(context: dict, language: str) -> dict:
    shown = dict(context)
    for key in _INSTANTS:
        if isinstance(shown.get(key), str):
            shown[key] = format_paris(datetime.fromisoformat(shown[key]), language)
    return shown


def compose(delivery: Delivery) -> RenderedEmail:
    """The message a delivery sends; ValueError if it cannot be written (a bad address, say)."""
    return _render(delivery).with_message_id(_message_id(delivery))


def _render(delivery: Delivery) -> RenderedEmail:
    """`compose`'s message before its Message-ID, which needs the delivery's id."""
    category = category_of(delivery.kind)
    link = None
    if category:  # the settings read only when a link needs them: an account's email has none
        settings = config.settings()
        link = unsubscribe_url(settings.secret_key, settings.public_url, delivery.recipient_email, category)
    return render(
        delivery.kind,
        delivery.language,
        _shown(delivery.context, delivery.language),
        sender=config.mail_from(),
        recipient=delivery.recipient_email,
        recipient_name=delivery.recipient_name,
        unsubscribe_url=link,
    )


def _message_id(delivery: Delivery) -> str:
    # The same for every attempt at this delivery, so that a receiving system can drop the
    # duplicate if a message accepted by the server was not recorded as sent.
    return f"<delivery-{delivery.id}.{delivery.event_id}@tremplin.local>"


def _hand_over(server: smtp.MailServer, message: RenderedEmail) -> None:
    if message.international:
        server.send(message.message())  # SMTPUTF8: smtplib's send_message asks for it
    else:
        server.send_bytes(message.sender.addr_spec, [message.recipient.addr_spec], message.as_bytes())


@dataclass(frozen=True)
class _Claim:
    """A delivery a worker has taken (status `sending`): its message and its attempt number,
    which fences the outcome: a worker whose lease ran out records nothing over a newer one."""

    delivery_id: int
    attempts: int
    attempted_at: datetime
    message: RenderedEmail
    facts: dict


def attempt_delivery(db: Database, delivery_id: int) -> Attempt:
    """Send one delivery if it is queued and due, and record what happened.

    Three short transactions, none open while the mail server is talked to: take the delivery
    (`sending`, with a lease), send, record the outcome. A second worker given the same
    delivery meanwhile finds it taken and comes back when the lease ends. A worker that dies
    while sending leaves it `sending`; once the lease has run out, it is sent again (see
    `sweep`). The mail server's "250" and the commit after it are the one window left in which
    a crash sends a message twice, with the same Message-ID.
    """
    claim = _claim(db, delivery_id)
    if isinstance(claim, Attempt):
        return claim
    return send_claimed(db, claim)


def take(session: Session, batch: list[Event], limit: int) -> tuple[list[tuple[int, str, _Claim | Attempt]],
                                                                      list[tuple[int, str]]]:
    """In the unit of work that recorded some events (`consume`'s `then`), after their handlers
    or after finding them applied already: the first `limit` of the deliveries they call for
    (`queued_in`) taken as `attempt_delivery` takes them, a transaction fewer each
    (`send_claimed` sends them after the commit), and the others, left to `deliver` messages;
    each with the id of its event.

    The deliveries the handlers have just added (noted as the session takes them in, written or
    not) are taken in memory: rows of this unit of work, which no other transaction sees until it
    commits, so there is nothing to lock, and one not yet written is inserted `sending` (no
    SELECT, no UPDATE: the common event, one email, costs two statements fewer). Those of events
    applied before (a repeated event) are read and locked in one statement, and taken as `_take`
    takes them.

    A delivery that cannot be composed for a reason other than its own (a ValueError: it
    fails) is left to `deliver`, so that it does not stop the events from being recorded.
    """
    event_ids = {event.id for event in batch}
    fresh = [row for row in session.info.pop(_NEW_DELIVERIES, ())
             if row.event_id in event_ids and row.status == "queued"]
    fresh_taken, fresh_left = [], fresh[limit:]
    with session.no_autoflush:  # a preference read must not write them: `_insert_new` does, below
        for delivery in fresh[:limit]:
            try:
                fresh_taken.append((delivery, _take_loaded(session, delivery)))
            except SQLAlchemyError:
                raise
            except Exception:
                log.exception("delivery not taken with its event: left to a deliver message", extra=_facts(delivery))
                fresh_left.append(delivery)
    _insert_new(session, fresh)  # the new rows written, `sending` those taken: their ids
    taken = [(delivery.id, delivery.event_id, outcome if isinstance(outcome, Attempt) else _claimed(delivery, outcome))
             for delivery, outcome in fresh_taken]
    left = [(delivery.id, delivery.event_id) for delivery in fresh_left]

    room = limit - min(len(fresh), limit)
    applied_now = {row.event_id for row in fresh}
    older = [event.id for event in batch if event.id not in applied_now]
    found, locked_ids = [], set()
    if older:
        parameters = {"event_ids": older, "limit": room}
        locked = session.scalars(_OWN_LOCKED, parameters).all() if room else []
        locked_ids = {row.id for row in locked}
        found = [(row.id, row.event_id) for row in locked]
        if len(locked) == room:
            found += [tuple(row) for row in session.execute(_OWN_AFTER, parameters)]
    for event in batch:
        found += [(delivery_id, event.id) for delivery_id in _woken_by(session, event)]
    left += found[room:]
    for delivery_id, event_id in found[:room]:
        try:
            taken.append((delivery_id, event_id, _take(session, delivery_id, lock=delivery_id not in locked_ids)))
        except SQLAlchemyError:
            raise
        except Exception:
            log.exception("delivery not taken with its event: left to a deliver message", extra={"delivery_id": delivery_id})
            left.append((delivery_id, event_id))
    return taken, left


def _insert_new(session: Session, deliveries: list[Delivery]) -> None:
    """Write the deliveries of this unit of work not written yet, as they are now, and give each
    its id: by one Core INSERT of them all, after which they leave the session as plain objects.
    The ORM's flush of one new row cost about as much CPU as the statement itself: writing them
    so took a fifth of the worker's CPU an email away (docs/architecture.md, "Scaling out"). A
    row the session wrote already (a failed one, see `_take_loaded`) is left to it."""
    new = [delivery for delivery in deliveries if sqlalchemy_inspect(delivery).pending]
    if not new:
        return
    rows = []
    for delivery in new:
        given = sqlalchemy_inspect(delivery).dict
        rows.append({column: given.get(column, default) for column, default in _WRITTEN.items()})
        session.expunge(delivery)  # before the statement, which would flush it (autoflush)
    ids = session.execute(_INSERT_RETURNING_ID, rows).scalars().all()
    for delivery, delivery_id in zip(new, ids, strict=True):
        delivery.id = delivery_id


# The columns `_insert_new` writes, each with the value it takes when the object was not given one
# (its column's default, as the ORM's flush would write it); the database sets the others.
_WRITTEN = {
    column.key: column.default.arg if column.default is not None and column.default.is_scalar else None
    for column in Delivery.__table__.columns if not column.primary_key and column.server_default is None
}
# Several rows in one statement, their ids read back in the order of the rows.
_INSERT_RETURNING_ID = insert(Delivery.__table__).returning(Delivery.__table__.c.id, sort_by_parameter_order=True)


# The deliveries added to a session, in the order added (`take` reads them in its unit of work).
_NEW_DELIVERIES = "notifications.new_deliveries"


@sqlalchemy_event.listens_for(Session, "transient_to_pending")
def _note_new_delivery(session: Session, instance) -> None:
    if isinstance(instance, Delivery):
        session.info.setdefault(_NEW_DELIVERIES, []).append(instance)


# `take`'s statements, built once: the events' queued deliveries, the first `limit` locked, the
# others after them.
_OWN = (select(Delivery).where(Delivery.event_id.in_(bindparam("event_ids", expanding=True)), Delivery.status == "queued")
        .order_by(Delivery.id))
_OWN_LOCKED = _OWN.limit(bindparam("limit")).with_for_update()
_OWN_AFTER = _OWN.with_only_columns(Delivery.id, Delivery.event_id).offset(bindparam("limit"))


def send_claimed(db: Database, claim: _Claim) -> Attempt:
    """Send a delivery taken (and committed) by `_claim` or `take`, and record what happened:
    the second and third steps of `attempt_delivery`."""
    # The exchange ends before the claim's lease does, however long ago it was taken.
    time_limit = config.recovery().smtp_time_limit - (utcnow() - claim.attempted_at).total_seconds()
    try:
        with CONNECTIONS.session(config.smtp_settings(), time_limit=time_limit) as server:
            _hand_over(server, claim.message)
            # Recorded as soon as the server accepted it (before any QUIT): a crash afterwards
            # sends nothing twice.
            _settle(claim, db, status="sent", sent_at=utcnow(), due_at=None, last_error=None)
            log.info("delivery sent", extra=claim.facts)
            return Attempt("sent")
    except PermanentDeliveryError as error:
        _settle(claim, db, status="failed", due_at=None, last_error=error.reason[:2000])
        log.warning("delivery failed", extra={**claim.facts, "last_error": error.reason})
        return Attempt("failed")
    except TemporaryDeliveryError as error:
        policy = config.retry_policy()
        if claim.attempts >= policy.max_attempts:
            reason = f"gave up after {claim.attempts} attempts: {error.reason}"
            _settle(claim, db, status="failed", due_at=None, last_error=reason[:2000])
            log.warning("delivery failed", extra={**claim.facts, "last_error": reason})
            return Attempt("failed")
        delay = policy.backoff(claim.attempts)
        _settle(
            claim, db, status="queued", due_at=claim.attempted_at + timedelta(seconds=delay),
            last_error=error.reason[:2000],
        )
        log.warning("delivery will be tried again", extra={**claim.facts, "retry_in": delay})
        return Attempt("queued", retry_in=delay)


def release(db: Database, claims: list[_Claim]) -> None:
    """Put back in the queue deliveries taken and not sent (the worker's message failed before
    it got to them), as they were, for the next `deliver` or the event's retry to take. Fenced by
    the attempt number, as `_settle` is. If the database refuses, their lease runs out and the
    sweep wakes them."""
    if not claims:
        return
    try:
        with db.unit_of_work() as session:
            session.execute(
                update(Delivery)
                .where(tuple_(Delivery.id, Delivery.attempts).in_([(claim.delivery_id, claim.attempts) for claim in claims]),
                       Delivery.status == "sending")
                .values(status="queued", lease_until=None, attempts=Delivery.attempts - 1)
            )
    except Exception:
        log.exception("deliveries taken could not be put back: their lease will run out",
                      extra={"delivery_ids": [claim.delivery_id for claim in claims]})


def _claim(db: Database, delivery_id: int) -> _Claim | Attempt:
    """Take a delivery that is queued and due (or whose last worker's lease ran out)."""
    with db.unit_of_work() as session:
        return _take(session, delivery_id)


def claim_several(db: Database, delivery_ids: list[int]) -> list[tuple[int, _Claim | Attempt]]:
    """`_claim` for several deliveries in one transaction (a `deliver_several` message's): their
    rows read and locked in one statement, in the order of their ids, so that two messages
    sharing deliveries wait on each other rather than deadlock; each then taken as `_take` takes
    it. `send_claimed` sends each after the commit, its exchange ending before its lease does."""
    with db.unit_of_work() as session:
        if not db.is_postgresql:
            # SQLite (make run): the database's write lock, as `_take` takes it.
            session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids)).values(attempts=Delivery.attempts))
        session.scalars(_SEVERAL_LOCKED, {"ids": list(delivery_ids)}).all()  # in the session: `_take` finds them there
        return [(delivery_id, _take(session, delivery_id, lock=False)) for delivery_id in delivery_ids]


_SEVERAL_LOCKED = (
    select(Delivery).where(Delivery.id.in_(bindparam("ids", expanding=True))).order_by(Delivery.id)
    .with_for_update().execution_options(populate_existing=True)
)


def _take(session: Session, delivery_id: int, lock: bool = True) -> _Claim | Attempt:
    """`_claim`, in the caller's unit of work; without `lock` for a row it has locked already."""
    if not lock:
        delivery = session.get(Delivery, delivery_id)
    else:
        if session.get_bind().dialect.name != "postgresql":
            # SQLite (make run) has no row locks: a write first takes the database's lock, for
            # the few milliseconds of this transaction.
            session.execute(update(Delivery).where(Delivery.id == delivery_id).values(attempts=Delivery.attempts))
        delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        return Attempt("missing")
    outcome = _take_loaded(session, delivery)
    return outcome if isinstance(outcome, Attempt) else _claimed(delivery, outcome)


def _take_loaded(session: Session, delivery: Delivery) -> RenderedEmail | Attempt:
    """`_take` for a delivery in the session (locked, or new in this unit of work): marked
    `sending` with its lease and its message rendered (without its Message-ID, see `_claimed`),
    or what keeps it from being sent now."""
    now = utcnow()
    if delivery.status == "sending" and delivery.lease_until is not None and delivery.lease_until > now:
        # Another worker is sending it: come back when its lease ends, in case it died.
        return Attempt("sending", retry_in=(delivery.lease_until - now).total_seconds() + 1)
    if delivery.status not in ("queued", "sending"):
        return Attempt(delivery.status)
    if delivery.status == "queued" and delivery.due_at is not None and delivery.due_at > now:
        return Attempt("queued", retry_in=(delivery.due_at - now).total_seconds())
    if delivery.status == "sending":
        # Its worker died between taking it and recording the outcome: whether the mail
        # server got the message is unknown. Sent again, with the same Message-ID, because
        # a confirmation link, a reset link or a receipt that never comes is worse than
        # one that comes twice and that the receiving system can recognise.
        log.warning("delivery lease ran out: sending again", extra=_facts(delivery))

    category = category_of(delivery.kind)
    if category and not is_subscribed(session, delivery.recipient_email, category):
        delivery.status = "skipped"
        delivery.last_error = f"unsubscribed from {category}"
        delivery.due_at = None
        delivery.lease_until = None
        log.info("delivery skipped", extra=_facts(delivery))
        return Attempt("skipped")
    try:
        message = _render(delivery)
    except ValueError as error:
        if delivery.id is None:
            session.flush()  # a new row: written, for its id in the log
        _fail(delivery, str(error))
        return Attempt("failed")
    delivery.status = "sending"
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.lease_until = now + timedelta(seconds=config.recovery().lease)
    return message


def _claimed(delivery: Delivery, message: RenderedEmail) -> _Claim:
    """The claim of a delivery `_take_loaded` marked `sending`, once it has its id."""
    return _Claim(delivery.id, delivery.attempts, delivery.last_attempt_at, message.with_message_id(_message_id(delivery)),
                  _facts(delivery))


def _settle(claim: _Claim, db: Database, **outcome) -> None:
    """Record an attempt's outcome, unless the delivery was taken over meanwhile."""
    # One statement, fenced by the status and the attempt number: alone, without BEGIN and COMMIT.
    result = db.one_statement(_settling(tuple(outcome)), {
        "settled_id": claim.delivery_id, "settled_attempts": claim.attempts, **outcome})
    if result.rowcount != 1:
        log.warning("delivery taken over by another worker: outcome not recorded", extra={**claim.facts, **{
            key: value for key, value in outcome.items() if key in ("status", "last_error")}})


@functools.cache
def _settling(columns: tuple[str, ...]):
    """`_settle`'s UPDATE for one set of outcome columns, built once: a Core statement on the
    table, with its values bound by name (an ORM update built per call, which then looked for
    the row among the session's objects, was a quarter of the worker's CPU per email)."""
    table = Delivery.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("settled_id"), table.c.status == "sending",
               table.c.attempts == bindparam("settled_attempts"))
        .values(lease_until=None, **{column: bindparam(column) for column in columns})
    )


def sweep(db: Database) -> list[tuple[int, str | None]]:
    """Deliveries left behind, to be woken (each once per `stale_after`): queued and due for
    longer than `stale_after` without a worker asked for them since, and those whose worker's
    lease ran out. Their queue messages were lost (Redis lost its data) or are held by a
    worker that died; sending is idempotent, so waking one that was merely slow costs nothing."""
    recovery = config.recovery()
    now = utcnow()
    stale = now - timedelta(seconds=recovery.stale_after)
    not_woken_since = or_(Delivery.woken_at.is_(None), Delivery.woken_at <= stale)
    query = (
        select(Delivery)
        .where(
            or_(
                and_(
                    Delivery.status == "queued",
                    or_(Delivery.due_at.is_(None), Delivery.due_at <= stale),
                    not_woken_since,
                ),
                and_(Delivery.status == "sending", Delivery.lease_until <= now, not_woken_since),
            )
        )
        .order_by(Delivery.id)
        .limit(SWEEP_BATCH)
    )
    if db.is_postgresql:
        query = query.with_for_update(skip_locked=True)  # a worker taking one now keeps it
    with db.unit_of_work() as session:
        rows = session.scalars(query).all()
        for row in rows:
            row.woken_at = now
        left_behind = [(row.id, row.request_id) for row in rows]
    if left_behind:
        log.warning("deliveries left behind woken", extra={"count": len(left_behind)})
    return left_behind


SWEEP_BATCH = 500


def _fail(delivery: Delivery, reason: str) -> None:
    delivery.status = "failed"
    delivery.last_error = reason[:2000]
    delivery.due_at = None
    delivery.lease_until = None
    log.warning("delivery failed", extra=_facts(delivery))


def _facts(delivery: Delivery) -> dict:
    return {
        "delivery_id": delivery.id,
        "event_id": delivery.event_id,
        "kind": delivery.kind,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
    }


# --- What admins and people ask ----------------------------------------------------------------


def list_deliveries(
    session: Session,
    *,
    status: str | None = None,
    event_id: str | None = None,
    recipient: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Delivery], int]:
    query = select(Delivery)
    if status:
        query = query.where(Delivery.status == status)
    if event_id:
        query = query.where(Delivery.event_id == event_id)
    if recipient:
        query = query.where(Delivery.recipient_email == recipient.strip().lower())
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Delivery.id.desc()).offset(offset).limit(limit)).all()
    return list(rows), total


NO_SUCH_DELIVERY = "No delivery has this id."


def get_delivery(session: Session, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise Refusal.not_found(NO_SUCH_DELIVERY)
    return delivery


def resend(session: Session, delivery_id: int) -> Delivery:
    """Put a failed delivery back in the queue, with fresh attempts, and wake the worker (in
    the caller's unit of work, with the event that wakes it)."""
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise Refusal.not_found(NO_SUCH_DELIVERY)
    if delivery.status != "failed":
        raise Refusal(
            409,
            "Only a failed delivery can be sent again; this one is %(status)s.",
            values={"status": delivery.status},
            details={"status": delivery.status},
        )
    now = utcnow()
    delivery.status = "queued"
    delivery.attempts = 0
    delivery.due_at = None
    delivery.woken_at = now
    publish(session, config.SERVICE, RESEND_REQUESTED, 1, {"delivery_id": delivery.id})
    session.flush()
    return delivery


def queued_deliveries(db: Database) -> list[tuple[int, str | None]]:
    """Every delivery still to be sent, with its request id: to wake them after an incident."""
    with db.unit_of_work() as session:
        return list(session.execute(select(Delivery.id, Delivery.request_id).where(Delivery.status == "queued")))


def history_of(session: Session, email: str, *, offset: int = 0, limit: int = 50) -> tuple[list[Delivery], int]:
    """Messages for one address, newest first (what is still to come or was cancelled is left out)."""
    query = select(Delivery).where(
        Delivery.recipient_email == email.strip().lower(), Delivery.status.in_(("sent", "failed", "skipped"))
    )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Delivery.id.desc()).offset(offset).limit(limit)).all()
    return list(rows), total


# --- Crowdfunding: campaigns and pledges ------------------------------------------------------------
# Contracts in shared/core/events.py. Each message's values are written here in the recipient's
# language (amounts, Paris times, the funding model in words); the templates only place them.

MODEL_TEXTS = {
    "all_or_nothing": {
        "fr": "tout ou rien : les cartes ne sont débitées que si l'objectif est atteint à la clôture",
        "en": "all or nothing: cards are charged only if the goal is reached at the close",
    },
    "keep_it_all": {
        "fr": "tout compte : les cartes sont débitées à la clôture, quel que soit le total",
        "en": "keep it all: cards are charged at the close, whatever the total",
    },
}
CANCEL_REASONS = {
    "backer": {"fr": "Vous l'avez annulée.", "en": "You cancelled it."},
    "transfer_not_received": {
        "fr": "Votre virement n'était pas arrivé à la clôture de la campagne.",
        "en": "Your transfer had not arrived when the campaign closed.",
    },
}


def _paris(moment: datetime, language: str) -> str:
    return format_paris(moment, "fr_FR" if language == "fr" else "en_GB")


def _euros(cents: int, language: str) -> str:
    return format_money(cents, language)


def record_campaign_submitted(session: Session, event: Event) -> None:
    """The owner's acknowledgement, and a word to each fund manager that a campaign awaits them."""
    payload = event.payload
    session.add(_delivery(event, "campaign_submitted", {
        "campaign_title": payload["campaign_title"], "campaign_url": payload["campaign_url"],
        # Written in Paris time when the message is composed, as the grants' receipts are (_INSTANTS).
        "submitted_at": payload["submitted_at"].isoformat(),
    }))
    for moderator in payload["moderators"]:
        if moderator["email"].strip().lower() == payload["email"].strip().lower():
            continue  # one message per address and event: the owner has theirs
        session.add(_delivery(event, "campaign_to_moderate", {
            "campaign_title": payload["campaign_title"], "owner_name": payload["name"],
            "moderation_url": payload["moderation_url"],
        }, recipient=moderator))


def record_campaign_approved(session: Session, event: Event) -> None:
    payload = event.payload
    language = payload["language"]
    session.add(_delivery(event, "campaign_approved", {
        "campaign_title": payload["campaign_title"], "campaign_url": payload["campaign_url"],
        "starts_at": _paris(payload["starts_at"], language), "ends_at": _paris(payload["ends_at"], language),
    }))


def record_campaign_changes_requested(session: Session, event: Event) -> None:
    payload = event.payload
    session.add(_delivery(event, "campaign_changes_requested", {
        "campaign_title": payload["campaign_title"], "campaign_url": payload["campaign_url"], "reason": payload["reason"],
    }))


def record_campaign_rejected(session: Session, event: Event) -> None:
    payload = event.payload
    session.add(_delivery(event, "campaign_rejected", {
        "campaign_title": payload["campaign_title"], "reason": payload["reason"],
    }))


def record_campaign_published(session: Session, event: Event) -> None:
    payload = event.payload
    language = payload["language"]
    session.add(_delivery(event, "campaign_published", {
        "campaign_title": payload["campaign_title"], "campaign_url": payload["campaign_url"],
        "ends_at": _paris(payload["ends_at"], language), "goal": _euros(payload["goal_cents"], language),
        "model_text": MODEL_TEXTS[payload["funding_model"]][language],
    }))


def _payment_text(payload, language: str) -> str:
    """What happens to the backer's money, in their words."""
    ends = _paris(payload["ends_at"], language)
    if payload["method"] == "transfer":
        return {"fr": "Votre virement est reçu : votre contribution compte.",
                "en": "Your transfer has arrived: your pledge counts."}[language]
    if payload["funding_model"] == "all_or_nothing":
        return {"fr": f"Rien n'est débité aujourd'hui. Votre carte le sera à la clôture, le {ends} (heure de Paris), "
                      "et seulement si la campagne atteint son objectif.",
                "en": f"Nothing is charged today. Your card will be charged at the close, on {ends} (Paris time), "
                      "and only if the campaign reaches its goal."}[language]
    return {"fr": f"Rien n'est débité aujourd'hui. Votre carte le sera à la clôture, le {ends} (heure de Paris).",
            "en": f"Nothing is charged today. Your card will be charged at the close, on {ends} (Paris time)."}[language]


def _pledge_context(payload, language: str) -> dict:
    reward = payload["tier_title"]
    return {
        "campaign_title": payload["campaign_title"], "amount": _euros(payload["amount_cents"], language),
        "reward": reward or {"fr": "sans contrepartie", "en": "no reward"}[language],
        "reference": payload["reference"], "pledge_url": payload["pledge_url"],
    }


def _pledge_topic(payload) -> str:
    return f"pledge:{payload['pledge_id']}"


def record_pledge_confirmed(session: Session, event: Event) -> None:
    payload = event.payload
    language = payload["language"]
    session.add(_delivery(event, "pledge_confirmed", {
        **_pledge_context(payload, language), "payment_text": _payment_text(payload, language),
    }, topic=_pledge_topic(payload)))


def record_pledge_changed(session: Session, event: Event) -> None:
    payload = event.payload
    language = payload["language"]
    session.add(_delivery(event, "pledge_changed", {
        **_pledge_context(payload, language), "previous_amount": _euros(payload["previous_amount_cents"], language),
    }, topic=_pledge_topic(payload)))


def record_pledge_cancelled(session: Session, event: Event) -> None:
    payload = event.payload
    language = payload["language"]
    session.add(_delivery(event, "pledge_cancelled", {
        "campaign_title": payload["campaign_title"], "amount": _euros(payload["amount_cents"], language),
        "reference": payload["reference"], "reason_text": CANCEL_REASONS[payload["reason"]][language],
        "campaign_url": payload["campaign_url"],
    }, topic=_pledge_topic(payload)))


def record_campaign_news(session: Session, event: Event) -> None:
    """The existing `campaign_news` message to each backer, in their language (opt-out: each
    carries its one-click unsubscribe link, and a backer who left the category is skipped)."""
    payload = event.payload
    for recipient in payload["recipients"]:
        title = (payload["campaign_title_en"] if recipient["language"] == "en" else None) or payload["campaign_title"]
        session.add(_delivery(event, "campaign_news", {
            "campaign_title": title, "news_text": payload["text"], "campaign_url": payload["campaign_url"],
        }, recipient=recipient))


# --- Crowdfunding: the close, charges, refunds (issue 13) -------------------------------------------------
# Every one is transactional: what became of the person's money or campaign.

ACTION_REASONS = {
    "authentication_required": {
        "fr": "Votre banque demande que vous confirmiez ce paiement vous-même (3-D Secure).",
        "en": "Your bank asks you to confirm this payment yourself (3-D Secure).",
    },
}
ACTION_DECLINED = {
    "fr": "Votre banque a refusé le paiement par cette carte : vous pouvez en donner une autre.",
    "en": "Your bank declined the payment with this card: you can give another one.",
}
FAILED_REASONS = {
    "fr": "Le paiement n'a pas été fait avant la date limite.",
    "en": "The payment was not made by its deadline.",
}


def _others(payload, recipients):
    """The recipients but the owner, who has a message of their own (one per address and event)."""
    owner = payload["email"].strip().lower()
    return [person for person in recipients if person["email"].strip().lower() != owner]


def _closed_context(payload, language: str) -> dict:
    return {"campaign_title": payload["campaign_title"], "campaign_url": payload["campaign_url"],
            "pledged": _euros(payload["pledged_cents"], language), "goal": _euros(payload["goal_cents"], language)}


def record_campaign_succeeded(session: Session, event: Event) -> None:
    """The owner: the campaign succeeded, with its totals and what the fund matched."""
    payload = event.payload
    language = payload["language"]
    matched = payload["matched_cents"]
    session.add(_delivery(event, "campaign_succeeded", {
        **_closed_context(payload, language), "backers": payload["backers"],
        "matched": _euros(matched, language) if matched else "", "closed_at": _paris(payload["closed_at"], language),
    }))


def record_campaign_failed(session: Session, event: Event) -> None:
    """The owner, and each backer: the goal was not reached, nothing is charged."""
    payload = event.payload
    session.add(_delivery(event, "campaign_failed_owner", _closed_context(payload, payload["language"])))
    for backer in _others(payload, payload["recipients"]):
        session.add(_delivery(event, "campaign_failed_backer", {
            "campaign_title": payload["campaign_title"], "campaign_url": payload["campaign_url"]}, recipient=backer))


def record_campaign_cancelled(session: Session, event: Event) -> None:
    """The owner, and each backer: the fund manager cancelled the campaign, every payment is refunded."""
    payload = event.payload
    language = payload["language"]
    session.add(_delivery(event, "campaign_cancelled_owner", {
        "campaign_title": payload["campaign_title"], "reason": payload["reason"],
        "cancelled_at": _paris(payload["cancelled_at"], language)}))
    for backer in _others(payload, payload["recipients"]):
        session.add(_delivery(event, "campaign_cancelled_backer", {
            "campaign_title": payload["campaign_title"], "campaign_url": payload["campaign_url"],
            "reason": payload["reason"]}, recipient=backer))


def record_pledge_charged(session: Session, event: Event) -> None:
    """The backer's receipt: their card was charged."""
    payload = event.payload
    language = payload["language"]
    session.add(_delivery(event, "pledge_charged", {
        **_pledge_context(payload, language), "charged_at": _paris(payload["charged_at"], language),
    }, topic=_pledge_topic(payload)))


def record_pledge_action_needed(session: Session, event: Event) -> None:
    """The backer: the link to finish paying, by its deadline in Paris time; `reminder` 0 is the
    first message, 1 and 2 the reminders."""
    payload = event.payload
    language = payload["language"]
    reason = ACTION_REASONS.get(payload["reason"], ACTION_DECLINED)[language]
    session.add(_delivery(event, "pledge_action_needed", {
        **_pledge_context(payload, language), "action_url": payload["action_url"], "reason_text": reason,
        "expires_at": _paris(payload["expires_at"], language), "reminder": min(payload["reminder"], 2),
    }, topic=_pledge_topic(payload)))


def record_pledge_failed(session: Session, event: Event) -> None:
    """The backer, and the campaign's owner: the pledge was not paid and no longer counts."""
    payload = event.payload
    language = payload["language"]
    session.add(_delivery(event, "pledge_failed", {
        **_pledge_context(payload, language), "campaign_url": payload["campaign_url"],
        "reason_text": FAILED_REASONS[language]}, topic=_pledge_topic(payload)))
    owner = payload["owner"]
    if owner["email"].strip().lower() != payload["email"].strip().lower():
        session.add(_delivery(event, "pledge_failed_owner", {
            "campaign_title": payload["campaign_title"], "campaign_url": payload["campaign_url"],
            "amount": _euros(payload["amount_cents"], owner["language"]), "reference": payload["reference"],
            "backer_name": payload["name"]}, recipient=owner))


def record_pledge_refunded(session: Session, event: Event) -> None:
    """The backer: a refund, in full or in part, with the reason."""
    payload = event.payload
    language = payload["language"]
    session.add(_delivery(event, "pledge_refunded", {
        **_pledge_context(payload, language), "refund": _euros(payload["refund_cents"], language),
        "refunded_total": _euros(payload["refunded_total_cents"], language), "fully": payload["fully_refunded"],
        "reason": payload["reason"], "refunded_at": _paris(payload["refunded_at"], language),
    }, topic=_pledge_topic(payload)))


HANDLERS.update({
    ("campaign.succeeded", 1): record_campaign_succeeded,
    ("campaign.failed", 1): record_campaign_failed,
    ("campaign.cancelled", 1): record_campaign_cancelled,
    ("pledge.charged", 1): record_pledge_charged,
    ("pledge.action_needed", 1): record_pledge_action_needed,
    ("pledge.failed", 1): record_pledge_failed,
    ("pledge.refunded", 1): record_pledge_refunded,
})


HANDLERS.update({
    ("campaign.submitted", 1): record_campaign_submitted,
    ("campaign.approved", 1): record_campaign_approved,
    ("campaign.changes_requested", 1): record_campaign_changes_requested,
    ("campaign.rejected", 1): record_campaign_rejected,
    ("campaign.published", 1): record_campaign_published,
    ("pledge.confirmed", 1): record_pledge_confirmed,
    ("pledge.changed", 1): record_pledge_changed,
    ("pledge.cancelled", 1): record_pledge_cancelled,
    ("campaign.news_posted", 1): record_campaign_news,
})


# --- Impact: the alternative funding referent -----------------------------------------------------

MECHANISM_NAMES = {
    "crowdfunding": {"fr": "financement participatif", "en": "crowdfunding"},
    "patronage": {"fr": "mécénat", "en": "patronage"},
    "bpifrance": {"fr": "Bpifrance", "en": "Bpifrance"},
    "regional_investment_fund": {"fr": "fonds d'investissement régionaux", "en": "regional investment funds"},
    "foundation": {"fr": "fondations", "en": "foundations"},
    "bank_loan": {"fr": "prêt bancaire", "en": "bank loan"},
    "other": {"fr": "autre", "en": "other"},
}


def record_advice_requested(session: Session, event: Event) -> None:
    """Each referent is told of the request, in their language, with the queue's address."""
    payload = event.payload
    for recipient in payload["recipients"]:
        language = recipient["language"]
        mechanisms = ", ".join(MECHANISM_NAMES.get(code, {}).get(language, code) for code in payload["mechanisms"])
        session.add(_delivery(event, "advice_requested", {
            "requester_name": payload["requester_name"], "requester_email": payload["requester_email"],
            "organisation": payload["organisation"], "project": payload["project"], "mechanisms_text": mechanisms,
            "queue_url": payload["queue_url"],
        }, recipient=recipient))


HANDLERS[("advice.requested", 1)] = record_advice_requested
