"""A juror's reminder before the review deadline: scheduled, moved and cancelled by the grants
service's `jury.reviews_pending`, whatever order the events come in."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.notifications.deliveries import HANDLERS, attempt_delivery, queued_for_event
from services.notifications.models import Delivery
from shared.core import events
from shared.core.consumer import consume

from . import envelopes


def _rows(db, topic="jury-seat:5"):
    with db.unit_of_work() as session:
        return session.scalars(select(Delivery).where(Delivery.topic == topic).order_by(Delivery.id)).all()


def test_a_later_revision_replaces_the_reminder_and_an_older_one_changes_nothing(db):
    first = envelopes.reviews_pending(1, timedelta(days=7))
    moved = envelopes.reviews_pending(2, timedelta(days=8))
    assert consume(db, HANDLERS, first) and consume(db, HANDLERS, moved)
    assert [(row.context["revision"], row.status) for row in _rows(db)] == [(1, "cancelled"), (2, "queued")]
    assert queued_for_event(db, events.read_event(moved)) == [_rows(db)[1].id]

    cancelled = envelopes.reviews_pending(4, None)
    late = envelopes.reviews_pending(3, timedelta(days=9))  # written before the cancellation, handled after
    assert consume(db, HANDLERS, cancelled) and consume(db, HANDLERS, late)
    assert [(row.context["revision"], row.status) for row in _rows(db)] == [
        (1, "cancelled"), (2, "cancelled"), (4, "cancelled")]
    assert queued_for_event(db, events.read_event(late)) == []
    # Another seat (the juror on another call, or back on this panel) has its own reminder.
    assert consume(db, HANDLERS, envelopes.reviews_pending(1, timedelta(days=1), panel_member_id=6))
    assert [row.status for row in _rows(db, "jury-seat:6")] == ["queued"]


def test_a_reminder_whose_time_passed_goes_at_once_but_none_after_the_deadline(db, inbox):
    assert consume(db, HANDLERS, envelopes.reviews_pending(1, -timedelta(hours=1), timedelta(days=1)))
    [row] = _rows(db)
    assert row.status == "queued" and row.due_at <= datetime.now(timezone.utc)
    assert attempt_delivery(db, row.id).status == "sent"
    [message] = inbox.messages
    assert message["Subject"].startswith('Jury: your reviews for the call "Creation grant 2027" are due by')
    assert "(Paris time)" in message["Subject"] and "List-Unsubscribe" not in message

    assert consume(db, HANDLERS, envelopes.reviews_pending(1, -timedelta(days=2), -timedelta(hours=1),
                                                           panel_member_id=7))
    assert [row.status for row in _rows(db, "jury-seat:7")] == ["cancelled"]


def test_two_events_of_one_seat_at_once_leave_one_reminder_the_newest(db):
    """The grants service wrote them a moment apart; two worker threads take them at once, each
    with its own connection. Whatever their order, the newest revision alone is queued."""
    import threading

    for seat in range(20, 26):
        older = envelopes.reviews_pending(1, timedelta(days=7), panel_member_id=seat)
        newer = envelopes.reviews_pending(2, timedelta(days=8), panel_member_id=seat)
        start = threading.Barrier(2)

        def handle(event):
            start.wait()
            consume(db, HANDLERS, event)

        threads = [threading.Thread(target=handle, args=(event,)) for event in (older, newer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rows = _rows(db, f"jury-seat:{seat}")
        assert [row.context["revision"] for row in rows if row.status == "queued"] == [2], seat
