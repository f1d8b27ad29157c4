"""Idempotent consumption: the effect and the event id commit together, once."""
import pytest
from sqlalchemy import func, select

from services.notifications.deliveries import HANDLERS
from services.notifications.models import Delivery
from shared.core import events
from shared.core.consumer import ProcessedEvent, consume


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

    def broken(session, envelope):
        HANDLERS["account.registered"](session, envelope)
        raise RuntimeError("failed after writing")

    with pytest.raises(RuntimeError):
        consume(db, {"account.registered": broken}, envelope)
    assert _count(db, ProcessedEvent) == 0 and _count(db, Delivery) == 0
    assert consume(db, HANDLERS, envelope) is True
    assert _count(db, Delivery) == 1


def test_event_breaking_its_contract_is_refused(notifications_app):
    db = notifications_app.extensions["db"]
    with pytest.raises(events.EventContractError):
        consume(db, HANDLERS, _envelope(email="not an email"))
    assert _count(db, ProcessedEvent) == 0
