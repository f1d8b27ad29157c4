"""The indicators report's survival tables are computed in a child process of the web process
(services/grants/indicators.py, shared/core/child_process.py): the same figures as scipy in
process, on PostgreSQL and on SQLite (make run); the web process imports neither numpy nor scipy;
a killed child is replaced; a child that cannot answer gives the same refusal on the API and the
page, in French and English."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from services.grants import impact, indicators, survival
from services.grants.models import SupportedFirm
from tests.conftest import process_alive, sqlite_database, wait_until
from tests.integration.grants.impact_setup import siren
from tests.integration.grants.test_impact_api import NOW, _checked, seed_history
from tests.people import person, sign_in

ROOT = Path(__file__).resolve().parents[3]
START, END = date(2019, 1, 1), date(2026, 12, 31)
REPORT = "/api/manage/impact/report?from=2019&to=2026"


def seed(database) -> None:
    """seed_history's firms (grant, and grant with crowdfunding; a comparison group), firms
    supported by crowdfunding alone in 2021, one of them closed, and one firm the registry says
    nothing of, closed by a manual status."""
    seed_history(SimpleNamespace(extensions={"db": database}), compared=15)
    with database.unit_of_work() as session:
        for number in range(12):
            firm = impact.record_support(session, {"legal_name": f"Studio {number}", "siren": siren(300 + number)},
                                         "crowdfunding", date(2021, 3, 1 + number), 150_000, f"campaign:c{number}",
                                         now=NOW, schedule=False).firm
            _checked(session, firm, NOW, date(2023, 5, 2) if number % 4 == 0 else None)
        unlisted = impact.record_support(session, {"legal_name": "Association", "rna": "W631000123"}, "grant",
                                         date(2020, 2, 3), 300_000, "award:unlisted", now=NOW, schedule=False).firm
        impact.record_manual_status(session, unlisted.id, {"status": "ceased", "closed_on": date(2022, 8, 1),
                                                           "source": "Le journal officiel", "known_on": date(2022, 9, 1)},
                                    NOW, None)


def in_process(session) -> dict:
    """The tables as scipy gives them in this process, from each firm's follow-up (the rule of
    impact.follow_up) through survival.py's FirmFollowUp functions: the reference."""
    supported, kinds, compared = [], [], []
    for firm in session.scalars(select(SupportedFirm)):
        known = impact.follow_up(firm.registry_status, firm.registry_closed_on, firm.last_checked_on,
                                 firm.manual_status, firm.manual_closed_on, firm.manual_on)
        origin = firm.first_support_on or firm.comparison_since
        if not known.known or not START <= origin <= END:
            continue
        closed = max(known.closed_on, origin) if known.closed_on else None
        follow = survival.FirmFollowUp(origin, closed, closed or max(known.last_known_on or origin, origin))
        if firm.first_support_on is None:
            compared.append(follow)
        else:
            supported.append(follow)
            kinds.append("both" if firm.has_grant and firm.has_crowdfunding else
                         "grant" if firm.has_grant else "crowdfunding")
    by_kind = survival.survival_by(supported, kinds)
    return {
        "supported": survival.survival(supported),
        "comparison": survival.survival(compared),
        "by_cohort": [indicators.SurvivalGroup(f"cohort:{year}", table)
                      for year, table in survival.survival_by_cohort(supported).items()],
        "by_kind": [indicators.SurvivalGroup(f"kind:{kind}", by_kind[kind]) for kind in survival.KINDS if kind in by_kind],
    }


def assert_same_tables(computed: dict, reference: dict) -> None:
    for name in ("supported", "comparison", "by_cohort", "by_kind"):
        assert computed[name] == reference[name], name
    assert [g.key for g in computed["by_cohort"]] == ["cohort:2019", "cohort:2020", "cohort:2021"]
    assert [g.key for g in computed["by_kind"]] == ["kind:grant", "kind:crowdfunding", "kind:both"]
    assert computed["supported"].closures >= 8 and computed["supported"].at(3).stated


def test_the_tables_from_the_child_are_scipys_in_process_on_postgresql(grants_app):
    database = grants_app.extensions["db"]
    seed(database)
    with database.unit_of_work() as session:
        computed = indicators.survival_tables(session, START, END)
        reference = in_process(session)
    assert_same_tables(computed, reference)
    assert computed["not_followed"] == 0
    assert indicators.ESTIMATES.pid not in (None, os.getpid())


def test_the_tables_from_the_child_are_scipys_in_process_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("GRANTS_DOCUMENTS_DIR", str(tmp_path / "documents"))
    with sqlite_database(tmp_path, "grants") as database:
        seed(database)
        with database.unit_of_work() as session:
            computed = indicators.survival_tables(session, START, END)
            reference = in_process(session)
            whole = indicators.report(session, 2019, 2026)
    assert_same_tables(computed, reference)
    assert whole.supported == reference["supported"]


def test_the_web_process_imports_neither_numpy_nor_scipy(grants_app):
    """The grants app in a process of its own, as gunicorn's worker runs it: the report through
    the API and the page, then what that process has imported."""
    seed(grants_app.extensions["db"])
    with grants_app.extensions["db"].unit_of_work() as session:
        reference = in_process(session)["supported"].at(3)
    script = textwrap.dedent("""
        import json, os, sys
        from services.grants import indicators
        from services.grants.app import create_app
        from tests.people import bearer, person, sign_in

        app = create_app({"TESTING": True})
        client = app.test_client()
        manager = person(app, "manager@example.org", ["fund_manager"], "Manon")
        api = client.get("%s", headers=bearer(manager))
        sign_in(client, manager)
        page = client.get("/manage/impact?from=2019&to=2026")
        csv = client.get("/manage/impact/report/survival.csv?from=2019&to=2026")
        print(json.dumps({
            "statuses": [api.status_code, page.status_code, csv.status_code],
            "three": api.get_json()["survival"]["supported"]["points"][2],
            "loaded": sorted(name for name in sys.modules if name.split(".")[0] in ("numpy", "scipy")),
            "child": indicators.ESTIMATES.pid, "web": os.getpid()}))
        app.extensions["db"].dispose()
    """) % REPORT
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["statuses"] == [200, 200, 200]
    assert found["loaded"] == []
    assert found["child"] not in (None, found["web"])
    three = found["three"]
    assert (three["survival"], three["low"], three["high"], three["at_risk"]) == (
        reference.survival, reference.low, reference.high, reference.at_risk)


def test_a_killed_child_is_replaced_and_the_next_report_is_the_same(grants_app, manager):
    seed(grants_app.extensions["db"])
    client = grants_app.test_client()
    first = client.get(REPORT, headers=manager)
    assert first.status_code == 200
    killed = indicators.ESTIMATES.pid
    os.kill(killed, signal.SIGKILL)
    wait_until(lambda: not process_alive(killed), message="the child gone")
    again = client.get(REPORT, headers=manager)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["survival"] == first.get_json()["survival"]
    assert indicators.ESTIMATES.pid not in (None, killed)


@pytest.fixture
def estimate_cannot_answer(monkeypatch):
    """The estimate's process given no time at all (IMPACT_ESTIMATE_TIMEOUT_SECONDS=0): every
    call is refused, as when its child cannot answer."""
    indicators.ESTIMATES.stop()
    monkeypatch.setenv("IMPACT_ESTIMATE_TIMEOUT_SECONDS", "0")
    yield
    monkeypatch.delenv("IMPACT_ESTIMATE_TIMEOUT_SECONDS")


def test_when_the_estimate_cannot_answer_the_api_refuses_with_a_503(grants_app, manager, estimate_cannot_answer):
    seed_history(grants_app)
    answer = grants_app.test_client().get(REPORT, headers=manager)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    assert answer.get_json() == {"code": 503, "status": "Service Unavailable",
                                 "message": indicators.ESTIMATE_UNAVAILABLE, "errors": {}}
    table = grants_app.test_client().get("/api/manage/impact/report/survival.csv?from=2019&to=2026", headers=manager)
    assert table.status_code == 503 and table.get_json()["message"] == indicators.ESTIMATE_UNAVAILABLE


def test_when_the_estimate_cannot_answer_the_page_says_so_in_french_and_english(grants_app, estimate_cannot_answer):
    seed_history(grants_app)
    client = grants_app.test_client()
    sign_in(client, person(grants_app, "manager@example.org", ["fund_manager"], "Manon"))
    page = client.get("/manage/impact?from=2019&to=2026")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert ("L'estimation de la survie est indisponible pour le moment : réessayez dans quelques minutes."
            in page.get_data(as_text=True).replace("&#39;", "'"))
    table = client.get("/manage/impact/report/survival.csv?from=2019&to=2026")
    assert table.status_code == 503
    assert "réessayez dans quelques minutes" in table.get_data(as_text=True)
    english = client.get("/manage/impact?from=2019&to=2026&lang=en")
    assert english.status_code == 503 and indicators.ESTIMATE_UNAVAILABLE in english.get_data(as_text=True)
