"""The jury on SQLite (make run): the demo's call in review seeded on a real database file, the
ranking read with its JSON paths, and a juror declaring and scoring."""
from datetime import datetime, timezone

from services.grants import demo, jury
from tests.conftest import sqlite_database


def _people() -> dict:
    def facts(account_id, email, name, roles):
        return {"account_id": account_id, "email": email, "name": name, "language": "fr", "roles": roles}

    return {
        "manager": facts(1, "manager@tremplin.local", "Gestionnaire", ["fund_manager"]),
        "jurors": [
            {**facts(2, "bruno@musiques-auvergne.example", "Bruno", ["juror"]), "invited_roles": ["juror"],
             "organisation": "FMA", "siren": None, "invitation_id": 1},
            {**facts(3, "claire@collectif-image.example", "Claire", ["juror"]), "invited_roles": ["juror"],
             "organisation": "Collectif Image Auvergne", "siren": "443061841", "invitation_id": 2},
        ],
        "applicants": [facts(4 + n, f"a{n}@example.org", f"A{n}", ["applicant"]) for n in range(4)],
    }


def test_the_jury_works_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("GRANTS_DOCUMENTS_DIR", str(tmp_path / "documents"))
    with sqlite_database(tmp_path, "grants") as database:
        with database.unit_of_work() as session:
            ids = demo.seed(session, people=_people())
        call_id = ids["review_call_id"]
        now = datetime.now(timezone.utc)
        with database.unit_of_work() as session:
            ranked = jury.call_ranking(session, call_id).ranking
            assert [row.reviews_done for row in ranked.rows] == [1, 1, 1, 1]
            assignments = jury.juror_assignments(session, 3, call_id)
            assert [item.seat.stage for item in assignments] == ["to_declare"] * 3
            first = assignments[0].cover.application_id
        with database.unit_of_work() as session:
            jury.declare(session, 3, first, False, "", now)
            jury.submit_review(session, 3, first, now, {
                "criteria": [{"criterion": code, "level": 3, "comment": "Bien."}
                             for code in ("artistic_quality", "economic_viability", "local_impact")],
                "recommendation": "fund", "overall_comment": "Très bien."})
        with database.unit_of_work() as session:
            row = next(row for row in jury.call_ranking(session, call_id).ranking.rows if row.application_id == first)
            assert (row.reviews_done, row.reviews_assigned, row.fund + row.maybe + row.dont_fund) == (2, 2, 2)
            assert row.fund >= 1
            assert jury.scored_application_ids(session, call_id) == sorted(
                r.application_id for r in jury.call_ranking(session, call_id).ranking.rows)

