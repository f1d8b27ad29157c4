"""Impact through the API: the report's figures on a seeded history (and the same in its CSV
tables), the manual status, the referent's records and the advice requests; every route refuses
the roles it is not for, and bad input changes nothing."""
import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from services.grants import impact
from services.grants.models import AdviceRequest, AdviceSession, AlternativeFunding, ManualStatus, SupportedFirm
from services.grants.registry import read_answer
from shared.core.outbox import OutboxMessage
from tests import registry_answers as answers
from tests.integration.grants.applicant_setup import manager
from tests.integration.grants.impact_setup import siren
from tests.people import bearer, person

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _checked(session, firm, at: datetime, closed: date | None = None) -> None:
    body = answers.page(answers._unit(firm.siren, firm.legal_name, "C" if closed else "A", "2018-01-01",
                                      closed.isoformat() if closed else None))
    impact.record_check(session, firm, read_answer(firm.siren, 200, body, url="https://registry/search"), at)


def seed_history(app, *, supported: int = 24, closed_every: int = 4, compared: int = 12) -> None:
    """`supported` firms with a grant in 2019 (each closes 2 years after its support when its number
    is a multiple of `closed_every`, the others checked active on NOW), and `compared` firms of the
    comparison group, from 2019 too, of which one in three closed after a year."""
    with app.extensions["db"].unit_of_work() as session:
        for number in range(supported):
            on = date(2019, 1 + number % 12, 1)
            firm = impact.record_support(session, {"legal_name": f"Firme {number}", "siren": siren(100 + number)},
                                         "grant", on, 500_000, f"award:{number}", now=NOW, schedule=False).firm
            if number % 3 == 0:
                impact.record_support(session, {"legal_name": f"Firme {number}", "siren": firm.siren}, "crowdfunding",
                                      on + timedelta(days=40), 200_000, f"campaign:{number}", now=NOW, schedule=False)
            closing = on.replace(year=on.year + 2) if number % closed_every == 0 else None
            _checked(session, firm, NOW, closing)
        for number in range(compared):
            firm = impact.record_comparison(session, {"legal_name": f"Témoin {number}", "siren": siren(500 + number)},
                                            date(2019, 6, 1), now=NOW, schedule=False)
            _checked(session, firm, NOW, date(2020, 6, 1) if number % 3 == 0 else None)


@pytest.fixture
def referent(grants_app):
    return bearer(person(grants_app, "rita@tremplin.example", ["referent"], "Rita Référente"))


def test_the_report_gives_the_survival_with_its_interval_beside_the_baselines_and_the_comparison_group(
        grants_app, manager, referent):
    seed_history(grants_app, compared=15)
    client = grants_app.test_client()

    for headers in (manager, referent):
        answer = client.get("/api/manage/impact/report?from=2019&to=2026", headers=headers)
        assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    supported = report["survival"]["supported"]
    assert (supported["firms"], supported["closures"]) == (24, 6)
    one, two, three = supported["points"][:3]
    assert (one["survival"], one["at_risk"], one["closures"]) == (None, 24, 0)  # no closure in the first year
    assert one["reason"] == "no_closure_yet"
    # Six of 24 closed exactly two years in: S = 18/24 from then on, with its log-log interval.
    assert three["survival"] == pytest.approx(0.75) and three["at_risk"] == 18 and three["closures"] == 6
    assert three["low"] < 0.75 < three["high"] and 0.5 < three["low"] and three["high"] < 0.9
    five = supported["points"][4]
    assert five["survival"] == pytest.approx(0.75) and five["at_risk"] == 18
    compared = report["survival"]["comparison"]
    assert (compared["firms"], compared["closures"]) == (15, 5)
    assert compared["points"][1]["survival"] == pytest.approx(10 / 15) and compared["points"][1]["at_risk"] == 10
    assert report["survival"]["baselines"] == [
        {"cohort": 2014, "survival": 0.61, "source": "Insee Première n°1852"},
        {"cohort": 2018, "survival": 0.69, "source": "Insee Première n°2070"}]
    assert [(k["kind"], k["firms"]) for k in report["survival"]["by_kind"]] == [("grant", 16), ("both", 8)]
    assert [(c["cohort"], c["firms"]) for c in report["survival"]["by_cohort"]] == [(2019, 24)]
    assert supported["curve"]["years"][0] == 0 and supported["curve"]["survival"][0] == 1
    # The same figures in the CSV table, one row per group and horizon.
    table = client.get("/api/manage/impact/report/survival.csv?from=2019&to=2026", headers=manager)
    assert table.status_code == 200 and table.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    row = next(r for r in rows if r["group"] == "supported" and r["years"] == "3")
    assert (row["survival"], row["at_risk"], row["closures"]) == ("0.7500", "18", "6")
    assert float(row["low"]) == pytest.approx(three["low"], abs=1e-4)
    assert {r["group"] for r in rows} >= {"supported", "comparison", "cohort:2019", "kind:grant", "kind:both"}


def test_too_few_firms_give_no_figure_but_say_why(grants_app, manager):
    seed_history(grants_app, supported=6, compared=0)
    report = grants_app.test_client().get("/api/manage/impact/report?from=2019&to=2026", headers=manager).get_json()
    points = report["survival"]["supported"]["points"]
    assert {(p["survival"], p["low"], p["high"], p["reason"]) for p in points} == {(None, None, None, "too_few_at_risk")}
    assert report["survival"]["comparison"]["firms"] == 0


def test_outputs_against_objectives_and_the_alternative_funding_in_the_report(grants_app, manager, referent):
    client = grants_app.test_client()
    with grants_app.extensions["db"].unit_of_work() as session:
        impact.record_support(session, {"legal_name": "Studio", "siren": siren(1)}, "matchfunding", date(2025, 7, 3),
                              120_000, "match:campaign:3", now=NOW, schedule=False)
        impact.record_support(session, {"legal_name": "Label", "siren": siren(2)}, "grant", date(2025, 4, 3),
                              800_000, "award:3", now=NOW, schedule=False)
    recorded = client.post("/api/referent/alternative-funding", headers=referent, json={
        "organisation": "Studio", "kind": "bpifrance", "amount_cents": 3_000_000, "obtained_on": "2025-03-01",
        "source": "Bpifrance, prêt d'honneur"})
    assert recorded.status_code == 201, recorded.get_json()
    held = client.post("/api/referent/advice/sessions", headers=referent, json={
        "organisation": "Studio", "held_on": "2025-02-10", "mechanisms": ["bpifrance", "patronage"], "notes": "Bien"})
    assert held.status_code == 201, held.get_json()

    report = client.get("/api/manage/impact/report?from=2024&to=2026", headers=manager).get_json()
    assert [(o["year"], o["grants"], o["objective"]) for o in report["outputs"]] == [
        (2024, 0, 5), (2025, 1, 10), (2026, 0, 10)]
    assert [m for m in report["matchfunding"] if m["matches"]] == [{"year": 2025, "matches": 1, "amount_cents": 120_000}]
    assert report["referent"]["sessions_held"] == 1
    by_mechanism = {m["mechanism"]: m["sessions"] for m in report["referent"]["sessions_by_mechanism"]}
    assert (by_mechanism["bpifrance"], by_mechanism["patronage"], by_mechanism["bank_loan"]) == (1, 1, 0)
    funding = {f["kind"]: (f["count"], f["amount_cents"]) for f in report["referent"]["funding_obtained"]}
    assert funding["bpifrance"] == (1, 3_000_000)
    outputs = client.get("/api/manage/impact/report/outputs.csv?from=2024&to=2026", headers=manager)
    assert outputs.get_data(as_text=True).splitlines() == [
        "year,grants,amount_cents,objective", "2024,0,0,5", "2025,1,800000,10", "2026,0,0,10"]


def test_only_fund_managers_and_the_referent_see_the_report(grants_app):
    client = grants_app.test_client()
    for roles in (["applicant"], ["juror"], ["backer"], ["campaign_owner"]):
        headers = bearer(person(grants_app, f"{roles[0]}@example.org", roles, "Someone"))
        for path in ("/api/manage/impact/report", "/api/manage/impact/report/outputs.csv", "/api/manage/impact/firms"):
            assert client.get(path, headers=headers).status_code == 403
    assert client.get("/api/manage/impact/report").status_code == 401
    referent = bearer(person(grants_app, "rita@example.org", ["referent"], "Rita"))
    assert client.get("/api/manage/impact/firms", headers=referent).status_code == 403  # the firms: fund managers


def test_bad_report_years_and_an_unknown_table_are_refused(grants_app, manager):
    client = grants_app.test_client()
    answer = client.get("/api/manage/impact/report?from=2026&to=2020", headers=manager)
    assert answer.status_code == 422 and "to" in answer.get_json()["errors"]["json"]
    assert client.get("/api/manage/impact/report?from=abc", headers=manager).status_code == 422
    assert client.get("/api/manage/impact/report/secrets.csv", headers=manager).status_code == 404


def test_a_manual_status_for_a_firm_the_registry_cannot_answer_for(grants_app, manager):
    with grants_app.extensions["db"].unit_of_work() as session:
        firm_id = impact.record_support(session, {"legal_name": "Ciné Volcans", "rna": "W631000123"}, "grant",
                                        date(2023, 3, 1), 500_000, "award:5", now=NOW).firm_id
    client = grants_app.test_client()
    path = f"/api/manage/impact/firms/{firm_id}/status"

    refused = client.post(path, headers=manager, json={"status": "ceased", "source": "Journal officiel"})
    assert refused.status_code == 422 and "closed_on" in refused.get_json()["errors"]["json"]
    assert client.post(path, headers=manager, json={"status": "asleep", "source": "x"}).status_code == 422
    assert client.post(path, headers=manager, json={"status": "active", "source": " "}).status_code == 422
    assert client.post("/api/manage/impact/firms/999/status", headers=manager,
                       json={"status": "active", "source": "x"}).status_code == 404
    applicant = bearer(person(grants_app, "ana@example.org", ["applicant"], "Ana"))
    assert client.post(path, headers=applicant, json={"status": "active", "source": "x"}).status_code == 403
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ManualStatus)) == 0

    recorded = client.post(path, headers=manager, json={
        "status": "ceased", "closed_on": "2025-06-30", "known_on": "2025-07-15",
        "source": "Dissolution publiée au Journal officiel des associations, 15 juillet 2025"})
    assert recorded.status_code == 201, recorded.get_json()
    firm = client.get(f"/api/manage/impact/firms/{firm_id}", headers=manager).get_json()
    assert (firm["manual_status"], firm["closed_on"], firm["group"]) == ("ceased", "2025-06-30", "supported")
    assert [s["source"] for s in firm["manual_statuses"]][0].startswith("Dissolution")
    assert firm["checks"] == [] and firm["next_check_at"] is None  # no SIREN: never sent to the registry
    # The survival reads it: a closure two years and four months after the support.
    with grants_app.extensions["db"].unit_of_work() as session:
        assert impact.firm_follow_up(session.get(SupportedFirm, firm_id)).closed_on == date(2025, 6, 30)


def test_advice_requests_reach_the_referents_queue_and_a_session_answers_them(grants_app, referent):
    client = grants_app.test_client()
    person(grants_app, "rita@tremplin.example", ["referent"], "Rita Référente", "en")
    ana = bearer(person(grants_app, "ana@example.org", ["applicant"], "Ana"))

    refused = client.post("/api/advice/requests", headers=ana, json={"organisation": "", "project": "x",
                                                                     "mechanisms": ["lottery"]})
    assert refused.status_code == 422 and {"organisation", "mechanisms"} <= set(refused.get_json()["errors"]["json"])
    assert client.post("/api/advice/requests", json={"organisation": "Studio", "project": "x"}).status_code == 401
    asked = client.post("/api/advice/requests", headers=ana, json={
        "organisation": "Studio Basalte", "siren": "552 100 554", "project": "Un album et sa tournée.",
        "mechanisms": ["crowdfunding", "bank_loan"]})
    assert asked.status_code == 201, asked.get_json()
    request_id = asked.get_json()["id"]
    with grants_app.extensions["db"].unit_of_work() as session:
        [event] = session.scalars(select(OutboxMessage).where(OutboxMessage.name == "advice.requested")).all()
    assert event.payload["recipients"] == [{"email": "rita@tremplin.example", "name": "Rita Référente", "language": "en"}]
    assert event.payload["mechanisms"] == ["crowdfunding", "bank_loan"] and event.payload["requester_name"] == "Ana"

    assert client.get("/api/referent/advice/requests", headers=ana).status_code == 403
    queue = client.get("/api/referent/advice/requests?status=open", headers=referent).get_json()
    assert [(r["id"], r["requester_email"], r["siren"]) for r in queue] == [(request_id, "ana@example.org", "552100554")]

    future = (datetime.now(timezone.utc) + timedelta(days=3)).date().isoformat()
    assert client.post("/api/referent/advice/sessions", headers=referent, json={
        "request_id": request_id, "held_on": future, "mechanisms": ["crowdfunding"]}).status_code == 422
    assert client.post("/api/referent/advice/sessions", headers=referent, json={
        "request_id": request_id, "held_on": "2026-11-02", "mechanisms": []}).status_code == 422
    assert client.post("/api/referent/advice/sessions", headers=ana, json={
        "request_id": request_id, "held_on": "2026-11-02", "mechanisms": ["crowdfunding"]}).status_code == 403
    held = client.post("/api/referent/advice/sessions", headers=referent, json={
        "request_id": request_id, "held_on": "2026-11-02", "mechanisms": ["crowdfunding", "foundation"],
        "notes": "Une campagne de dons, puis la Fondation de France."})
    assert held.status_code == 201, held.get_json()
    assert held.get_json()["organisation"] == "Studio Basalte"
    again = client.post("/api/referent/advice/sessions", headers=referent, json={
        "request_id": request_id, "held_on": "2026-11-02", "mechanisms": ["crowdfunding"]})
    assert again.status_code == 409
    assert client.get("/api/referent/advice/requests?status=open", headers=referent).get_json() == []
    assert [r["status"] for r in client.get("/api/advice/requests", headers=ana).get_json()] == ["answered"]

    funding = {"organisation": "Studio Basalte", "kind": "foundation", "amount_cents": 1_500_000,
               "obtained_on": "2026-11-20", "source": "Fondation de France", "session_id": held.get_json()["id"]}
    assert client.post("/api/referent/alternative-funding", headers=referent,
                       json={**funding, "kind": "lottery"}).status_code == 422
    assert client.post("/api/referent/alternative-funding", headers=referent,
                       json={**funding, "amount_cents": -5}).status_code == 422
    assert client.post("/api/referent/alternative-funding", headers=referent,
                       json={**funding, "session_id": 999}).status_code == 404
    assert client.post("/api/referent/alternative-funding", headers=ana, json=funding).status_code == 403
    recorded = client.post("/api/referent/alternative-funding", headers=referent, json=funding)
    assert recorded.status_code == 201, recorded.get_json()
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(AlternativeFunding)) == 1
        assert session.scalar(select(func.count()).select_from(AdviceSession)) == 1
        assert session.scalar(select(AdviceRequest.status)) == "answered"


def test_the_referent_gets_the_request_by_email(grants_app, notifications_app, notifications_worker, broker, inbox):
    from shared.core.outbox import Relay
    from tests.conftest import wait_until

    person(grants_app, "rita@tremplin.example", ["referent"], "Rita Référente")
    ana = bearer(person(grants_app, "ana@example.org", ["applicant"], "Ana"))
    asked = grants_app.test_client().post("/api/advice/requests", headers=ana, json={
        "organisation": "Studio Basalte", "project": "Un album et sa tournée.", "mechanisms": ["patronage"]})
    assert asked.status_code == 201
    Relay(grants_app.extensions["db"], broker).relay_batch()

    [message] = wait_until(lambda: inbox.messages, message="the referent's email")
    assert message["To"] == "Rita Référente <rita@tremplin.example>"
    assert message["Subject"] == "Demande de conseil : « Studio Basalte »"
    body = message.get_body(("plain",)).get_content()
    assert "Ana (ana@example.org)" in body and "mécénat" in body and "/referent/advice" in body
