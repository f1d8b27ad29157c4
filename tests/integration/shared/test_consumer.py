"""Idempotent consumption: the effect and the event id commit together, once; a handler per
(name, version) is given the validated event; an event with no handler is an error, kept."""
import dataclasses
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

import services.grants.actors as grants_actors
import services.notifications.actors as notifications_actors
from services.notifications.deliveries import HANDLERS
from services.notifications.models import Delivery
from shared.core import events
from shared.core.consumer import ProcessedEvent, UnhandledEvent, consume, consume_batch
from tests.conftest import wait_until
from tests.integration.notifications.test_on_event import counted_transactions


def _envelope(**payload_changes):
    payload = {
        "account_id": 3, "service": "grants", "email": "c@example.org", "name": "C", "language": "en",
        "roles": ["applicant"], "confirm_url": "http://127.0.0.1:8001/accounts/confirm/t",
    }
    payload.update(payload_changes)
    return {
        "id": events.new_event_id(), "name": "account.registered", "version": 1, "producer": "grants",
        "occurred_at": "2026-11-22T10:00:00+00:00", "request_id": "r1", "payload": payload,
    }


def _count(db, model):
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_redelivered_event_has_no_second_effect(notifications_app):
    db = notifications_app.extensions["db"]
    envelope = _envelope()
    assert consume(db, HANDLERS, envelope) is True
    assert consume(db, HANDLERS, envelope) is False
    assert _count(db, Delivery) == 1
    assert _count(db, ProcessedEvent) == 1


def test_failing_handler_records_nothing_so_a_retry_applies_it(notifications_app):
    db = notifications_app.extensions["db"]
    envelope = _envelope()

    def broken(session, event):
        HANDLERS[("account.registered", 1)](session, event)
        raise RuntimeError("failed after writing")

    with pytest.raises(RuntimeError):
        consume(db, {("account.registered", 1): broken}, envelope)
    assert _count(db, ProcessedEvent) == 0 and _count(db, Delivery) == 0
    assert consume(db, HANDLERS, envelope) is True
    assert _count(db, Delivery) == 1


def test_event_breaking_its_contract_is_refused(notifications_app):
    db = notifications_app.extensions["db"]
    with pytest.raises(events.EventContractError):
        consume(db, HANDLERS, _envelope(email="not an email"))
    assert _count(db, ProcessedEvent) == 0


def test_handler_is_given_the_event_with_its_payload_validated_not_the_envelope(notifications_app):
    db = notifications_app.extensions["db"]
    envelope = _envelope()
    given = []
    consume(db, {("account.registered", 1): lambda session, event: given.append(event)}, envelope)

    [event] = given
    assert isinstance(event, events.Event)
    assert (event.id, event.name, event.version) == (envelope["id"], "account.registered", 1)
    assert event.occurred_at == datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    assert event.payload["account_id"] == 3 and event.payload["confirm_url"] == "http://127.0.0.1:8001/accounts/confirm/t"
    assert "payload" not in event.payload and "request_id" not in event.payload
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.name = "something.else"
    with pytest.raises(TypeError):
        event.payload["account_id"] = 4


def test_event_without_a_handler_is_logged_and_not_recorded_as_processed(notifications_app, caplog):
    db = notifications_app.extensions["db"]
    envelope = _envelope()

    with caplog.at_level(logging.ERROR, logger="tremplin.consumer"):
        with pytest.raises(UnhandledEvent):
            consume(db, {}, envelope)

    [record] = [r for r in caplog.records if r.name == "tremplin.consumer"]
    assert (record.levelname, record.getMessage()) == ("ERROR", "event has no handler")
    assert (record.event_id, record.event, record.version) == (envelope["id"], "account.registered", 1)
    assert _count(db, ProcessedEvent) == 0
    # Kept unprocessed: once a handler exists, the same event is applied.
    assert consume(db, HANDLERS, envelope) is True
    assert _count(db, Delivery) == 1


class _AccountRegisteredV2(events.AccountRegisteredV1):
    pass


def test_handlers_are_keyed_by_version_too(notifications_app, monkeypatch):
    db = notifications_app.extensions["db"]
    monkeypatch.setitem(events.REGISTRY, ("account.registered", 2), events.EventType(
        "account.registered", 2, _AccountRegisteredV2, ("notifications",)))

    # The version 1 handler is not given version 2 of the same event.
    with pytest.raises(UnhandledEvent):
        consume(db, HANDLERS, {**_envelope(), "version": 2})
    assert _count(db, ProcessedEvent) == 0 and _count(db, Delivery) == 0
    assert consume(db, HANDLERS, _envelope()) is True


def test_worker_dead_letters_an_event_it_has_no_handler_for_without_retrying(grants_app, broker, notifications_worker):
    # The grants worker handles no event: one sent to it anyway is refused, kept in Redis, not applied.
    envelope = _envelope()
    grants_actors.on_event.send(envelope)

    def dead_lettered():
        return [json.loads(raw) for raw in broker.client.hvals(f"{broker.namespace}:grants.XQ.msgs")]

    [message] = wait_until(dead_lettered, message="the dead-lettered event")
    assert message["args"] == [envelope]
    assert "retries" not in message["options"]
    assert _count(grants_app.extensions["db"], ProcessedEvent) == 0


def test_two_deliveries_racing_each_other_apply_the_event_once(notifications_app):
    # The second one waits on the first one's processed-event key, then finds it.
    db = notifications_app.extensions["db"]
    envelope = _envelope()
    inside = threading.Barrier(2, timeout=10)

    def slow(session, event):
        HANDLERS[("account.registered", 1)](session, event)
        time.sleep(0.3)  # the other delivery reaches the key meanwhile

    def deliver():
        inside.wait()
        return consume(db, {("account.registered", 1): slow}, envelope)

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: deliver(), range(2)))

    assert outcomes == [False, True]
    assert _count(db, Delivery) == 1 and _count(db, ProcessedEvent) == 1


def test_what_follows_the_handler_is_in_its_unit_of_work_and_after_a_repeat_too(notifications_app):
    db = notifications_app.extensions["db"]
    envelope = _envelope()
    seen = []

    def wake(session, event):
        seen.append(session.scalars(select(Delivery.kind).where(Delivery.event_id == event.id)).all())

    def broken(session, event):
        raise RuntimeError("failed after the handler")

    # It fails: the event is not recorded, nor its effect, so a retry applies it.
    with pytest.raises(RuntimeError):
        consume(db, HANDLERS, envelope, then=broken)
    assert _count(db, ProcessedEvent) == 0 and _count(db, Delivery) == 0

    assert consume(db, HANDLERS, envelope, then=wake) is True
    assert consume(db, HANDLERS, envelope, then=wake) is False
    # The handler's delivery is seen before the commit, and again when the event comes back.
    assert seen == [["account_confirmation"], ["account_confirmation"]]
    assert _count(db, Delivery) == 1


# --- Several events to a message (the relay's batches: consume_batch) ----------------------------


def _queued(broker, queue):
    return [json.loads(raw) for raw in broker.client.hvals(f"{broker.namespace}:{queue}.msgs")]


def test_a_batch_is_applied_in_one_unit_of_work_each_event_once(notifications_app, broker):
    db = notifications_app.extensions["db"]
    batch = [_envelope(account_id=number, email=f"b{number}@example.org") for number in range(5)]
    single = notifications_actors.on_event
    seen = []

    with counted_transactions(db.engine) as transactions:
        consumed = consume_batch(db, HANDLERS, batch + [batch[0]], single,
                                 then=lambda _session, events_: seen.append([event.id for event in events_]))

    assert [event.id for event in consumed] == [envelope["id"] for envelope in batch]
    assert len(transactions) == 1 and seen == [[envelope["id"] for envelope in batch]]
    assert _count(db, ProcessedEvent) == 5 and _count(db, Delivery) == 5
    # The batch again (a redelivery), and two of its events alone: no second effect.
    assert len(consume_batch(db, HANDLERS, batch, single)) == 5
    assert consume(db, HANDLERS, batch[1]) is False
    assert _count(db, ProcessedEvent) == 5 and _count(db, Delivery) == 5
    assert _queued(broker, "notifications") == []


def test_an_event_of_a_batch_that_breaks_its_contract_goes_alone_and_the_others_are_applied(notifications_app, broker):
    db = notifications_app.extensions["db"]
    good = [_envelope(account_id=number, email=f"g{number}@example.org") for number in range(3)]
    bad = _envelope(email="not an email")
    unhandled = {**_envelope(), "name": "account.password_reset_requested",
                 "payload": {**_envelope()["payload"], "reset_url": "http://127.0.0.1:8001/r"}}

    consumed = consume_batch(db, {("account.registered", 1): HANDLERS[("account.registered", 1)]},
                             [good[0], bad, good[1], unhandled, good[2]], notifications_actors.on_event)

    assert [event.id for event in consumed] == [envelope["id"] for envelope in good]
    assert _count(db, ProcessedEvent) == 3 and _count(db, Delivery) == 3
    # Each on its own on_event message, where it fails alone (refused, or dead-lettered) as before.
    alone = _queued(broker, "notifications")
    assert sorted((message["actor_name"], message["args"][0]["id"]) for message in alone) == sorted(
        [("notifications.on_event", bad["id"]), ("notifications.on_event", unhandled["id"])])


def test_a_batch_whose_unit_of_work_fails_sends_each_event_alone_and_the_bad_one_fails_alone(
        notifications_app, broker, notifications_worker):
    db = notifications_app.extensions["db"]
    batch = [_envelope(account_id=number, email=f"h{number}@example.org") for number in range(4)]
    poisoned = batch[2]["id"]
    original = HANDLERS[("account.registered", 1)]

    def fails_on_one(session, event):
        if event.id == poisoned:
            raise RuntimeError("a handler's bug, on one event")
        original(session, event)

    handlers = {**HANDLERS, ("account.registered", 1): fails_on_one}
    assert consume_batch(db, handlers, batch, notifications_actors.on_event) == []
    assert _count(db, ProcessedEvent) == 0  # nothing of the batch is kept

    # The worker (the real handlers) applies each alone; here the "bad" one is fine, so all are applied.
    wait_until(lambda: _count(db, ProcessedEvent) == 4, message="the four events, each alone")
    assert _count(db, Delivery) == 4


def test_a_worker_applies_a_relayed_batch_once(grants_app, notifications_app, broker, notifications_worker):
    from shared.core.outbox import Relay, publish

    grants = grants_app.extensions["db"]
    with grants.unit_of_work() as session:
        for number in range(7):
            publish(session, "grants", "account.registered", 1, {
                **_envelope()["payload"], "account_id": number, "email": f"r{number}@example.org"})
    relay = Relay(grants, broker, events_per_message=3)
    broker.declare_queue("notifications")
    broker.client.delete(f"{broker.namespace}:notifications.msgs")  # nothing but what the relay sends

    assert relay.relay_batch() == 7

    db = notifications_app.extensions["db"]
    wait_until(lambda: _count(db, ProcessedEvent) == 7, message="the seven events")
    assert _count(db, Delivery) == 7
