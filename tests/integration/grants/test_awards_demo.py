"""The awards' demo `make run` seeds: applicants with accounts, and in grants a decided call with
two awards (one accepted, its first tranche paid) and an application not selected, so that the
fund's dashboard is not empty; however often it runs."""
from sqlalchemy import func, select

from services.accounts import demo as accounts_demo
from services.grants import awards, demo
from services.grants.models import Application, Award, Call, Fund, Outcome
from tests.people import bearer, person


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_the_awards_demo_fills_the_dashboard_once(accounts_app, grants_app):
    with accounts_app.extensions["db"].unit_of_work() as session:
        applicants = accounts_demo.seed_award_applicants(session, accounts_app.config["SETTINGS"])
    with accounts_app.extensions["db"].unit_of_work() as session:
        assert accounts_demo.seed_award_applicants(session, accounts_app.config["SETTINGS"]) == applicants
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        demo.seed(session)
        first = demo.seed_decided_call(session, applicants)
    with db.unit_of_work() as session:
        assert demo.seed_decided_call(session, applicants) == first
        assert (_count(session, Fund), _count(session, Call), _count(session, Application)) == (1, 2, 3)
        call = session.get(Call, first["call_id"])
        assert call.status == "decided" and call.fund_id == first["fund_id"]
        assert sorted(o.outcome for o in session.scalars(select(Outcome))) == ["awarded", "awarded", "not_selected"]
        assert sorted(a.status for a in session.scalars(select(Award))) == ["accepted", "granted"]
        figures = awards.fund_figures(session, first["fund_id"])
        assert (figures.committed_cents, figures.paid_cents, figures.grants, figures.accepted) == (
            1_400_000, 560_000, 2, 1)
        assert figures.remaining_cents == 5_000_000 - 1_400_000
    # The demo fund manager reads it; the first demo applicant signs in to their award.
    manager = person(grants_app, accounts_demo.MANAGER_EMAIL, ["fund_manager"])
    client = grants_app.test_client()
    dashboard = client.get(f"/api/manage/funds/{first['fund_id']}/dashboard", headers=bearer(manager)).get_json()
    open_call, decided = dashboard["calls"]  # in the order they were made
    assert (open_call["received"], decided["received"], decided["awarded"], decided["awarded_cents"]) == (
        0, 3, 2, 1_400_000)
    ana = person(grants_app, applicants[0]["email"], ["applicant"], applicants[0]["name"])
    [mine] = client.get("/api/awards", headers=bearer(ana)).get_json()
    assert mine["status"] == "accepted" and mine["iban_masked"] == "FR14 •••• 2606"
    token = accounts_app.test_client().post("/api/auth/token", json={
        "email": applicants[0]["email"], "password": accounts_demo.APPLICANT_PASSWORD})
    assert token.status_code == 200
