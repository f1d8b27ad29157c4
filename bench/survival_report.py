"""How fast the survival tables of the indicators report are computed for 100,000 supported firms
with 5 registry checks each (500,000 checks), read from PostgreSQL: the Kaplan-Meier tables with
their intervals for the supported firms and the comparison group, by cohort and by kind of
support, as the report page and API compute them (`indicators.survival_tables`).

The firms' rows carry what their latest check said (kept up to date in the same transaction as
each check, services/grants/impact.py); the bench also computes the same tables from the 500,000
checks themselves (the latest check of each firm, in SQL), to show what the history costs.

Creates its own PostgreSQL database (dropped at the end). Prints medians beside references
measured in the same run: a plain SELECT count(*) of the 500,000 checks, and a plain SELECT of
the firms' columns the estimate reads. The goal is under 1 s.

    .venv/bin/python bench/survival_report.py [--firms 100000] [--checks 5] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date

from scratch import scratch_databases, use_scratch_databases  # noqa: E402  (sets the environment first)

use_scratch_databases("grants", "notifications")

from sqlalchemy import text  # noqa: E402

from shared.core.db import Database  # noqa: E402

GOAL_S = 1.0
TODAY = date(2026, 12, 1)


def seed(db: Database, firms: int, checks: int) -> None:
    """Firms first supported from 2019 to 2026 (a third by crowdfunding too, a fifth in the
    comparison group), each checked `checks` times; a firm closes at its last check with a chance
    of one in four (a ceased answer with its closing date)."""
    with db.unit_of_work() as session:
        session.execute(text("""
            INSERT INTO supported_firms (follow_key, siren, legal_name, first_support_on, comparison_since,
                has_grant, has_crowdfunding, demo, created_at)
            SELECT 'siren:' || lpad(n::text, 9, '0'), lpad(n::text, 9, '0'), 'Firme ' || n,
                   CASE WHEN n % 5 = 0 THEN NULL ELSE DATE '2019-01-01' + (n * 7919 % 2800) END,
                   CASE WHEN n % 5 = 0 THEN DATE '2019-01-01' + (n * 7919 % 2800) END,
                   n % 3 <> 1, n % 3 <> 0, false, now()
            FROM generate_series(1, :firms) AS n"""), {"firms": firms})
        session.execute(text("""
            INSERT INTO registry_checks (firm_id, checked_at, status, closed_on, created_on, http_status, url, answer)
            SELECT f.id,
                   (coalesce(f.first_support_on, f.comparison_since)
                    + ((CAST(:today AS date) - coalesce(f.first_support_on, f.comparison_since)) * k / :checks))::timestamptz,
                   CASE WHEN k = :checks AND f.id % 4 = 0 THEN 'ceased' ELSE 'active' END,
                   CASE WHEN k = :checks AND f.id % 4 = 0
                        THEN coalesce(f.first_support_on, f.comparison_since)
                             + ((CAST(:today AS date) - coalesce(f.first_support_on, f.comparison_since)) * (k - 1) / :checks)
                             + 20 END,
                   DATE '2015-01-01', 200, 'https://recherche-entreprises.api.gouv.fr/search?q=' || f.siren,
                   '{"results": [], "total_results": 0}'
            FROM supported_firms f CROSS JOIN generate_series(1, :checks) AS k"""),
            {"checks": checks, "today": TODAY})
        # What record_check keeps on each firm's row: its latest answer.
        session.execute(text("""
            UPDATE supported_firms f SET registry_status = c.status, registry_closed_on = c.closed_on,
                   last_checked_on = c.checked_at::date, created_on = c.created_on
            FROM (SELECT DISTINCT ON (firm_id) firm_id, status, closed_on, checked_at, created_on
                  FROM registry_checks ORDER BY firm_id, checked_at DESC, id DESC) c
            WHERE c.firm_id = f.id"""))
    with db.unit_of_work() as session:
        session.execute(text("ANALYZE supported_firms"))
        session.execute(text("ANALYZE registry_checks"))


def from_firms(db: Database):
    from services.grants import indicators

    with db.unit_of_work() as session:
        return indicators.survival_tables(session, date(2019, 1, 1), date(2026, 12, 31))


def from_history(db: Database):
    """The same estimate from the checks themselves: each firm's latest check, in SQL."""
    import numpy as np

    from services.grants.survival import survival_from_days

    with db.unit_of_work() as session:
        rows = session.execute(text("""
            SELECT coalesce(f.first_support_on, f.comparison_since), c.status, c.closed_on, c.checked_at::date,
                   f.first_support_on IS NULL
            FROM supported_firms f
            JOIN LATERAL (SELECT status, closed_on, checked_at FROM registry_checks r WHERE r.firm_id = f.id
                          ORDER BY checked_at DESC, id DESC LIMIT 1) c ON true""")).all()
    start = np.array([r[0].toordinal() for r in rows])
    closed = np.array([r[1] == "ceased" for r in rows])
    end = np.array([(r[2] or r[3]).toordinal() if r[1] == "ceased" else r[3].toordinal() for r in rows])
    compared = np.array([r[4] for r in rows])
    days = np.maximum(end - start, 0)
    return (survival_from_days(days[~compared], closed[~compared]), survival_from_days(days[compared], closed[compared]))


def count_checks(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(text("SELECT count(*) FROM registry_checks"))


def select_firms(db: Database) -> int:
    from sqlalchemy import select

    from services.grants.indicators import FOLLOW_UP_COLUMNS

    with db.unit_of_work() as session:
        return len(session.execute(select(*FOLLOW_UP_COLUMNS)).all())


def timed(function, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def run(firms: int, checks: int, runs: int) -> None:
    db = Database(os.environ["GRANTS_DATABASE_URL"])
    try:
        started = time.perf_counter()
        seed(db, firms, checks)
        seeded = time.perf_counter() - started
        tables = from_firms(db)  # warm: imports (scipy), connections
        supported, compared = from_history(db)
        assert count_checks(db) == firms * checks
        assert tables["supported"].firms + tables["comparison"].firms == firms
        assert supported.at(5).survival == tables["supported"].at(5).survival  # the rows agree with the history
        assert compared.closures == tables["comparison"].closures
        count_s, _ = timed(lambda: count_checks(db), runs)
        select_s, _ = timed(lambda: select_firms(db), runs)
        report_s, report_all = timed(lambda: from_firms(db), runs)
        history_s, _ = timed(lambda: from_history(db), runs)
    finally:
        db.dispose()
    five = tables["supported"].at(5)
    print(f"survival report: {firms} firms, {firms * checks} registry checks (PostgreSQL; seeded in {seeded:.1f} s)")
    print(f"  S(5) = {five.survival:.3f} [{five.low:.3f}, {five.high:.3f}], {five.at_risk} firms at risk; "
          f"{len(tables['by_cohort'])} cohorts, {len(tables['by_kind'])} kinds")
    print(f"plain SELECT count(*) of the checks (reference): {count_s * 1000:7.1f} ms (median of {runs})")
    print(f"plain SELECT of the firms' columns (reference):  {select_s * 1000:7.1f} ms (median of {runs})")
    print(f"survival tables, as the report computes them:    {report_s * 1000:7.1f} ms (median of {runs}; "
          f"fastest {min(report_all) * 1000:.1f}, slowest {max(report_all) * 1000:.1f})")
    print(f"the same from the checks' history (latest check per firm in SQL): {history_s * 1000:7.1f} ms")
    print(f"ratio to the plain SELECT of the firms: {report_s / select_s:.1f}x; goal under {GOAL_S:g} s: "
          f"{'met' if report_s < GOAL_S else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    with scratch_databases("grants", "notifications"):
        run(arguments.firms, arguments.checks, arguments.runs)


if __name__ == "__main__":
    main()
