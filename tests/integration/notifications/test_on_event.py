"""The worker's event message sends its event's emails itself (actors.on_event): the delivery is
taken in the unit of work that records the event and sent after the commit, so an email costs
one queue message and two transactions; deliveries beyond INLINE_DELIVERIES (or, in a relay's
batch, beyond one per event) are `deliver_several` messages of DELIVERIES_PER_MESSAGE; a message that fails puts back the deliveries it had taken and not sent.

The actor's function runs in this thread (`.fn`), against the test's PostgreSQL, Redis and a
real aiosmtpd server."""
import json
import os
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

import services.notifications.actors as actors
from services.notifications import deliveries
from services.notifications.models import Delivery
from tests.conftest import recorded_statements
from tests.integration.notifications import envelopes


def _rows(db):
    with db.unit_of_work() as session:
        return session.scalars(select(Delivery).order_by(Delivery.id)).all()


def _queued_messages(broker) -> list[str]:
    return [json.loads(raw)["actor_name"] for raw in broker.client.hvals(f"{broker.namespace}:notifications.msgs")]


def news(recipients: int) -> dict:
    return envelopes.envelope("campaign.news_posted", 1, {
        "news_id": 1, "campaign_id": 2, "campaign_title": "Un premier album", "campaign_url": "http://127.0.0.1:8002/campaigns/2",
        "text": "Merci à toutes et à tous !", "posted_at": datetime.now(timezone.utc).isoformat(),
        "recipients": [envelopes.person(f"b{number}@example.org", f"B{number}") for number in range(recipients)],
    })


@pytest.fixture
def db(notifications_app):
    return actors.database()  # the worker's, on the test's database


@contextmanager
def counted_transactions(engine):
    begun = []
    listener = lambda _connection: begun.append(1)  # noqa: E731
    event.listen(engine, "begin", listener)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", listener)


def test_an_event_with_one_email_sends_it_with_one_message_and_two_transactions(db, inbox, broker):
    autocommit = []

    def record(connection, *_args):
        autocommit.append(connection.connection.dbapi_connection.autocommit)

    event.listen(db.engine, "before_cursor_execute", record)
    with counted_transactions(db.engine) as transactions, recorded_statements(db.engine) as statements:
        actors.on_event.fn(envelopes.password_reset(email="one@example.org"))
    event.remove(db.engine, "before_cursor_execute", record)

    [row] = _rows(db)
    assert (row.status, row.attempts) == ("sent", 1)
    assert [str(message["To"]) for message in inbox.messages] == ["Ana <one@example.org>"]
    assert _queued_messages(broker) == []  # no `deliver` message
    # The event's unit of work (its key, its delivery written already taken: a new row no other
    # transaction sees, so neither read back nor locked), then the outcome.
    assert len(transactions) == 2
    assert [statement.split()[0] for statement in statements] == ["INSERT", "INSERT", "UPDATE"]
    # The outcome is one statement, fenced by the attempt number: alone, without BEGIN and COMMIT.
    assert autocommit == [False, False, True]


def _queued_arguments(broker) -> list[tuple[str, list]]:
    return sorted((message["actor_name"], message["args"]) for message in
                  map(json.loads, broker.client.hvals(f"{broker.namespace}:notifications.msgs")))


def test_deliveries_beyond_the_limit_are_deliver_several_messages(db, inbox, broker, monkeypatch):
    monkeypatch.setattr(actors, "INLINE_DELIVERIES", 2)
    monkeypatch.setattr(actors, "DELIVERIES_PER_MESSAGE", 2)
    envelope = news(5)

    actors.on_event.fn(envelope)

    rows = _rows(db)
    assert [row.status for row in rows] == ["sent", "sent", "queued", "queued", "queued"]
    # The three others: two in one message, the last alone, with the event's request id.
    request_id = envelope["request_id"]
    assert _queued_arguments(broker) == [
        ("notifications.deliver", [rows[4].id, request_id]),
        ("notifications.deliver_several", [[rows[2].id, rows[3].id], request_id]),
    ]
    actors.deliver_several.fn([rows[2].id, rows[3].id], request_id)
    actors.deliver.fn(rows[4].id, request_id)
    assert [row.status for row in _rows(db)] == ["sent"] * 5
    assert sorted(str(message["To"]) for message in inbox.messages) == [f"B{n} <b{n}@example.org>" for n in range(5)]

    actors.deliver_several.fn([rows[2].id, rows[3].id], request_id)  # the message again: nothing sent twice
    assert len(inbox.messages) == 5


def test_deliver_several_takes_its_deliveries_in_one_transaction(db, inbox, broker, monkeypatch):
    """One transaction takes them all (one statement locks the rows), then one records each
    outcome; a delivery settled already or not yet due is left as `deliver` leaves it."""
    monkeypatch.setattr(actors, "INLINE_DELIVERIES", 0)
    actors.on_event.fn(news(4))
    broker.client.delete(f"{broker.namespace}:notifications.msgs", f"{broker.namespace}:notifications")
    ids = [row.id for row in _rows(db)]
    actors.deliver.fn(ids[0])  # settled before the message comes
    with db.unit_of_work() as session:  # a retry due in an hour
        session.get(Delivery, ids[3]).due_at = datetime.now(timezone.utc) + timedelta(hours=1)

    with counted_transactions(db.engine) as transactions, recorded_statements(db.engine) as statements:
        actors.deliver_several.fn(ids, "req-1")

    assert [row.status for row in _rows(db)] == ["sent", "sent", "sent", "queued"]
    assert len(transactions) == 1 + 2
    assert sum("FOR UPDATE" in statement for statement in statements) == 1
    assert len(inbox.messages) == 3
    # The one not due comes back when it is, as `deliver` does it.
    [delayed] = map(json.loads, broker.client.hvals(f"{broker.namespace}:notifications.DQ.msgs"))
    assert (delayed["actor_name"], delayed["args"]) == ("notifications.deliver", [ids[3], "req-1"])


def test_deliver_several_that_fails_puts_back_what_it_had_not_sent(db, inbox, broker, monkeypatch):
    monkeypatch.setattr(actors, "INLINE_DELIVERIES", 0)
    actors.on_event.fn(news(3))
    ids = [row.id for row in _rows(db)]
    port = os.environ["SMTP_PORT"]
    monkeypatch.setenv("SMTP_PORT", "not a port")  # a configuration error: not a delivery's own failure

    with pytest.raises(ValueError):
        actors.deliver_several.fn(ids, "req-1")

    assert [(row.status, row.attempts) for row in _rows(db)] == [("sending", 1), ("queued", 0), ("queued", 0)]
    monkeypatch.setenv("SMTP_PORT", port)
    actors.deliver_several.fn(ids, "req-1")  # dramatiq's retry: the first waits for its lease (sweep)
    assert [(row.status, row.attempts) for row in _rows(db)] == [("sending", 1), ("sent", 1), ("sent", 1)]
    assert len(inbox.messages) == 2


def test_a_batch_sends_an_email_per_event_itself_beyond_the_limit(db, inbox, broker, monkeypatch):
    """The relay's batch is already a share of a backlog: its one-email events are sent by the
    message that carries them, none by a `deliver` message, each once."""
    monkeypatch.setattr(actors, "INLINE_DELIVERIES", 2)
    batch = [envelopes.password_reset(email=f"r{number}@example.org") for number in range(5)]

    with counted_transactions(db.engine) as transactions:
        actors.on_events.fn(batch)

    assert [(row.status, row.attempts) for row in _rows(db)] == [("sent", 1)] * 5
    assert _queued_messages(broker) == []
    assert len(transactions) == 1 + 5  # the batch's unit of work, then each outcome
    assert sorted(str(message["To"]) for message in inbox.messages) == sorted(
        f"Ana <r{number}@example.org>" for number in range(5))

    actors.on_events.fn(batch)  # the message again (a redelivery): nothing sent twice
    assert len(inbox.messages) == 5
    assert _queued_messages(broker) == []


def test_a_batch_still_spreads_a_long_list(db, inbox, broker, monkeypatch):
    """A campaign's news in a batch of two events: two emails sent by the message (one per event it
    carries, as the limit), the others left to `deliver` messages for the worker's other threads."""
    monkeypatch.setattr(actors, "INLINE_DELIVERIES", 2)

    actors.on_events.fn([news(5), envelopes.password_reset(email="new@example.org")])

    rows = _rows(db)
    assert sorted(row.status for row in rows) == ["queued"] * 4 + ["sent"] * 2
    # The news' three others in one message, the reset's one alone.
    assert sorted(_queued_messages(broker)) == ["notifications.deliver", "notifications.deliver_several"]
    for row in rows:
        if row.status == "queued":
            actors.deliver.fn(row.id)
    assert [row.status for row in _rows(db)] == ["sent"] * 6
    assert len(inbox.messages) == 6


def test_a_message_that_fails_puts_back_what_it_had_not_sent_and_its_retry_sends_it_once(db, inbox, monkeypatch):
    envelope = news(3)
    port = os.environ["SMTP_PORT"]
    monkeypatch.setenv("SMTP_PORT", "not a port")  # a configuration error: not a delivery's own failure

    with pytest.raises(ValueError):
        actors.on_event.fn(envelope)

    # The event is recorded; the delivery being sent stays taken, the two others are back in the queue as they were.
    assert [(row.status, row.attempts) for row in _rows(db)] == [("sending", 1), ("queued", 0), ("queued", 0)]
    assert inbox.messages == []

    monkeypatch.setenv("SMTP_PORT", port)
    actors.on_event.fn(envelope)  # dramatiq's retry of the message: the event is not applied again

    assert [(row.status, row.attempts) for row in _rows(db)] == [("sending", 1), ("sent", 1), ("sent", 1)]
    assert len(inbox.messages) == 2  # the first waits for its lease to run out (sweep), as with `deliver`


def test_release_is_fenced_by_the_attempt_number(db, inbox):
    actors.on_event.fn(envelopes.password_reset())
    [row] = _rows(db)
    with db.unit_of_work() as session:
        session.get(Delivery, row.id).status = "queued"
    with db.unit_of_work() as session:
        claim = deliveries._take(session, row.id)
    with db.unit_of_work() as session:
        newer = deliveries._take(session, row.id)  # none: it is being sent
    assert newer.status == "sending"

    deliveries.release(db, [claim])
    [row] = _rows(db)
    assert (row.status, row.attempts, row.lease_until) == ("queued", 1, None)

    stale = deliveries._Claim(row.id, 5, claim.attempted_at, claim.message, claim.facts)
    deliveries.release(db, [stale])
    assert deliveries.attempt_delivery(db, row.id).status == "sent"
    assert [(row.status, row.attempts) for row in _rows(db)] == [("sent", 2)]


def test_deliveries_a_handler_wrote_before_adding_more_are_taken_with_the_others(db, inbox):
    """A handler whose query wrote its first delivery (autoflush) before it added the second: both
    are new rows of the unit of work, taken without being read back or locked."""
    from shared.core.consumer import consume

    def handler(session, event):
        first, second = event.payload["recipients"]
        session.add(deliveries._delivery(event, "campaign_news", {
            "campaign_title": "Un premier album", "news_text": "Merci !", "campaign_url": "http://t.local/c/2"}, recipient=first))
        assert session.scalar(select(Delivery.id).limit(1)) is not None  # written by the query's autoflush
        session.add(deliveries._delivery(event, "campaign_news", {
            "campaign_title": "Un premier album", "news_text": "Merci !", "campaign_url": "http://t.local/c/2"}, recipient=second))

    taken = []
    with recorded_statements(db.engine) as statements:
        consume(db, {("campaign.news_posted", 1): handler}, news(2),
                then=lambda session, event: taken.extend(deliveries.take(session, [event], 10)[0]))
    assert [type(claim) for _, _, claim in taken] == [deliveries._Claim, deliveries._Claim]
    assert [(row.status, row.attempts) for row in _rows(db)] == [("sending", 1), ("sending", 1)]
    assert not any("FOR UPDATE" in statement for statement in statements)  # nothing read back and locked
    for _, _, claim in taken:
        assert deliveries.send_claimed(db, claim).status == "sent"
    assert sorted(str(message["To"]) for message in inbox.messages) == ["B0 <b0@example.org>", "B1 <b1@example.org>"]


def test_a_batch_of_a_new_event_and_a_repeated_one_sends_each_delivery_once(db, inbox, monkeypatch):
    """The new event's delivery is taken in memory, the repeated event's left in the queue are read
    and locked: all sent, none twice."""
    repeated = news(3)
    port = os.environ["SMTP_PORT"]
    monkeypatch.setenv("SMTP_PORT", "not a port")
    with pytest.raises(ValueError):
        actors.on_event.fn(repeated)
    monkeypatch.setenv("SMTP_PORT", port)

    actors.on_events.fn([repeated, envelopes.password_reset(email="new@example.org")])

    rows = _rows(db)
    assert [(row.kind, row.status, row.attempts) for row in rows] == [
        ("campaign_news", "sending", 1), ("campaign_news", "sent", 1), ("campaign_news", "sent", 1),
        ("password_reset", "sent", 1)]
    assert sorted(str(message["To"]) for message in inbox.messages) == [
        "Ana <new@example.org>", "B1 <b1@example.org>", "B2 <b2@example.org>"]


def test_the_new_deliveries_of_an_event_are_written_as_each_attempt_left_them(db, inbox, broker, monkeypatch):
    """`take` writes an event's new deliveries itself (one Core INSERT, after the preference
    reads, which must not write them first): one sent, one skipped (unsubscribed), one failed
    while it was being taken (a name that would inject a header: the session writes that one),
    and one beyond the limit, left queued; each written once, with the outcome of its attempt."""
    from services.notifications.preferences import set_preference

    monkeypatch.setattr(actors, "INLINE_DELIVERIES", 3)
    with db.unit_of_work() as session:
        set_preference(session, "b1@example.org", "campaign_news", False)
    envelope = news(4)
    envelope["payload"]["recipients"][2]["name"] = "B2\r\nBcc: eve@example.org"

    actors.on_event.fn(envelope)

    rows = _rows(db)
    assert [(row.recipient_email, row.status, row.attempts) for row in rows] == [
        ("b0@example.org", "sent", 1),
        ("b1@example.org", "skipped", 0),
        ("b2@example.org", "failed", 0),
        ("b3@example.org", "queued", 0),
    ]
    assert rows[1].last_error == "unsubscribed from campaign_news"
    assert rows[2].last_error == "recipient 'b2@example.org' is not a usable email address"
    assert len({row.id for row in rows}) == 4
    assert [str(message["To"]) for message in inbox.messages] == ["B0 <b0@example.org>"]
    assert _queued_messages(broker) == ["notifications.deliver"]

    actors.on_event.fn(envelope)  # the message again: nothing written twice, the one left queued sent by it
    assert [(row.id, row.status) for row in _rows(db)] == [
        (rows[0].id, "sent"), (rows[1].id, "skipped"), (rows[2].id, "failed"), (rows[3].id, "sent")]
    assert [str(message["To"]) for message in inbox.messages] == ["B0 <b0@example.org>", "B3 <b3@example.org>"]
