"""The outbox: events commit with the use case; the relay sends them, or keeps them when Redis is down."""
import json
import threading

import pytest
import redis
from marshmallow import fields
from sqlalchemy import func, select

from shared.core import events
from shared.core.broker import build_broker
from shared.core.consumer import ProcessedEvent
from shared.core.outbox import OutboxMessage, Relay, pending_count, publish
from tests.conftest import free_port, sqlite_database, wait_until

PAYLOAD = {
    "account_id": 1, "service": "grants", "email": "a@example.org", "name": "A",
    "language": "fr", "roles": ["applicant"], "confirm_url": None,
}


def test_event_is_validated_when_written_and_nothing_is_kept(grants_app):
    db = grants_app.extensions["db"]
    with pytest.raises(events.EventContractError):
        with db.unit_of_work() as session:
            publish(session, "grants", "account.registered", 1, {**PAYLOAD, "language": "xx"})
    with db.unit_of_work() as session:
        assert pending_count(session) == 0


class _AccountRegisteredV2(events.AccountRegisteredV1):
    referrer = fields.String(required=True)


def test_the_producer_names_the_version_it_writes(grants_app, monkeypatch):
    # A newer contract registered beside the old one changes nothing for a producer of the old.
    monkeypatch.setitem(events.REGISTRY, ("account.registered", 2), events.EventType(
        "account.registered", 2, _AccountRegisteredV2, ("notifications",)))
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        publish(session, "grants", "account.registered", 1, PAYLOAD)
        publish(session, "grants", "account.registered", 2, {**PAYLOAD, "referrer": "newsletter"})
    with pytest.raises(events.EventContractError) as refused:
        with db.unit_of_work() as session:
            publish(session, "grants", "account.registered", 2, PAYLOAD)
    assert set(refused.value.errors) == {"referrer"}
    with db.unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(row.version, row.payload.get("referrer")) for row in rows] == [(1, None), (2, "newsletter")]


def test_a_row_reads_back_the_same_from_postgresql_and_from_sqlite(grants_app, tmp_path):
    """PostgreSQL's rows are written by the statement compiled once and sent to psycopg as it is,
    SQLite's (make run) by the Core statement: both read back as the event that was published."""
    from shared.core.logs import request_id_context

    payload = {**PAYLOAD, "name": "Zoé « Ça » 名", "roles": ["applicant", "juror"], "confirm_url": "https://x.test/c?a=1&b=2"}
    read = {}
    with sqlite_database(tmp_path, "grants") as sqlite:
        for database in (grants_app.extensions["db"], sqlite):
            before = events.utcnow()
            with request_id_context("req-1"), database.unit_of_work() as session:
                event_id = publish(session, "grants", "account.registered", 1, payload)
            with database.unit_of_work() as session:
                row = session.scalars(select(OutboxMessage)).one()
            assert row.event_id == event_id
            assert before <= row.occurred_at <= events.utcnow() and row.occurred_at.utcoffset().total_seconds() == 0
            read[database.engine.dialect.name] = {
                **row.envelope(), "id": None, "occurred_at": None, "sent_at": row.sent_at, "attempts": row.attempts}
    assert read["postgresql"] == read["sqlite"] == {
        "id": None, "name": "account.registered", "version": 1, "producer": "grants", "occurred_at": None,
        "request_id": "req-1", "payload": payload, "sent_at": None, "attempts": 0}


def test_event_rolls_back_with_the_use_case(grants_app):
    db = grants_app.extensions["db"]
    with pytest.raises(RuntimeError):
        with db.unit_of_work() as session:
            publish(session, "grants", "account.registered", 1, PAYLOAD)
            raise RuntimeError("the use case failed after writing its event")
    with db.unit_of_work() as session:
        assert pending_count(session) == 0


def test_relay_sends_one_message_per_consumer_and_marks_sent(grants_app, broker):
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        event_id = publish(session, "grants", "account.registered", 1, PAYLOAD)
    broker.declare_queue("notifications")
    assert Relay(db, broker).relay_batch() == 1
    assert Relay(db, broker).relay_batch() == 0
    with db.unit_of_work() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.sent_at is not None and row.attempts == 1
    client = broker.client
    queued = client.hvals(f"{broker.namespace}:notifications.msgs")
    assert len(queued) == 1 and event_id.encode() in queued[0]


def test_relay_keeps_events_when_redis_is_down(grants_app):
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        publish(session, "grants", "account.registered", 1, PAYLOAD)
        publish(session, "grants", "account.registered", 1, {**PAYLOAD, "account_id": 2})
    down = build_broker(f"redis://127.0.0.1:{free_port()}/0", "tremplin-down")
    with pytest.raises(redis.exceptions.ConnectionError):
        Relay(db, down).relay_batch()
    with db.unit_of_work() as session:
        assert pending_count(session) == 2
        first = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        assert first.attempts == 1 and "ConnectionError" in first.last_error


def test_relay_run_backs_off_and_stops(grants_app):
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        publish(session, "grants", "account.registered", 1, PAYLOAD)
    relay = Relay(db, build_broker(f"redis://127.0.0.1:{free_port()}/0", "tremplin-down"))
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_seconds": 0.05, "max_backoff": 0.2})
    thread.start()
    stop.wait(0.6)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    with db.unit_of_work() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.sent_at is None and row.attempts >= 2


def test_rows_locked_by_one_relay_are_skipped_by_another(grants_app, broker):
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        publish(session, "grants", "account.registered", 1, PAYLOAD)
    holder = db.Session()
    try:
        locked = holder.scalars(select(OutboxMessage).with_for_update()).all()
        assert len(locked) == 1
        assert Relay(db, broker).relay_batch() == 0  # SKIP LOCKED: no wait, no double send
    finally:
        holder.rollback()
        holder.close()
    assert Relay(db, broker).relay_batch() == 1
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_not(None))) == 1


def test_a_batch_goes_to_redis_in_one_pipeline_and_a_worker_applies_each_event_once(
    grants_app, notifications_app, broker, notifications_worker
):
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        ids = [publish(session, "grants", "account.registered", 1, {**PAYLOAD, "account_id": number})
               for number in range(1, 6)]
    assert Relay(db, broker).relay_batch() == 5

    notifications = notifications_app.extensions["db"]

    def processed():
        with notifications.unit_of_work() as session:
            return sorted(session.scalars(select(ProcessedEvent.event_id)).all())

    wait_until(lambda: processed() == sorted(ids), message="the five events applied")
    with db.unit_of_work() as session:
        assert pending_count(session) == 0


def test_relay_sends_a_services_events_several_to_a_message_one_alone_on_its_own(grants_app, broker):
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        ids = [publish(session, "grants", "account.registered", 1, {**PAYLOAD, "account_id": number})
               for number in range(5)]
    broker.declare_queue("notifications")

    assert Relay(db, broker, events_per_message=2).relay_batch() == 5

    queued = [json.loads(raw) for raw in broker.client.hvals(f"{broker.namespace}:notifications.msgs")]
    carried = sorted((message["actor_name"], tuple(envelope["id"] for envelope in message["args"][0])
                      if message["actor_name"].endswith("on_events") else (message["args"][0]["id"],))
                     for message in queued)
    assert carried == sorted([("notifications.on_events", tuple(ids[0:2])), ("notifications.on_events", tuple(ids[2:4])),
                              ("notifications.on_event", (ids[4],))])
