"""Events become emails through the real pipeline: Redis, a real dramatiq worker running the
notifications actors, PostgreSQL, and a real aiosmtpd server the service reaches by SMTP."""
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from services.notifications.actors import MAX_HOP_SECONDS, deliver, on_event
from services.notifications.deliveries import REMINDER_BEFORE_CLOSING
from services.notifications.models import Delivery
from tests.people import bearer, person
from shared.core.outbox import Relay
from tests.integration.notifications import envelopes
from tests.conftest import free_port, wait_until
from tests.real_services import Inbox


def _deliveries(app, **where):
    with app.extensions["db"].unit_of_work() as session:
        query = select(Delivery).order_by(Delivery.id)
        for name, value in where.items():
            query = query.where(getattr(Delivery, name) == value)
        return session.scalars(query).all()


def _settled(app, count):
    rows = _deliveries(app)
    return len(rows) == count and all(row.status not in ("queued", "sending") for row in rows) and rows


def test_sign_up_becomes_one_email_in_the_persons_language(accounts_app, notifications_app, notifications_worker, broker, inbox):
    client = accounts_app.test_client()
    signed_up = client.post(
        "/api/accounts", json={"email": "nora@example.org", "name": "Nora", "password": "a long password", "language": "en"}
    )
    assert signed_up.status_code == 202

    # The accounts service's outbox carries account.registered (and account.updated) to the worker.
    assert Relay(accounts_app.extensions["db"], broker).relay_batch() == 2
    [delivery] = wait_until(lambda: _settled(notifications_app, 1), message="the confirmation email")

    assert delivery.status == "sent"
    assert delivery.request_id == signed_up.headers["X-Request-ID"]
    [message] = inbox.messages
    assert message["To"] == "Nora <nora@example.org>"
    assert message["Subject"] == "Confirm your email address on Tremplin"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Hello Nora,")
    assert '<html lang="en">' in html
    # The link in the email works, and the message is then in the person's history.
    confirm_url = next(word for word in text.split() if "/accounts/confirm/" in word)
    token = confirm_url.rsplit("/", 1)[1]
    assert client.post("/api/accounts/confirm", json={"token": token}).get_json()["confirmed"] is True
    access = client.post("/api/auth/token", json={"email": "nora@example.org", "password": "a long password"})
    history = notifications_app.test_client().get(
        "/api/me/messages", headers={"Authorization": f"Bearer {access.get_json()['access_token']}"})
    assert [(m["kind"], m["status"], m["language"]) for m in history.get_json()] == [("account_confirmation", "sent", "en")]


def test_smtp_server_stopped_then_started_loses_nothing(notifications_app, notifications_worker, monkeypatch):
    port = free_port()
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("DELIVERY_MAX_ATTEMPTS", "50")
    monkeypatch.setenv("DELIVERY_BACKOFF_SECONDS", "0.1")
    monkeypatch.setenv("DELIVERY_MAX_BACKOFF_SECONDS", "0.4")
    for number in range(5):
        on_event.send(envelopes.password_reset(email=f"p{number}@example.org"))

    # The server is down: every delivery has failed at least once, and none is given up.
    wait_until(
        lambda: len(rows := _deliveries(notifications_app)) == 5 and all(r.attempts >= 2 for r in rows),
        message="attempts while the server is down",
    )
    rows = _deliveries(notifications_app)
    assert {row.status for row in rows} <= {"queued", "sending"}  # none given up
    assert all("ConnectionRefusedError" in row.last_error for row in rows)

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        rows = wait_until(lambda: _settled(notifications_app, 5), message="the five emails after the restart")
    finally:
        controller.stop()

    assert {row.status for row in rows} == {"sent"}
    assert all(row.last_error is None for row in rows)
    assert sorted(str(m["To"]) for m in handler.messages) == sorted(f"Ana <p{n}@example.org>" for n in range(5))


def test_redelivered_event_sends_one_email(notifications_app, notifications_worker, inbox):
    event = envelopes.account_registered(email="once@example.org")
    for _ in range(3):
        on_event.send(event)
    [row] = wait_until(lambda: _deliveries(notifications_app), message="the delivery")
    deliver.send(row.id)
    deliver.send(row.id)

    wait_until(lambda: _settled(notifications_app, 1), message="the email")
    notifications_worker.join()  # every message above has been handled

    assert len(inbox.messages) == 1
    [row] = _deliveries(notifications_app)
    assert (row.status, row.attempts) == ("sent", 1)


def test_last_temporary_failure_leaves_the_delivery_failed_with_the_reason(
    notifications_app, notifications_worker, smtp_server, monkeypatch
):
    monkeypatch.setenv("SMTP_PORT", str(smtp_server(Inbox(recipient_answer="451 4.3.0 Mailbox busy, try later"))))
    monkeypatch.setenv("DELIVERY_MAX_ATTEMPTS", "3")
    on_event.send(envelopes.password_reset())

    [row] = wait_until(lambda: _settled(notifications_app, 1), message="the delivery to give up")

    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("gave up after 3 attempts: recipient refused")
    assert "451 4.3.0 Mailbox busy, try later" in row.last_error


def test_permanent_failure_is_recorded_at_once_and_an_admin_sends_it_again(
    notifications_app, notifications_worker, broker, smtp_server, monkeypatch
):
    handler = Inbox(recipient_answer="550 5.1.1 No such user")
    monkeypatch.setenv("SMTP_PORT", str(smtp_server(handler)))
    on_event.send(envelopes.submitted(email="typo@example.org"))

    [row] = wait_until(lambda: _settled(notifications_app, 1), message="the failure")
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550 5.1.1 No such user" in row.last_error and "typo@example.org" in row.last_error
    assert handler.messages == []

    handler.recipient_answer = None  # the address was fixed at the mail provider
    admin = bearer(person(notifications_app, "admin@example.org", ["admin"], "Admin"))
    client = notifications_app.test_client()
    failed = client.get("/api/deliveries?status=failed", headers=admin).get_json()
    assert [d["id"] for d in failed] == [row.id]
    resent = client.post(f"/api/deliveries/{row.id}/resend", headers=admin)
    assert resent.status_code == 202
    Relay(notifications_app.extensions["db"], broker).relay_batch()

    wait_until(lambda: _deliveries(notifications_app, id=row.id)[0].status == "sent", message="the email sent again")
    [message] = handler.messages
    assert message["Subject"] == "Candidature reçue : Aide à l'écriture 2027 (n° AP-2027-00007)"


def test_reminder_is_sent_when_due_and_unsubscribing_stops_only_reminders(
    notifications_app, notifications_worker, inbox
):
    client = notifications_app.test_client()
    draft = envelopes.draft_started(application_id=1, language="en", closes_in=REMINDER_BEFORE_CLOSING + timedelta(seconds=1))
    on_event.send(draft)
    [reminder] = wait_until(lambda: _settled(notifications_app, 1), message="the reminder")
    assert reminder.status == "sent"
    assert reminder.sent_at >= datetime.fromisoformat(draft["payload"]["closes_at"]) - REMINDER_BEFORE_CLOSING
    [message] = inbox.messages
    assert message["Subject"].startswith("Reminder: the call")
    link = message["List-Unsubscribe"].strip("<>")
    path = link.removeprefix(notifications_app.config["SETTINGS"].public_url)

    # The person clicks their client's unsubscribe button (RFC 8058).
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    on_event.send(envelopes.draft_started(application_id=2, closes_in=REMINDER_BEFORE_CLOSING + timedelta(seconds=1)))
    on_event.send(envelopes.submitted(application_id=3))
    rows = wait_until(lambda: _settled(notifications_app, 3), message="the next two deliveries")
    assert sorted((r.topic, r.kind, r.status) for r in rows) == [
        ("application:1", "draft_reminder", "sent"),
        ("application:2", "draft_reminder", "skipped"),
        ("application:3", "application_received", "sent"),
    ]
    assert [m["Subject"].split(" ")[0] for m in inbox.messages] == ["Reminder:", "Candidature"]


def test_submission_before_the_reminder_is_due_cancels_it(notifications_app, notifications_worker, inbox):
    on_event.send(envelopes.draft_started(application_id=5, closes_in=REMINDER_BEFORE_CLOSING + timedelta(seconds=2)))
    wait_until(lambda: _deliveries(notifications_app), message="the reminder")
    on_event.send(envelopes.submitted(application_id=5))

    wait_until(lambda: _settled(notifications_app, 2), message="the receipt")
    time.sleep(2.5)  # past the reminder's due time: its delayed message comes and finds it cancelled
    notifications_worker.join()

    assert [(r.kind, r.status) for r in _deliveries(notifications_app)] == [
        ("draft_reminder", "cancelled"), ("application_received", "sent")
    ]
    assert [m["Subject"].split(" ")[0] for m in inbox.messages] == ["Candidature"]


def test_far_reminder_waits_in_hops_no_longer_than_the_broker_allows(notifications_app, notifications_worker, broker):
    on_event.send(envelopes.draft_started(closes_in=timedelta(days=30)))
    [row] = wait_until(lambda: _deliveries(notifications_app), message="the reminder")

    def delayed():
        stored = broker.client.hvals(f"{broker.namespace}:notifications.DQ.msgs")
        return [json.loads(raw) for raw in stored if json.loads(raw)["actor_name"] == "notifications.deliver"]

    [hop] = wait_until(delayed, message="the delayed delivery")
    eta = datetime.fromtimestamp(hop["options"]["eta"] / 1000, timezone.utc)
    assert hop["args"][0] == row.id
    assert (eta - datetime.now(timezone.utc)).total_seconds() == pytest.approx(MAX_HOP_SECONDS, abs=60)
    assert _deliveries(notifications_app)[0].status == "queued"


def test_worker_that_died_after_recording_the_delivery_still_gets_it_sent(
    notifications_app, notifications_worker, inbox
):
    from services.notifications.deliveries import HANDLERS
    from shared.core.consumer import consume

    event = envelopes.account_registered(email="late@example.org")
    # A first worker committed the delivery, then died before asking for it to be sent.
    assert consume(notifications_app.extensions["db"], HANDLERS, event) is True
    assert _deliveries(notifications_app)[0].status == "queued"

    on_event.send(event)  # dramatiq gives the unacknowledged message to another worker

    [row] = wait_until(lambda: _settled(notifications_app, 1), message="the email")
    assert row.status == "sent"
    assert [str(m["To"]) for m in inbox.messages] == ["Ana <late@example.org>"]


def test_requeue_command_wakes_deliveries_whose_messages_redis_lost(notifications_app, notifications_worker, inbox):
    from services.notifications.deliveries import HANDLERS
    from shared.core.consumer import consume

    db = notifications_app.extensions["db"]
    for number in range(3):
        consume(db, HANDLERS, envelopes.password_reset(email=f"lost{number}@example.org"))

    result = notifications_app.test_cli_runner().invoke(args=["deliveries", "requeue"])

    assert result.exit_code == 0, result.output
    assert "3 queued deliveries woken" in result.output
    wait_until(lambda: _settled(notifications_app, 3), message="the three emails")
    assert len(inbox.messages) == 3


def test_a_later_closing_time_sends_the_reminder_once_at_the_new_time(notifications_app, notifications_worker, inbox):
    draft = envelopes.draft_started(application_id=6, closes_in=REMINDER_BEFORE_CLOSING + timedelta(seconds=3))
    on_event.send(draft)
    wait_until(lambda: _deliveries(notifications_app), message="the reminder")
    new_closes_at = datetime.fromisoformat(draft["payload"]["closes_at"]) + timedelta(seconds=3)
    on_event.send(envelopes.closing_extended(new_closes_at))

    [reminder] = wait_until(lambda: _settled(notifications_app, 1), message="the reminder at its new time")
    time.sleep(1)  # the delayed message from the old time, and the wake-up, have both come
    notifications_worker.join()

    assert reminder.status == "sent"
    assert reminder.sent_at >= new_closes_at - REMINDER_BEFORE_CLOSING
    assert datetime.fromisoformat(reminder.context["closes_at"]) == new_closes_at
    assert len(inbox.messages) == 1


def test_a_news_to_more_backers_than_its_message_sends_reaches_each_once(notifications_app, notifications_worker, inbox):
    """The event's message sends the first 10 emails itself and hands the others to
    `deliver_several` messages, which the real worker's threads send: each backer once."""
    recipients = [envelopes.person(f"b{number}@example.org", f"B{number}") for number in range(25)]
    on_event.send(envelopes.envelope("campaign.news_posted", 1, {
        "news_id": 1, "campaign_id": 2, "campaign_title": "Un premier album",
        "campaign_url": "http://127.0.0.1:8002/campaigns/2", "text": "Merci à toutes et à tous !",
        "posted_at": datetime.now(timezone.utc).isoformat(), "recipients": recipients,
    }))

    rows = wait_until(lambda: _settled(notifications_app, 25), message="the 25 emails")
    assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}
    notifications_worker.join()  # every message has been handled: nothing more comes
    assert sorted(str(message["To"]) for message in inbox.messages) == sorted(
        f"B{number} <b{number}@example.org>" for number in range(25))
