"""A call that closes later moves the reminders still to come, once, and only those."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.notifications.deliveries import HANDLERS, REMINDER_BEFORE_CLOSING, attempt_delivery, queued_for_event
from services.notifications.models import Delivery
from shared.core import events
from shared.core.clock import format_paris
from shared.core.consumer import consume

from . import envelopes


def _row(db, delivery_id):
    with db.unit_of_work() as session:
        return session.get(Delivery, delivery_id)


def _reminder(db, application_id, call_id=3, closes_in=timedelta(days=30)):
    event = envelopes.draft_started(application_id=application_id, call_id=call_id, closes_in=closes_in, language="en")
    assert consume(db, HANDLERS, event) is True
    with db.unit_of_work() as session:
        return session.scalars(select(Delivery).where(Delivery.event_id == event["id"])).one()


def _words(text: str) -> str:
    return " ".join(text.split())


def test_queued_reminders_of_the_call_move_and_settled_ones_stay(db, inbox):
    queued = _reminder(db, 1)
    sent = _reminder(db, 2)
    cancelled = _reminder(db, 3)
    other_call = _reminder(db, 4, call_id=99)
    with db.unit_of_work() as session:
        session.get(Delivery, sent.id).due_at = datetime.now(timezone.utc)
    assert attempt_delivery(db, sent.id).status == "sent"
    assert consume(db, HANDLERS, envelopes.withdrawn(application_id=3)) is True
    new_closes_at = datetime.fromisoformat(queued.context["closes_at"]) + timedelta(days=10)
    extended = envelopes.closing_extended(new_closes_at)

    assert consume(db, HANDLERS, extended) is True

    moved = _row(db, queued.id)
    assert moved.status == "queued"
    assert moved.due_at == new_closes_at - REMINDER_BEFORE_CLOSING
    assert datetime.fromisoformat(moved.context["closes_at"]) == new_closes_at
    assert {key: moved.context[key] for key in ("call_id", "call_title", "application_url")} == {
        key: queued.context[key] for key in ("call_id", "call_title", "application_url")
    }
    assert (_row(db, sent.id).status, _row(db, sent.id).context) == ("sent", sent.context)
    assert (_row(db, cancelled.id).status, _row(db, cancelled.id).context) == ("cancelled", cancelled.context)
    assert (_row(db, other_call.id).due_at, _row(db, other_call.id).context) == (other_call.due_at, other_call.context)
    # The worker is woken for the moved reminder (also on a repeated event), for nothing else.
    assert queued_for_event(db, events.read_event(extended)) == [queued.id]

    # An old delayed message arriving at the old time sends nothing and waits for the new one.
    early = attempt_delivery(db, queued.id)
    assert early.status == "queued"
    assert early.retry_in == pytest.approx((moved.due_at - datetime.now(timezone.utc)).total_seconds(), abs=5)
    assert len(inbox.messages) == 1  # the reminder sent before the extension

    # When it is due, the email shows the new closing time.
    with db.unit_of_work() as session:
        session.get(Delivery, queued.id).due_at = datetime.now(timezone.utc)
    assert attempt_delivery(db, queued.id).status == "sent"
    assert _words(inbox.messages[-1]["Subject"]).endswith(_words(format_paris(new_closes_at, "en") + " (Paris time)"))


def test_a_redelivered_or_older_extension_changes_nothing_more(db):
    reminder = _reminder(db, 1)
    closes_at = datetime.fromisoformat(reminder.context["closes_at"])
    first = envelopes.closing_extended(closes_at + timedelta(days=5))
    further = envelopes.closing_extended(closes_at + timedelta(days=9))
    assert consume(db, HANDLERS, first) is True
    assert consume(db, HANDLERS, further) is True
    after_both = _row(db, reminder.id)

    assert consume(db, HANDLERS, first) is False  # the same event again
    assert consume(db, HANDLERS, envelopes.closing_extended(closes_at + timedelta(days=5))) is True  # out of order
    assert consume(db, HANDLERS, envelopes.closing_extended(closes_at + timedelta(days=9))) is True  # no change

    after = _row(db, reminder.id)
    assert after.due_at == closes_at + timedelta(days=9) - REMINDER_BEFORE_CLOSING
    assert (after.due_at, after.context, after.updated_at) == (after_both.due_at, after_both.context, after_both.updated_at)
    # The older extension wakes nothing: no reminder has its closing time.
    assert queued_for_event(db, events.read_event(first)) == []


def test_reminders_are_found_by_call_on_sqlite_too(tmp_path):
    from tests.conftest import sqlite_database

    with sqlite_database(tmp_path, "notifications") as db:
        reminder = _reminder(db, 1)
        _reminder(db, 2, call_id=4)
        new_closes_at = datetime.fromisoformat(reminder.context["closes_at"]) + timedelta(days=1)
        extended = envelopes.closing_extended(new_closes_at)

        assert consume(db, HANDLERS, extended) is True

        assert _row(db, reminder.id).due_at == new_closes_at - REMINDER_BEFORE_CLOSING
        assert queued_for_event(db, events.read_event(extended)) == [reminder.id]

