"""The demo `make run` seeds in grants: one fund, one open call, however often it runs (the demo
fund manager is the accounts service's demo, tested there)."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from services.accounts import demo as accounts_demo
from services.grants import demo
from services.grants.calls import accepts_applications
from services.grants.models import Call, Fund
from shared.core.clock import to_paris
from tests.people import bearer, person


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_seed_twice_makes_one_fund_one_open_call(grants_app):
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        first = demo.seed(session)
    with db.unit_of_work() as session:
        second = demo.seed(session)
    assert first == second
    with db.unit_of_work() as session:
        assert (_count(session, Fund), _count(session, Call)) == (1, 1)
        fund = session.scalars(select(Fund)).one()
        assert (fund.name, fund.envelope_cents, fund.grants_objective) == (demo.FUND_NAME, 5_000_000, 5)
        call = session.scalars(select(Call)).one()
        assert call.status == "open" and accepts_applications(call, datetime.now(timezone.utc))
        closes = to_paris(call.closes_at)
        assert (closes.hour, closes.minute) == (18, 0)
        assert 41 <= (call.closes_at - datetime.now(timezone.utc)).days <= 42
        assert {"63000", "63100", "63830"} <= set(call.postal_codes) and call.min_other_funding_share_percent == 20
        assert [d["code"] for d in call.required_documents] == ["budget", "presentation"]
        assert len(call.scoring_grid) == 3

    client = grants_app.test_client()
    assert [c["id"] for c in client.get("/api/calls").get_json()] == [first["call_id"]]
    manager = person(grants_app, accounts_demo.MANAGER_EMAIL, ["fund_manager"])
    assert client.get("/api/manage/calls", headers=bearer(manager)).status_code == 200


def test_the_demo_fund_manager_signs_in_with_the_demo_password(accounts_app):
    with accounts_app.extensions["db"].unit_of_work() as session:
        first = accounts_demo.seed(session, accounts_app.config["SETTINGS"])
    with accounts_app.extensions["db"].unit_of_work() as session:
        assert accounts_demo.seed(session, accounts_app.config["SETTINGS"]) == first
    token = accounts_app.test_client().post(
        "/api/auth/token", json={"email": accounts_demo.MANAGER_EMAIL, "password": accounts_demo.MANAGER_PASSWORD})
    assert token.status_code == 200
