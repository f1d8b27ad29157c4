"""Survival of supported firms: the Kaplan-Meier estimate from the first support, with its
uncertainty, by scipy (`scipy.stats.ecdf` on `CensoredData`; the estimator is not written
here).

Each firm is followed from its first support: a firm that closed is an event at its closing
date; a firm still active is censored at its last registry check (we know it was alive then,
not after). Time is counted in days and shown in years of 365.25 days.

What it gives: S(1) to S(5 years), each with its 95 % confidence interval (log-log, from
Greenwood's variance: it stays within [0, 1]) and the number of firms still at risk then, and
the curve (step times, S, low, high) for drawing.

The rule for "too few firms to say": a survival at t years is stated only when at least
`MIN_AT_RISK` (10) firms are still at risk at t, and its interval is defined. Below 10 the
interval spans most of [0, 1] and one closure more or less moves the estimate by a tenth or
more: a number would say more than the data. Until a first closure, S is 100 % and the
log-log interval is undefined: the point says so (`NO_CLOSURE_YET`) instead of a number
without its interval. The curve stops where fewer than `MIN_AT_RISK` firms remain at risk.

scipy and numpy are imported inside the functions: the web process never loads them. The
report's tables are computed in a child process of its own (`services.grants.indicators`,
`shared.core.child_process`), which receives the firms packed as `FOLLOW_UP_RECORD`s (14 bytes a
firm, built by PostgreSQL or from `FirmFollowUp`s) and runs `report_tables`.

Used by the impact issue (14): the funders' report, its breakdowns (cohort, kind of support)
and the comparison group.
"""
from __future__ import annotations

import struct
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy

DAYS_PER_YEAR = 365.25
HORIZONS = (1, 2, 3, 4, 5)  # years
MIN_AT_RISK = 10
CONFIDENCE = 0.95

# One firm as it crosses to the estimate's process, big-endian as PostgreSQL's int4send and
# int2send write it: its origin (days since 1970-01-01: the first support, or the decision for the
# comparison group), the days followed (to its closing, or to the day it was last known active),
# closed (0 or 1), in the comparison group (0 or 1), and its kind of support (`KINDS`' index).
FOLLOW_UP_RECORD = struct.Struct(">iihhh")
KINDS = ("grant", "crowdfunding", "both")

# Why a point carries no number.
TOO_FEW_AT_RISK = "too_few_at_risk"
NO_CLOSURE_YET = "no_closure_yet"
UNDEFINED_INTERVAL = "undefined_interval"


@dataclass(frozen=True)
class FirmFollowUp:
    """One firm as the estimate sees it: when it was first supported, when it closed (None while
    active) and when the registry last said it was active."""

    first_support: date
    closed_on: date | None
    last_check: date


@dataclass(frozen=True)
class SurvivalPoint:
    years: int
    at_risk: int  # firms still followed at that time (neither closed nor censored before)
    closures: int  # closures observed up to that time
    survival: float | None  # None when not stated (see `reason`)
    low: float | None
    high: float | None
    reason: str | None = None  # None when stated; TOO_FEW_AT_RISK, NO_CLOSURE_YET or UNDEFINED_INTERVAL

    @property
    def stated(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class SurvivalCurve:
    """The step function, for drawing: from `years[i]` on, survival is `survival[i]` with its
    band `low[i]`..`high[i]`. It starts at (0, 1) and its last entry repeats the last value at
    the time the curve stops. Before the first closure the band is S itself (1)."""

    years: tuple[float, ...]
    survival: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


@dataclass(frozen=True)
class SurvivalTable:
    firms: int
    closures: int
    points: tuple[SurvivalPoint, ...]
    curve: SurvivalCurve

    def at(self, years: int) -> SurvivalPoint:
        return next(point for point in self.points if point.years == years)


def survival(firms: Sequence[FirmFollowUp], *, min_at_risk: int = MIN_AT_RISK) -> SurvivalTable:
    """The Kaplan-Meier table of these firms."""
    _start, durations, closed = _arrays(firms)
    return survival_from_days(durations, closed, min_at_risk=min_at_risk)


def survival_by(firms: Sequence[FirmFollowUp], keys: Sequence[Hashable], *,
                min_at_risk: int = MIN_AT_RISK) -> dict[Hashable, SurvivalTable]:
    """One table per key, `keys[i]` being the group of `firms[i]` (a kind of support, say), in
    the keys' sorted order."""
    import numpy as np

    if len(keys) != len(firms):
        raise ValueError("One key per firm.")
    _start, durations, closed = _arrays(firms)
    codes: dict[Hashable, int] = {}
    coded = np.fromiter((codes.setdefault(key, len(codes)) for key in keys), dtype=np.int64, count=len(keys))
    return {
        key: _group(durations, closed, coded == codes[key], min_at_risk)
        for key in sorted(codes, key=_sortable)
    }


def survival_by_cohort(firms: Sequence[FirmFollowUp], *, min_at_risk: int = MIN_AT_RISK) -> dict[int, SurvivalTable]:
    """One table per cohort: the year of the firms' first support."""
    import numpy as np

    start, durations, closed = _arrays(firms)
    years = (start - _EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return {int(year): _group(durations, closed, years == year, min_at_risk) for year in np.unique(years)}


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def packed(firm: FirmFollowUp, *, compared: bool, kind: str) -> bytes:
    """One firm as a `FOLLOW_UP_RECORD`."""
    end = firm.closed_on or firm.last_check
    return FOLLOW_UP_RECORD.pack(firm.first_support.toordinal() - _EPOCH_ORDINAL, (end - firm.first_support).days,
                                 firm.closed_on is not None, compared, KINDS.index(kind))


@dataclass(frozen=True)
class ReportTables:
    """The report's survival tables, as the estimate's process gives them back (plain Python
    values only: nothing of numpy crosses back)."""

    supported: SurvivalTable
    comparison: SurvivalTable
    by_cohort: tuple[tuple[int, SurvivalTable], ...]  # (year of the first support, table), years in order
    by_kind: tuple[tuple[str, SurvivalTable], ...]  # (kind, table), in KINDS' order, kinds with firms only


def report_tables(records: bytes, min_at_risk: int = MIN_AT_RISK) -> ReportTables:
    """The tables of the funders' report from firms packed as `FOLLOW_UP_RECORD`s: the supported
    firms, the comparison group, the supported firms by cohort and by kind of support."""
    import numpy as np

    if len(records) % FOLLOW_UP_RECORD.size:
        raise ValueError("The records are not whole.")
    data = np.frombuffer(records, dtype=np.dtype([
        ("origin", ">i4"), ("days", ">i4"), ("closed", ">i2"), ("compared", ">i2"), ("kind", ">i2")]))
    days, closed = data["days"].astype(np.int64), data["closed"].astype(bool)
    compared = data["compared"].astype(bool)
    supported = ~compared
    years = data["origin"].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970

    def table(chosen):
        return survival_from_days(days[chosen], closed[chosen], min_at_risk=min_at_risk)

    return ReportTables(
        supported=table(supported),
        comparison=table(compared),
        by_cohort=tuple((int(year), table(supported & (years == year))) for year in np.unique(years[supported])),
        by_kind=tuple((name, table(supported & (data["kind"] == code))) for code, name in enumerate(KINDS)
                      if (supported & (data["kind"] == code)).any()),
    )


def _group(durations, closed, chosen, min_at_risk: int) -> SurvivalTable:
    return survival_from_days(durations[chosen], closed[chosen], min_at_risk=min_at_risk)


def _sortable(key: Hashable):
    return ("", key) if isinstance(key, (int, float)) else (type(key).__name__, key)


def _arrays(firms: Sequence[FirmFollowUp]) -> tuple["numpy.ndarray", "numpy.ndarray", "numpy.ndarray"]:
    """Each firm's first support (a date ordinal), days followed, and whether it closed."""
    import numpy as np

    count = len(firms)
    start = np.fromiter((f.first_support.toordinal() for f in firms), dtype=np.int64, count=count)
    end = np.fromiter(
        ((f.closed_on or f.last_check).toordinal() for f in firms), dtype=np.int64, count=count
    )
    closed = np.fromiter((f.closed_on is not None for f in firms), dtype=bool, count=count)
    return start, end - start, closed


def survival_from_days(durations: "numpy.ndarray | Sequence[int]", closed: "numpy.ndarray | Sequence[bool]", *,
                       min_at_risk: int = MIN_AT_RISK) -> SurvivalTable:
    """The Kaplan-Meier table from each firm's days followed (to its closing, or to its last
    check) and whether it closed: the entry point for callers that computed the days already
    (in SQL, say)."""
    import numpy as np
    from scipy import stats

    durations = np.asarray(durations, dtype=float)
    closed = np.asarray(closed, dtype=bool)
    if durations.shape != closed.shape or durations.ndim != 1:
        raise ValueError("One duration and one closed flag per firm.")
    if durations.size and durations.min() < 0:
        raise ValueError("A firm cannot close, or be checked, before its first support.")
    if min_at_risk < 1:
        raise ValueError("min_at_risk is at least 1.")

    firms = int(durations.size)
    closures = int(closed.sum())
    horizons_days = np.asarray(HORIZONS, dtype=float) * DAYS_PER_YEAR
    ordered = np.sort(durations)
    at_risk = firms - np.searchsorted(ordered, horizons_days, side="left")  # durations >= t
    closed_times = np.sort(durations[closed])
    closures_by = np.searchsorted(closed_times, horizons_days, side="right")  # closures at or before t

    if closures == 0:
        points = tuple(
            SurvivalPoint(years, int(n), 0, None, None, None,
                          TOO_FEW_AT_RISK if n < min_at_risk else NO_CLOSURE_YET)
            for years, n in zip(HORIZONS, at_risk)
        )
        end = _curve_end(ordered, min_at_risk)
        curve = SurvivalCurve((0.0, end), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0)) if end else _EMPTY_CURVE
        return SurvivalTable(firms, 0, points, curve)

    # CensoredData wants the censored ones flagged: the firms still active at their last check.
    result = stats.ecdf(stats.CensoredData.right_censored(durations, ~closed))
    with warnings.catch_warnings():
        # Where S is 1 (no closure yet) or 0, the log-log interval is undefined (nan): handled below.
        warnings.simplefilter("ignore", RuntimeWarning)
        interval = result.sf.confidence_interval(CONFIDENCE, method="log-log")
        estimate = result.sf.evaluate(horizons_days)
        low = interval.low.evaluate(horizons_days)
        high = interval.high.evaluate(horizons_days)

    points = []
    for index, years in enumerate(HORIZONS):
        n, seen = int(at_risk[index]), int(closures_by[index])
        values = (float(estimate[index]), float(low[index]), float(high[index]))
        if n < min_at_risk:
            points.append(SurvivalPoint(years, n, seen, None, None, None, TOO_FEW_AT_RISK))
        elif seen == 0:
            points.append(SurvivalPoint(years, n, 0, None, None, None, NO_CLOSURE_YET))
        elif not all(np.isfinite(values)):
            points.append(SurvivalPoint(years, n, seen, None, None, None, UNDEFINED_INTERVAL))
        else:
            points.append(SurvivalPoint(years, n, seen, *values))
    return SurvivalTable(firms, closures, tuple(points), _curve(result, interval, ordered, min_at_risk))


_EMPTY_CURVE = SurvivalCurve((), (), (), ())


def _curve_end(ordered: "numpy.ndarray", min_at_risk: int) -> float:
    """The last time, in years, at which at least `min_at_risk` firms are still at risk (0 when
    there were never that many)."""
    if ordered.size < min_at_risk:
        return 0.0
    return float(ordered[ordered.size - min_at_risk]) / DAYS_PER_YEAR


def _curve(result, interval, ordered, min_at_risk: int) -> SurvivalCurve:
    import numpy as np

    end_years = _curve_end(ordered, min_at_risk)
    if end_years == 0.0:
        return _EMPTY_CURVE
    times = result.sf.quantiles
    values = result.sf.probabilities
    low = interval.low.probabilities
    high = interval.high.probabilities
    # Only the times where S steps down, up to the end of the drawn follow-up.
    steps = np.flatnonzero(np.diff(np.concatenate(([1.0], values))) != 0)
    steps = steps[times[steps] / DAYS_PER_YEAR <= end_years]
    step_years = times[steps] / DAYS_PER_YEAR
    step_values, step_low, step_high = values[steps], low[steps], high[steps]
    # Where S is 0 the band is undefined: it is S itself there.
    step_low = np.where(np.isfinite(step_low), step_low, step_values)
    step_high = np.where(np.isfinite(step_high), step_high, step_values)
    last = (step_values[-1], step_low[-1], step_high[-1]) if steps.size else (1.0, 1.0, 1.0)
    return SurvivalCurve(
        years=tuple(float(x) for x in np.concatenate(([0.0], step_years, [end_years]))),
        survival=tuple(float(x) for x in np.concatenate(([1.0], step_values, [last[0]]))),
        low=tuple(float(x) for x in np.concatenate(([1.0], step_low, [last[1]]))),
        high=tuple(float(x) for x in np.concatenate(([1.0], step_high, [last[2]]))),
    )
