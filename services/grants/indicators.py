"""The funders' indicators report, for a year or a range of years: the figures the HTML page,
its CSV tables and the JSON API all give (one function computes them, each shows them).

- Outputs: per year, the grants accepted (the grant supports, by the day of acceptance) in
  number and amount, against the year's objective: the funds' `grants_objective` for that
  year, else the action plan's (`IMPACT_OBJECTIVES`, "5,10": 5 the first year, then 10).
- Alternative funding: crowdfunding (campaigns closed, success rate, amounts raised, backers,
  from the closes crowdfunding announced), matchfunding (supports of that kind), the other
  funding declared in the applications submitted (by kind), and what the referent recorded
  (advice sessions by mechanism, alternative funding obtained by kind).
- Results: the Kaplan-Meier survival of the supported firms whose first support falls in the
  years chosen (services/grants/survival.py), with its breakdowns by cohort and by kind of
  support, beside the national baselines (`IMPACT_BASELINES`) and the comparison group (the
  applicants scored and not selected, from their decision).

A firm neither the registry nor a manual status says anything about (unknown, not listed) is
left out of the estimate and counted as `not_followed`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.grants import survival
from services.grants.impact import follow_up
from services.grants.models import (
    MECHANISMS,
    AdviceSession,
    AlternativeFunding,
    Application,
    CampaignOutcome,
    Fund,
    FundingSource,
    Support,
    SupportedFirm,
)
from shared.core.child_process import ChildProcess
from shared.core.clock import to_paris, utcnow
from shared.core.refusal import INVALID, Refusal

# INSEE's 5-year survival of new French firms (excluding micro-entrepreneurs).
DEFAULT_BASELINES = (
    {"cohort": 2014, "survival": 0.61, "source": "Insee Première n°1852"},
    {"cohort": 2018, "survival": 0.69, "source": "Insee Première n°2070"},
)
DEFAULT_OBJECTIVES = (5, 10)
EARLIEST_YEAR = 2000


def baselines() -> list[dict]:
    """The national baselines shown beside the survival: `IMPACT_BASELINES` (a JSON list of
    {cohort, survival, source}) or INSEE's 2014 and 2018 cohorts."""
    configured = os.environ.get("IMPACT_BASELINES")
    return list(json.loads(configured)) if configured else [dict(b) for b in DEFAULT_BASELINES]


def objectives_rule() -> tuple[int, int]:
    """(the first year's objective, the following years') from `IMPACT_OBJECTIVES` ("5,10")."""
    first, _, then = os.environ.get("IMPACT_OBJECTIVES", "5,10").partition(",")
    return int(first), int(then or first)


@dataclass(frozen=True)
class YearOutputs:
    year: int
    grants: int
    amount_cents: int
    objective: int


@dataclass(frozen=True)
class CrowdfundingYear:
    year: int
    campaigns: int
    succeeded: int
    success_rate: float | None
    raised_cents: int
    backers: int


@dataclass(frozen=True)
class AmountRow:
    key: str  # a year, a kind of funding, a mechanism
    count: int
    amount_cents: int


@dataclass(frozen=True)
class SurvivalGroup:
    key: str  # "supported", "comparison", "cohort:2021", "kind:grant"
    table: survival.SurvivalTable


@dataclass(frozen=True)
class Report:
    year_from: int
    year_to: int
    outputs: list[YearOutputs]
    crowdfunding: list[CrowdfundingYear]
    matchfunding: list[AmountRow]
    declared_funding: list[AmountRow]
    referent_sessions: list[AmountRow]  # by mechanism discussed (amount 0)
    referent_funding: list[AmountRow]
    sessions_held: int
    supported: survival.SurvivalTable
    comparison: survival.SurvivalTable
    by_cohort: list[SurvivalGroup]
    by_kind: list[SurvivalGroup]
    not_followed: int
    baselines: list[dict] = field(default_factory=list)

    @property
    def survival_groups(self) -> list[SurvivalGroup]:
        return [SurvivalGroup("supported", self.supported), SurvivalGroup("comparison", self.comparison),
                *self.by_cohort, *self.by_kind]


def years_range(session: Session, year_from: int | None, year_to: int | None, today: date) -> tuple[int, int]:
    """The years asked for, checked; by default from the first year anything was supported or
    funded to this year."""
    errors = {}
    for name, value in (("from", year_from), ("to", year_to)):
        if value is not None and not EARLIEST_YEAR <= value <= today.year + 1:
            errors[name] = ["A year from %(first)s to %(last)s."]
    if errors:
        raise Refusal(422, INVALID, errors, values={"first": EARLIEST_YEAR, "last": today.year + 1})
    if year_from is not None and year_to is not None and year_from > year_to:
        raise Refusal(422, INVALID, {"to": ["The last year comes after the first."]})
    if year_from is None:
        first_support = session.scalar(select(func.min(SupportedFirm.first_support_on)))
        first_fund = session.scalar(select(func.min(Fund.year)))
        candidates = [y for y in ((first_support.year if first_support else None), first_fund) if y]
        year_from = min(candidates + [year_to or today.year])
    return year_from, year_to or max(year_from, today.year)


def report(session: Session, year_from: int | None = None, year_to: int | None = None, *,
           today: date | None = None, min_at_risk: int = survival.MIN_AT_RISK) -> Report:
    today = today or to_paris(utcnow()).date()
    year_from, year_to = years_range(session, year_from, year_to, today)
    years = range(year_from, year_to + 1)
    start, end = date(year_from, 1, 1), date(year_to, 12, 31)
    groups = survival_tables(session, start, end, min_at_risk=min_at_risk)
    return Report(
        year_from=year_from, year_to=year_to,
        outputs=_outputs(session, years),
        crowdfunding=_crowdfunding(session, years, start, end),
        matchfunding=_matchfunding(session, years, start, end),
        declared_funding=_declared(session, years),
        referent_sessions=_sessions_by_mechanism(session, start, end),
        referent_funding=_referent_funding(session, start, end),
        sessions_held=session.scalar(select(func.count()).select_from(AdviceSession)
                                     .where(AdviceSession.held_on.between(start, end))) or 0,
        baselines=baselines(),
        **groups,
    )


def _outputs(session: Session, years: range) -> list[YearOutputs]:
    """Grants per year: the grants accepted (the supports of kind grant, `award.accepted`), by the
    year they were accepted, in number and amount, against the year's objective."""
    granted = {year: [0, 0] for year in years}
    for on, amount in session.execute(select(Support.on, Support.amount_cents).where(
            Support.kind == "grant", Support.on.between(date(years.start, 1, 1), date(years.stop - 1, 12, 31)))):
        granted[on.year][0] += 1
        granted[on.year][1] += amount
    objectives = dict(session.execute(select(Fund.year, func.sum(Fund.grants_objective)).group_by(Fund.year)).all())
    first_year = min([*objectives, *years])
    first, then = objectives_rule()
    rows = []
    for year in years:
        objective = objectives.get(year)
        if objective is None:
            objective = first if year <= first_year else then
        rows.append(YearOutputs(year, granted[year][0], granted[year][1], int(objective)))
    return rows


def _crowdfunding(session: Session, years: range, start: date, end: date) -> list[CrowdfundingYear]:
    by_year: dict[int, list] = {year: [0, 0, 0, 0] for year in years}
    for row in session.scalars(select(CampaignOutcome).where(CampaignOutcome.closed_on.between(start, end))):
        figures = by_year[row.closed_on.year]
        figures[0] += 1
        if row.outcome == "succeeded":
            figures[1] += 1
            figures[2] += row.pledged_cents
            figures[3] += row.backers
    return [CrowdfundingYear(year, c, s, (s / c if c else None), raised, backers)
            for year, (c, s, raised, backers) in by_year.items()]


def _matchfunding(session: Session, years: range, start: date, end: date) -> list[AmountRow]:
    by_year = {year: [0, 0] for year in years}
    for on, amount in session.execute(select(Support.on, Support.amount_cents)
                                      .where(Support.kind == "matchfunding", Support.on.between(start, end))):
        by_year[on.year][0] += 1
        by_year[on.year][1] += amount
    return [AmountRow(str(year), count, amount) for year, (count, amount) in by_year.items()]


def _declared(session: Session, years: range) -> list[AmountRow]:
    """The other funding in the budgets of the applications submitted to the years' funds, by kind."""
    rows = session.execute(
        select(FundingSource.kind, func.count(FundingSource.id), func.coalesce(func.sum(FundingSource.amount_cents), 0))
        .join(Application, Application.id == FundingSource.application_id)
        .join(Application.call).join(Fund)
        .where(Application.status == "submitted", Fund.year.between(years.start, years.stop - 1))
        .group_by(FundingSource.kind).order_by(FundingSource.kind))
    return [AmountRow(kind, int(count), int(amount)) for kind, count, amount in rows]


def _sessions_by_mechanism(session: Session, start: date, end: date) -> list[AmountRow]:
    counts = {mechanism: 0 for mechanism in MECHANISMS}
    for mechanisms in session.scalars(select(AdviceSession.mechanisms).where(AdviceSession.held_on.between(start, end))):
        for mechanism in mechanisms or ():
            counts[mechanism] = counts.get(mechanism, 0) + 1
    return [AmountRow(mechanism, count, 0) for mechanism, count in counts.items()]


def _referent_funding(session: Session, start: date, end: date) -> list[AmountRow]:
    rows = session.execute(
        select(AlternativeFunding.kind, func.count(AlternativeFunding.id), func.sum(AlternativeFunding.amount_cents))
        .where(AlternativeFunding.obtained_on.between(start, end))
        .group_by(AlternativeFunding.kind))
    found = {kind: (int(count), int(amount)) for kind, count, amount in rows}
    return [AmountRow(kind, *found.get(kind, (0, 0))) for kind in MECHANISMS]


# --- Survival -------------------------------------------------------------------------------------

FOLLOW_UP_COLUMNS = (
    SupportedFirm.first_support_on, SupportedFirm.comparison_since, SupportedFirm.has_grant,
    SupportedFirm.has_crowdfunding, SupportedFirm.registry_status, SupportedFirm.registry_closed_on,
    SupportedFirm.last_checked_on, SupportedFirm.manual_status, SupportedFirm.manual_closed_on,
    SupportedFirm.manual_on,
)


# On PostgreSQL the follow-up of each firm (services.grants.impact.follow_up, the same rule) is
# worked out in the query, which hands back one value: every firm packed as a
# survival.FOLLOW_UP_RECORD (14 bytes a firm, big-endian: days since 1970 of the start, days
# followed, closed, comparison group, kind 0 grant, 1 crowdfunding, 2 both). No row becomes a
# Python object in the web process; the bytes go to the estimate's process as they are.
_FOLLOW_UP_SQL = """
WITH f AS (
  SELECT coalesce(first_support_on, comparison_since) AS origin, first_support_on IS NULL AS compared,
         CASE WHEN has_grant AND has_crowdfunding THEN 2 WHEN has_grant THEN 0 ELSE 1 END AS kind,
         CASE WHEN registry_status = 'ceased' THEN coalesce(registry_closed_on, last_checked_on)
              WHEN registry_status = 'active' THEN NULL
              WHEN manual_status = 'ceased' THEN coalesce(manual_closed_on, manual_on) END AS closed_on,
         CASE WHEN registry_status = 'active' THEN last_checked_on
              WHEN registry_status = 'ceased' THEN NULL
              WHEN manual_status = 'active' THEN manual_on END AS known_on
  FROM supported_firms
  WHERE (first_support_on IS NOT NULL AND first_support_on BETWEEN :start AND :end)
     OR (first_support_on IS NULL AND comparison_since BETWEEN :start AND :end))
SELECT coalesce(string_agg(
         int4send(origin - DATE '1970-01-01') || int4send(greatest(coalesce(closed_on, known_on) - origin, 0))
         || int2send((closed_on IS NOT NULL)::int::int2) || int2send(compared::int::int2) || int2send(kind::int2),
         ''::bytea), ''::bytea)
FROM f WHERE closed_on IS NOT NULL OR known_on IS NOT NULL
"""
_NOT_FOLLOWED_SQL = """
SELECT count(*) FROM supported_firms
WHERE ((first_support_on IS NOT NULL AND first_support_on BETWEEN :start AND :end)
       OR (first_support_on IS NULL AND comparison_since BETWEEN :start AND :end))
  AND NOT (registry_status IN ('active', 'ceased') OR manual_status IN ('active', 'ceased'))
"""

# The survival estimate runs in a child process of each web process (numpy and scipy are loaded
# there, never in the web process): shared/core/child_process.py.
ESTIMATE_UNAVAILABLE = "The survival estimate is unavailable for a moment: try again in a few minutes."
ESTIMATES = ChildProcess("survival estimate", ESTIMATE_UNAVAILABLE,
                         lambda: float(os.environ.get("IMPACT_ESTIMATE_TIMEOUT_SECONDS", 30)))


def _records_postgresql(session: Session, start: date, end: date) -> tuple[bytes, int]:
    parameters = {"start": start, "end": end}
    # The driver's own cursor, in binary: the bytea comes as its bytes (1.4 MB for 100,000 firms),
    # not as hex text twice that size decoded in the web process.
    cursor = session.connection().connection.dbapi_connection.cursor(binary=True)
    try:
        cursor.execute(_FOLLOW_UP_SQL.replace(":start", "%(start)s").replace(":end", "%(end)s"), parameters)
        records = bytes(cursor.fetchone()[0])
    finally:
        cursor.close()
    return records, int(session.scalar(text(_NOT_FOLLOWED_SQL), parameters) or 0)


def _records_sqlite(session: Session, start: date, end: date) -> tuple[bytes, int]:
    """Under `make run`: the rows read, `follow_up` applied here, each firm packed."""
    records = []
    not_followed = 0
    rows = session.execute(select(*FOLLOW_UP_COLUMNS).where(
        ((SupportedFirm.first_support_on.is_not(None)) & SupportedFirm.first_support_on.between(start, end))
        | ((SupportedFirm.first_support_on.is_(None)) & SupportedFirm.comparison_since.between(start, end))))
    for (first_support, since, has_grant, has_crowdfunding, status, closed_on, checked_on, manual, manual_closed,
         manual_on) in rows:
        known = follow_up(status, closed_on, checked_on, manual, manual_closed, manual_on)
        if not known.known:
            not_followed += 1
            continue
        origin = first_support or since
        # A firm closed (or last known) before its support began counts from that day.
        closed = max(known.closed_on, origin) if known.closed_on else None
        last = max(known.last_known_on or origin, origin)
        kind = "both" if has_grant and has_crowdfunding else "grant" if has_grant else "crowdfunding"
        records.append(survival.packed(survival.FirmFollowUp(origin, closed, last if closed is None else closed),
                                       compared=first_support is None, kind=kind))
    return b"".join(records), not_followed


def survival_tables(session: Session, start: date, end: date, *, min_at_risk: int = survival.MIN_AT_RISK) -> dict:
    """The survival tables of the firms first supported (or, for the comparison group, decided)
    between `start` and `end`: the firms read in the caller's transaction, in one query (each
    firm's follow-up worked out in SQL on PostgreSQL; SQLite, under `make run`, reads the rows and
    applies `follow_up` here), and the tables computed in the estimate's process. Refuses (503)
    when that process cannot answer."""
    if session.get_bind().dialect.name == "postgresql":
        records, not_followed = _records_postgresql(session, start, end)
    else:
        records, not_followed = _records_sqlite(session, start, end)
    tables: survival.ReportTables = ESTIMATES.run(survival.report_tables, records, min_at_risk)
    return {
        "supported": tables.supported,
        "comparison": tables.comparison,
        "by_cohort": [SurvivalGroup(f"cohort:{year}", table) for year, table in tables.by_cohort],
        "by_kind": [SurvivalGroup(f"kind:{kind}", table) for kind, table in tables.by_kind],
        "not_followed": not_followed,
    }


# --- As JSON and as CSV tables ----------------------------------------------------------------------


def table_dict(table: survival.SurvivalTable) -> dict:
    return {
        "firms": table.firms, "closures": table.closures,
        "points": [{"years": p.years, "at_risk": p.at_risk, "closures": p.closures, "survival": p.survival,
                    "low": p.low, "high": p.high, "reason": p.reason} for p in table.points],
        "curve": {"years": list(table.curve.years), "survival": list(table.curve.survival),
                  "low": list(table.curve.low), "high": list(table.curve.high)},
    }


def as_dict(found: Report) -> dict:
    """The report as the API gives it (and as the CSV tables flatten it)."""
    return {
        "year_from": found.year_from, "year_to": found.year_to,
        "outputs": [vars(row) for row in found.outputs],
        "crowdfunding": [vars(row) for row in found.crowdfunding],
        "matchfunding": [{"year": int(r.key), "matches": r.count, "amount_cents": r.amount_cents} for r in found.matchfunding],
        "declared_funding": [{"kind": r.key, "sources": r.count, "amount_cents": r.amount_cents}
                             for r in found.declared_funding],
        "referent": {
            "sessions_held": found.sessions_held,
            "sessions_by_mechanism": [{"mechanism": r.key, "sessions": r.count} for r in found.referent_sessions],
            "funding_obtained": [{"kind": r.key, "count": r.count, "amount_cents": r.amount_cents}
                                 for r in found.referent_funding],
        },
        "survival": {
            "supported": table_dict(found.supported),
            "comparison": table_dict(found.comparison),
            "by_cohort": [{"cohort": int(g.key.split(":")[1]), **table_dict(g.table)} for g in found.by_cohort],
            "by_kind": [{"kind": g.key.split(":")[1], **table_dict(g.table)} for g in found.by_kind],
            "baselines": found.baselines,
            "not_followed": found.not_followed,
            "min_at_risk": survival.MIN_AT_RISK,
        },
    }


CSV_TABLES = ("outputs", "crowdfunding", "matchfunding", "declared_funding", "referent_sessions",
              "referent_funding", "survival", "baselines")


def csv_rows(found: Report, table: str) -> tuple[list[str], list[list]]:
    """One table of the report as a header and rows (amounts in cents, shares as decimals)."""
    data = as_dict(found)
    if table == "outputs":
        return ["year", "grants", "amount_cents", "objective"], [
            [r["year"], r["grants"], r["amount_cents"], r["objective"]] for r in data["outputs"]]
    if table == "crowdfunding":
        return ["year", "campaigns", "succeeded", "success_rate", "raised_cents", "backers"], [
            [r["year"], r["campaigns"], r["succeeded"], _number(r["success_rate"]), r["raised_cents"], r["backers"]]
            for r in data["crowdfunding"]]
    if table == "matchfunding":
        return ["year", "matches", "amount_cents"], [[r["year"], r["matches"], r["amount_cents"]]
                                                     for r in data["matchfunding"]]
    if table == "declared_funding":
        return ["kind", "sources", "amount_cents"], [[r["kind"], r["sources"], r["amount_cents"]]
                                                     for r in data["declared_funding"]]
    if table == "referent_sessions":
        return ["mechanism", "sessions"], [[r["mechanism"], r["sessions"]]
                                           for r in data["referent"]["sessions_by_mechanism"]]
    if table == "referent_funding":
        return ["kind", "count", "amount_cents"], [[r["kind"], r["count"], r["amount_cents"]]
                                                   for r in data["referent"]["funding_obtained"]]
    if table == "survival":
        rows = []
        for group in found.survival_groups:
            for point in group.table.points:
                rows.append([group.key, group.table.firms, point.years, point.at_risk, point.closures,
                             _number(point.survival), _number(point.low), _number(point.high), point.reason or ""])
        return ["group", "firms", "years", "at_risk", "closures", "survival", "low", "high", "not_stated_because"], rows
    if table == "baselines":
        return ["cohort", "years", "survival", "source"], [[b["cohort"], 5, b["survival"], b["source"]]
                                                           for b in data["survival"]["baselines"]]
    raise Refusal.not_found("This table is not in the report.")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"
