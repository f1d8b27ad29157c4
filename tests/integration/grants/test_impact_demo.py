"""Impact's demo: about 60 supported firms since 2019 (some closed) with their registry checks, a
comparison group, referent sessions, every row marked demo; the stand-in registry answers for
the same firms; once however often it runs; never on a database that follows real firms."""
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from services.grants import demo, impact, indicators
from services.grants.models import AdviceSession, RegistryCheck, SupportedFirm
from services.grants.registry_standin import create_app as standin_app


def test_the_demo_gives_a_report_with_real_curves_and_the_standin_answers_for_its_firms(grants_app, tmp_path,
                                                                                     monkeypatch):
    firms_file = tmp_path / "registry-firms.json"
    monkeypatch.setenv("REGISTRY_STANDIN_FIRMS", str(firms_file))
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        assert demo.seed_impact(session)["firms"] == 84
    with db.unit_of_work() as session:
        assert demo.seed_impact(session) == {"firms": 0}  # once
        firms = session.scalars(select(SupportedFirm)).all()
        assert len(firms) == 84 and all(firm.demo for firm in firms)
        supported = [firm for firm in firms if firm.first_support_on]
        assert len(supported) == 60
        assert min(f.first_support_on for f in supported).year == 2019
        assert sum(1 for f in firms if f.registry_status == "ceased") >= 10
        assert session.scalar(select(func.count()).select_from(RegistryCheck)) > 150
        assert session.scalar(select(func.count()).select_from(AdviceSession)) == len(demo.DEMO_SESSIONS)
        assert all(f.next_check_at is not None for f in firms)  # the worker checks them against the stand-in
        report = indicators.report(session)
        closed = next(f for f in firms if f.registry_status == "ceased")
    assert report.year_from == 2019 and report.supported.firms >= 50 and report.supported.closures >= 5
    assert report.supported.at(3).stated and len(report.supported.curve.years) > 4
    assert report.comparison.firms >= 20

    records = json.loads(firms_file.read_text())
    assert len(records) == 84
    answer = standin_app(firms_file, max_per_second=0).test_client().get(f"/search?q={closed.siren}").get_json()
    [unit] = answer["results"]
    assert (unit["etat_administratif"], unit["date_fermeture"]) == ("C", closed.registry_closed_on.isoformat())


def test_the_demo_is_never_mixed_into_a_database_of_real_firms(grants_app, tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_STANDIN_FIRMS", str(tmp_path / "registry-firms.json"))
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        impact.record_support(session, {"legal_name": "Vraie SARL", "rna": "W631000999"}, "grant", date(2024, 1, 1),
                              100_000, "award:1")
    with pytest.raises(RuntimeError, match="real firms"):
        with db.unit_of_work() as session:
            demo.seed_impact(session)
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(SupportedFirm)) == 1
    assert not (tmp_path / "registry-firms.json").exists()


def test_seeding_again_after_the_demo_s_own_awardee_is_followed_changes_nothing(grants_app, tmp_path, monkeypatch):
    """`make run` a second time: the demo's decided call has made its awardee a supported firm
    (not marked demo) meanwhile, and the seed, already done, leaves everything as it is."""
    monkeypatch.setenv("REGISTRY_STANDIN_FIRMS", str(tmp_path / "registry-firms.json"))
    db = grants_app.extensions["db"]
    with db.unit_of_work() as session:
        assert demo.seed_impact(session)["firms"] == 84
        impact.record_support(session, {"legal_name": "Studio Basalte SARL", "siret": "55210055400013"}, "grant",
                              date(2026, 12, 7), 800_000, "award:1")
    with db.unit_of_work() as session:
        assert demo.seed_impact(session) == {"firms": 0}
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(SupportedFirm)) == 85
        assert session.scalar(select(func.count()).select_from(SupportedFirm).where(SupportedFirm.demo.is_(False))) == 1
