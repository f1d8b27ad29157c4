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


def test_the_demo_has_a_call_in_review_with_two_jurors_however_often_it_runs(accounts_app, grants_app):
    from services.grants import jury
    from services.grants.models import Application, ConflictFlag

    settings = accounts_app.config["SETTINGS"]
    with accounts_app.extensions["db"].unit_of_work() as session:
        people = accounts_demo.seed(session, settings)
    with accounts_app.extensions["db"].unit_of_work() as session:
        assert accounts_demo.seed(session, settings) == people
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        first = demo.seed(session, people=people)
    with db.unit_of_work() as session:
        assert demo.seed(session, people=people) == first
    bruno, claire = (juror["account_id"] for juror in people["jurors"])
    with db.unit_of_work() as session:
        assert _count(session, Call) == 2 and _count(session, Application) == 4
        call = session.get(Call, first["review_call_id"])
        assert call.status == "in_review" and demo.REVIEW_CALL_TITLE_FR == call.title_fr
        assert [profile.account_id for profile in jury.panel(session, call.id)] == [bruno, claire]
        [flag] = session.scalars(select(ConflictFlag)).all()
        assert (flag.juror_id, flag.rule, flag.status) == (claire, "same_siren", "open")
        progress = {row.juror.account_id: (row.assigned, row.submitted) for row in jury.progress(session, call.id)}
        assert progress == {bruno: (4, 4), claire: (3, 0)}
        assert [row.rank for row in jury.call_ranking(session, call.id).ranking.rows] == [1, 2, 3, 4]
    # The open call alone is offered to applicants; the jurors sign in with the demo password.
    assert [c["id"] for c in grants_app.test_client().get("/api/calls").get_json()] == [first["call_id"]]
    for juror in accounts_demo.JURORS:
        token = accounts_app.test_client().post(
            "/api/auth/token", json={"email": juror["email"], "password": accounts_demo.JUROR_PASSWORD})
        assert token.status_code == 200
