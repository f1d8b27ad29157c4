"""The scheduled registry checks: by dramatiq delayed messages through the real worker and Redis
(nothing polls), each answer kept, the firm's status following the latest; a 429 sent again
after its Retry-After, a timeout after a backoff; a message delivered twice checks once."""
import os
import uuid
from datetime import date, datetime, timedelta, timezone

import requests
from sqlalchemy import select

from services.grants import impact
from services.grants.models import RegistryCheck, SupportedFirm
from services.grants.registry import Registry, RegistrySettings
from shared.core.pacing import Pace
from tests import registry_answers as answers
from tests.conftest import wait_until
from tests.integration.grants.impact_setup import (  # noqa: F401  (fixtures)
    SEARCH,
    answer,
    grants_worker,
    registry_api,
    siren,
    unit_answer,
)


def _checks(grants_app, firm_id):
    with grants_app.extensions["db"].unit_of_work() as session:
        return [(c.status, c.closed_on, c.checked_at) for c in session.scalars(
            select(RegistryCheck).where(RegistryCheck.firm_id == firm_id).order_by(RegistryCheck.id))]


def _supported(grants_app, number, name="Atelier"):
    with grants_app.extensions["db"].unit_of_work() as session:
        return impact.record_support(session, {"legal_name": name, "siren": number}, "grant", date(2024, 1, 15),
                                     500_000, f"award:{uuid.uuid4().hex[:8]}").firm_id


def test_a_firm_is_checked_again_after_the_interval_and_the_history_shows_when_it_closed(
        grants_app, broker, grants_worker, registry_api, monkeypatch):
    monkeypatch.setenv("IMPACT_CHECK_INTERVAL_SECONDS", "1")
    number = siren(3)
    # First answer active, then ceased (responses answers in order, the last one again after).
    answer(registry_api, number, unit_answer(number, "ATELIER", "2019-02-01"))
    answer(registry_api, number, unit_answer(number, "ATELIER", "2019-02-01", closed="2026-05-31"))
    firm_id = _supported(grants_app, number)

    checks = wait_until(lambda: (lambda c: c if len(c) >= 2 else None)(_checks(grants_app, firm_id)), timeout=30,
                        message="two checks")
    (first, _, first_at), (second, closed_on, second_at) = checks[:2]
    assert (first, second, closed_on) == ("active", "ceased", date(2026, 5, 31))
    assert second_at - first_at >= timedelta(seconds=1)  # the interval, as scheduled
    with grants_app.extensions["db"].unit_of_work() as session:
        firm = session.get(SupportedFirm, firm_id)
        assert (firm.registry_status, firm.registry_closed_on) == ("ceased", date(2026, 5, 31))
        assert firm.next_check_at > second_at  # the next one is scheduled


def test_a_429_is_tried_again_after_its_retry_after(grants_app, broker, grants_worker, registry_api):
    number = siren(4)
    answer(registry_api, number, answers.TOO_MANY, status=429, headers={"Retry-After": "1"})
    answer(registry_api, number, unit_answer(number, "STUDIO", "2021-09-09"))
    firm_id = _supported(grants_app, number)

    [(status, _, _)] = wait_until(lambda: _checks(grants_app, firm_id), timeout=30, message="the check after the 429")
    assert status == "active"
    assert [call.response.status_code for call in registry_api.calls if number in call.request.url] == [429, 200]


def _registry():
    pace = Pace(os.environ["REDIS_URL"], f"registry-{uuid.uuid4().hex[:6]}", 7, namespace=os.environ["DRAMATIQ_NAMESPACE"])
    return Registry(pace, RegistrySettings(timeout_seconds=0.5))


def test_a_timeout_is_tried_again_later_and_a_message_delivered_twice_checks_once(grants_app, registry_api):
    db = grants_app.extensions["db"]
    number = siren(5)
    firm_id = _supported(grants_app, number)  # no worker here: the messages wait in Redis
    with db.unit_of_work() as session:
        due = session.get(SupportedFirm, firm_id).next_check_at
    token, now = impact._token(due), due + timedelta(seconds=1)

    registry_api.add("GET", SEARCH, body=requests.exceptions.ReadTimeout("read timed out"))
    run = impact.run_check(db, _registry(), firm_id, token, now)
    assert (run.outcome, run.retry_in) == ("retry", 30.0)
    assert _checks(grants_app, firm_id) == []

    registry_api.replace("GET", SEARCH, body=unit_answer(number, "ATELIER", "2019-02-01"),
                         content_type="application/json")
    assert impact.run_check(db, _registry(), firm_id, token, now, attempt=1).outcome == "checked"
    # The same message again (dramatiq delivers at least once): its token is spent.
    assert impact.run_check(db, _registry(), firm_id, token, now).outcome == "stale"
    assert [status for status, _, _ in _checks(grants_app, firm_id)] == ["active"]
    # The next one is due after the interval: its message, delivered early, waits.
    with db.unit_of_work() as session:
        following = session.get(SupportedFirm, firm_id).next_check_at
    assert following - now >= timedelta(days=29)
    waiting = impact.run_check(db, _registry(), firm_id, impact._token(following), now)
    assert waiting.outcome == "waiting"
    assert len(_checks(grants_app, firm_id)) == 1
