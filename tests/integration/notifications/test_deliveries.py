"""From an event to deliveries in the log, and from a delivery to a real SMTP server, without a worker."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.notifications import preferences
from services.notifications.deliveries import HANDLERS, REMINDER_BEFORE_CLOSING, attempt_delivery
from services.notifications.models import Delivery
from shared.core.consumer import consume

from tests.conftest import free_port
from tests.real_services import Inbox

from . import envelopes


def _rows(db):
    with db.unit_of_work() as session:
        return session.scalars(select(Delivery).order_by(Delivery.id)).all()


def _row(db, delivery_id):
    with db.unit_of_work() as session:
        return session.get(Delivery, delivery_id)


def _one_queued(db, envelope):
    assert consume(db, HANDLERS, envelope) is True
    [row] = [row for row in _rows(db) if row.event_id == envelope["id"]]
    assert row.status == "queued"
    return row


def test_event_becomes_one_message_in_its_language_with_both_parts(db, inbox):
    row = _one_queued(db, envelopes.account_registered(email="Lea@Example.org", language="en"))

    attempt = attempt_delivery(db, row.id)

    assert (attempt.status, attempt.retry_in) == ("sent", None)
    [message] = inbox.messages
    assert message["To"] == "Ana <lea@example.org>"
    assert message["From"] == "Tremplin <no-reply@tremplin.local>"
    assert message["Subject"] == "Confirm your email address on Tremplin"
    assert message["Content-Language"] == "en"
    assert message["Message-ID"] == f"<delivery-{row.id}.{row.event_id}@tremplin.local>"
    assert "List-Unsubscribe" not in message  # transactional
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "http://127.0.0.1:8001/accounts/confirm/token-for-Lea@Example.org" in text
    assert '<html lang="en">' in html and "Tremplin" in html
    sent = _row(db, row.id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, None)
    assert sent.sent_at is not None and sent.last_attempt_at is not None


def test_a_settled_delivery_is_never_sent_again(db, inbox):
    row = _one_queued(db, envelopes.password_reset())
    assert attempt_delivery(db, row.id).status == "sent"

    assert attempt_delivery(db, row.id).status == "sent"
    assert attempt_delivery(db, row.id).retry_in is None
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"] == "Réinitialisation de votre mot de passe Tremplin"
    assert _row(db, row.id).attempts == 1


def test_temporary_failures_back_off_then_fail_with_the_reason(db, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", str(free_port()))  # nothing listens
    monkeypatch.setenv("DELIVERY_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("DELIVERY_BACKOFF_SECONDS", "10")
    monkeypatch.setenv("DELIVERY_MAX_BACKOFF_SECONDS", "3600")
    row = _one_queued(db, envelopes.password_reset())

    first = attempt_delivery(db, row.id)
    assert first.status == "queued" and first.retry_in == 10
    after_first = _row(db, row.id)
    assert after_first.attempts == 1
    assert "ConnectionRefusedError" in after_first.last_error
    assert after_first.due_at - after_first.last_attempt_at == timedelta(seconds=10)

    # Too early: nothing is tried, the worker is told when to come back.
    early = attempt_delivery(db, row.id)
    assert early.status == "queued" and 0 < early.retry_in <= 10
    assert _row(db, row.id).attempts == 1

    with db.unit_of_work() as session:
        session.get(Delivery, row.id).due_at = None
    second = attempt_delivery(db, row.id)
    assert second.retry_in == 20  # doubled
    with db.unit_of_work() as session:
        session.get(Delivery, row.id).due_at = None
    third = attempt_delivery(db, row.id)

    assert (third.status, third.retry_in) == ("failed", None)
    failed = _row(db, row.id)
    assert failed.status == "failed" and failed.attempts == 3
    assert failed.last_error.startswith("gave up after 3 attempts: cannot connect to 127.0.0.1:")
    assert failed.due_at is None


def test_permanent_failure_fails_at_once_with_the_server_answer(db, smtp_server, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", str(smtp_server(Inbox(recipient_answer="550 5.1.1 No such user here"))))
    row = _one_queued(db, envelopes.password_reset(email="nobody@example.org"))

    assert attempt_delivery(db, row.id).status == "failed"

    failed = _row(db, row.id)
    assert failed.attempts == 1
    assert "550 5.1.1 No such user here" in failed.last_error
    assert "nobody@example.org" in failed.last_error


def test_draft_schedules_a_reminder_48_hours_before_closing(db, inbox):
    draft = envelopes.draft_started(application_id=7, closes_in=timedelta(days=30))
    row = _one_queued(db, draft)

    closes_at = datetime.fromisoformat(draft["payload"]["closes_at"])
    assert row.kind == "draft_reminder" and row.topic == "application:7"
    assert row.due_at == closes_at - REMINDER_BEFORE_CLOSING
    attempt = attempt_delivery(db, row.id)
    assert attempt.status == "queued"
    assert attempt.retry_in == pytest.approx((row.due_at - datetime.now(timezone.utc)).total_seconds(), abs=5)
    assert inbox.messages == []


def test_reminder_when_due_carries_a_signed_unsubscribe_link(db, inbox, notifications_app):
    row = _one_queued(db, envelopes.draft_started(language="en", closes_in=REMINDER_BEFORE_CLOSING + timedelta(hours=1)))
    with db.unit_of_work() as session:
        session.get(Delivery, row.id).due_at = datetime.now(timezone.utc)

    assert attempt_delivery(db, row.id).status == "sent"

    [message] = inbox.messages
    assert message["Subject"].startswith('Reminder: the call "Aide à l\'écriture 2027" closes on ')
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://127.0.0.1:8000/messages/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    secret = notifications_app.config["SETTINGS"].secret_key
    assert preferences.read_unsubscribe_token(secret, link.rsplit("/", 1)[1]) == ("ana@example.org", "reminders")
    assert link in message.get_body(("plain",)).get_content()


def test_submission_cancels_the_reminder_and_sends_a_receipt(db, inbox):
    reminder = _one_queued(db, envelopes.draft_started(application_id=7))
    other = _one_queued(db, envelopes.draft_started(application_id=8))

    receipt = _one_queued(db, envelopes.submitted(application_id=7, language="en"))

    assert _row(db, reminder.id).status == "cancelled"
    assert _row(db, other.id).status == "queued"
    assert attempt_delivery(db, reminder.id).status == "cancelled"
    assert attempt_delivery(db, receipt.id).status == "sent"
    [message] = inbox.messages
    assert message["Subject"] == "Application received: Aide à l'écriture 2027 (no. AP-2027-00007)"
    assert "submitted on Mar 3, 2027, 2:05 PM (Paris time)." in " ".join(message.get_body(("plain",)).get_content().split())


def test_withdrawal_cancels_the_reminder(db):
    reminder = _one_queued(db, envelopes.draft_started(application_id=9))

    assert consume(db, HANDLERS, envelopes.withdrawn(application_id=9)) is True

    assert _row(db, reminder.id).status == "cancelled"
    assert len(_rows(db)) == 1  # a withdrawal sends nothing


def test_no_reminder_for_a_draft_started_within_48_hours_of_closing_or_already_submitted(db):
    assert consume(db, HANDLERS, envelopes.draft_started(application_id=1, closes_in=timedelta(hours=47))) is True
    # Handled out of order: the submission came first.
    consume(db, HANDLERS, envelopes.submitted(application_id=2))
    consume(db, HANDLERS, envelopes.draft_started(application_id=2))

    assert [(row.kind, row.topic) for row in _rows(db)] == [("application_received", "application:2")]


def test_a_new_draft_event_replaces_the_pending_reminder(db):
    first = _one_queued(db, envelopes.draft_started(application_id=5, closes_in=timedelta(days=20)))
    second = _one_queued(db, envelopes.draft_started(application_id=5, closes_in=timedelta(days=25)))

    assert _row(db, first.id).status == "cancelled"
    assert _row(db, second.id).status == "queued"


def test_unsubscribed_address_gets_no_reminder_but_still_every_transactional_message(db, inbox):
    with db.unit_of_work() as session:
        for category in preferences.CATEGORIES:
            preferences.set_preference(session, "Ana@example.org", category, False)
    reminder = _one_queued(db, envelopes.draft_started(application_id=4))
    with db.unit_of_work() as session:
        session.get(Delivery, reminder.id).due_at = None
    receipt = _one_queued(db, envelopes.submitted(application_id=3))
    reset = _one_queued(db, envelopes.password_reset())

    assert attempt_delivery(db, reminder.id).status == "skipped"
    assert attempt_delivery(db, receipt.id).status == "sent"
    assert attempt_delivery(db, reset.id).status == "sent"

    assert _row(db, reminder.id).last_error == "unsubscribed from reminders"
    assert sorted(message["Subject"] for message in inbox.messages) == [
        "Candidature reçue : Aide à l'écriture 2027 (n° AP-2027-00003)",
        "Réinitialisation de votre mot de passe Tremplin",
    ]


class SlowInbox(Inbox):
    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(0.3)  # long enough for a second worker to arrive meanwhile
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_two_workers_given_the_same_delivery_send_it_once(database, db, smtp_server, monkeypatch, tmp_path):
    import threading

    from services.notifications.config import MIGRATIONS_DIR
    from shared.core.db import Database
    from shared.core.migrations import upgrade

    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'notifications.db'}"
        upgrade(MIGRATIONS_DIR, url)
        db = Database(url)
    handler = SlowInbox()
    monkeypatch.setenv("SMTP_PORT", str(smtp_server(handler)))
    row = _one_queued(db, envelopes.password_reset())
    outcomes = []

    def work():
        outcomes.append(attempt_delivery(db, row.id).status)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    # One sends; the others find it taken and are told to come back when its lease ends.
    assert sorted(outcomes) == ["sending", "sending", "sent"]
    assert len(handler.messages) == 1
    assert _row(db, row.id).attempts == 1
    if database == "sqlite":
        db.dispose()
