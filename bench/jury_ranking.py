"""How fast a call's ranking is computed: 1,000 submitted applications scored by 5 jurors each
(5,000 reviews, 25 jurors, a grid of three criteria), read from PostgreSQL and ranked with the
harshness correction, as the ranking page and API do (`jury.call_ranking`).

Creates its own PostgreSQL databases (dropped at the end). Prints the median of several runs
beside a reference run in the same script: a plain SELECT of the same rows (applications,
assignments, recusals and reviews), so that the figure can be read on a busy machine. The goal
is under 200 ms.

    .venv/bin/python bench/jury_ranking.py [--applications 1000] [--jurors-per-application 5] [--runs 7]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from scratch import scratch_databases, use_scratch_databases  # noqa: E402  (sets the environment first)

use_scratch_databases("grants", "notifications")

from sqlalchemy import insert, select  # noqa: E402

from shared.core.db import Database  # noqa: E402

GOAL_MS = 200
PANEL = 25
GRID = [
    {"code": code, "label_fr": code, "label_en": code, "weight": weight,
     "levels": [{"score": score, "description": f"niveau {score}"} for score in range(4)]}
    for code, weight in (("quality", 3), ("viability", 2), ("impact", 1))
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--jurors-per-application", type=int, default=5)
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()
    with scratch_databases("grants", "notifications"):
        run(arguments.applications, arguments.jurors_per_application, arguments.runs)


def seed(db: Database, applications: int, per_application: int, first_account: int = 1) -> int:
    """A call in review with its panel, assignments, declarations and submitted reviews, in bulk; its
    id. The accounts are numbered from `first_account` (bench/platform_load.py seeds others first)."""
    from services.grants.models import (
        Account, Application, Assignment, Call, Declaration, Fund, JurorProfile, PanelMember, Review,
    )

    rng = random.Random(2026)
    now = datetime.now(timezone.utc)
    with db.unit_of_work() as session:
        fund = Fund(name="Bench", year=2026, envelope_cents=5_000_000, grants_objective=5)
        session.add(fund)
        session.flush()
        call = Call(fund_id=fund.id, title_fr="Bench", description_fr="Bench", opens_at=now - timedelta(days=60),
                    closes_at=now - timedelta(days=30), max_award_cents=1_000_000, status="in_review",
                    postal_codes=[], sectors=[], organisation_kinds=[], min_other_funding_share_percent=0,
                    required_documents=[], scoring_grid=GRID)
        session.add(call)
        session.flush()
        call_id = call.id
        jurors = list(range(first_account, first_account + PANEL))
        applicants = list(range(first_account + PANEL, first_account + PANEL + applications))
        session.execute(insert(Account), [
            {"id": account, "email": f"p{account}@bench.example", "name": f"P{account}", "roles": ["juror"],
             "language": "fr", "session_version": 0} for account in jurors + applicants])
        session.execute(insert(JurorProfile), [
            {"account_id": juror, "email": f"p{juror}@bench.example", "name": f"P{juror}", "accepted_at": now}
            for juror in jurors])
        session.execute(insert(PanelMember), [
            {"call_id": call_id, "juror_id": juror, "added_at": now, "reminder_revision": 0} for juror in jurors])
        rows = session.execute(insert(Application).returning(Application.id), [
            {"call_id": call_id, "account_id": applicant, "status": "submitted", "project_title": f"Projet {applicant}",
             "summary": "", "description": "", "timeline": "", "requested_cents": rng.randrange(100_000, 1_000_000),
             "eligible": True, "receipt_number": f"TR-2026-{applicant:06d}",
             "submitted_at": now - timedelta(days=40, minutes=applicant),
             "snapshot": {"organisation": {"legal_name": f"Structure {applicant}", "city": "Clermont-Ferrand"}}}
            for applicant in applicants]).scalars().all()
        seats, reviews, declarations = [], [], []
        # Jurors' habits: some harsh, some lenient, so that the correction has work to do.
        habit = {juror: rng.choice((-1, 0, 0, 1)) for juror in jurors}
        for application_id in rows:
            merit = rng.randrange(4)
            for juror in rng.sample(jurors, per_application):
                seats.append({"call_id": call_id, "application_id": application_id, "juror_id": juror,
                              "origin": "automatic", "assigned_at": now})
                declarations.append({"call_id": call_id, "application_id": application_id, "juror_id": juror,
                                     "conflict": False, "reason": "", "declared_at": now})
                levels = {c["code"]: max(0, min(3, merit + habit[juror] + rng.choice((-1, 0, 0, 1)))) for c in GRID}
                reviews.append({"call_id": call_id, "application_id": application_id, "juror_id": juror,
                                "status": "submitted", "levels": levels, "comments": {c: "ok" for c in levels},
                                "recommendation": rng.choice(("fund", "maybe", "dont_fund")),
                                "overall_comment": "ok", "submitted_at": now, "created_at": now, "updated_at": now})
        session.execute(insert(Assignment), seats)
        session.execute(insert(Declaration), declarations)
        session.execute(insert(Review), reviews)
    return call_id


def reference(db: Database, call_id: int) -> None:
    """The same rows as the ranking reads, fetched and nothing more."""
    from services.grants.models import Application, Assignment, ConflictFlag, Declaration, Review

    with db.unit_of_work() as session:
        session.execute(select(Application.id, Application.requested_cents, Application.submitted_at,
                               Application.receipt_number, Application.project_title,
                               Application.snapshot["organisation"]["legal_name"].as_string())
                        .where(Application.call_id == call_id, Application.status == "submitted")).all()
        session.execute(select(Assignment.application_id, Assignment.juror_id).where(Assignment.call_id == call_id)).all()
        session.execute(select(Declaration.application_id, Declaration.juror_id)
                        .where(Declaration.call_id == call_id, Declaration.conflict.is_(True))).all()
        session.execute(select(ConflictFlag.application_id, ConflictFlag.juror_id)
                        .where(ConflictFlag.call_id == call_id, ConflictFlag.status == "confirmed")).all()
        session.execute(select(Review.application_id, Review.juror_id, Review.recommendation,
                               *(Review.levels[c["code"]].as_integer() for c in GRID))
                        .where(Review.call_id == call_id, Review.status == "submitted")).all()


def ranking(db: Database, call_id: int):
    from services.grants import jury

    with db.unit_of_work() as session:
        return jury.call_ranking(session, call_id).ranking


def timed(function, runs: int) -> tuple[float, list[float]]:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations), durations


def run(applications: int, per_application: int, runs: int) -> None:
    db = Database(os.environ["GRANTS_DATABASE_URL"])
    try:
        call_id = seed(db, applications, per_application)
        result = ranking(db, call_id)  # warm: connections, statement caches, imports
        reference(db, call_id)
        assert len(result.ranked) == applications and all(juror.corrected for juror in result.jurors)
        rank_ms, rank_all = timed(lambda: ranking(db, call_id), runs)
        select_ms, _ = timed(lambda: reference(db, call_id), runs)
    finally:
        db.dispose()
    reviews = applications * per_application
    print(f"jury ranking: {applications} applications, {reviews} reviews by {PANEL} jurors (PostgreSQL)")
    print(f"plain SELECT of the same rows (reference): {select_ms:7.1f} ms (median of {runs})")
    print(f"ranking, reading included:                 {rank_ms:7.1f} ms (median of {runs}; "
          f"fastest {min(rank_all):.1f}, slowest {max(rank_all):.1f})")
    print(f"ratio to the reference: {rank_ms / select_ms:.1f}x; goal under {GOAL_MS} ms: "
          f"{'met' if rank_ms < GOAL_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
