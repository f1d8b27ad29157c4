"""Kaplan-Meier survival against a table computed by hand, censoring and ties included."""
import math
import pickle
import subprocess
import sys
from datetime import date, timedelta
from fractions import Fraction

import pytest

from services.grants.survival import (
    DAYS_PER_YEAR,
    KINDS,
    MIN_AT_RISK,
    NO_CLOSURE_YET,
    TOO_FEW_AT_RISK,
    FirmFollowUp,
    packed,
    report_tables,
    survival,
    survival_by,
    survival_by_cohort,
    survival_from_days,
)

START = date(2018, 1, 1)
Z = 1.959963984540054  # the normal quantile of 97.5 %

# Twelve firms: (days followed, closed?). Ties at 400 days (two closures) and at 2000 days
# (a closure and a firm last seen active that day: the closure counts first, the other firm is
# still at risk at 2000).
FIRMS_DAYS = [(200, True), (300, False), (400, True), (400, True), (500, False), (700, True),
              (800, False), (1000, True), (1200, False), (1500, True), (2000, False), (2000, True)]

# The hand-computed Kaplan-Meier table: at each closing time, firms at risk n, closures d,
# S = product of (1 - d/n).
#   day  n  d  S
#   200 12  1  11/12
#   400 10  2  11/12 · 8/10 = 11/15        (300: one censored)
#   700  7  1  11/15 · 6/7  = 22/35        (500: one censored)
#  1000  5  1  22/35 · 4/5  = 88/175       (800: one censored)
#  1500  3  1  88/175 · 2/3 = 176/525      (1200: one censored)
#  2000  2  1  176/525 · 1/2 = 88/525
HAND_TABLE = [(200, 12, 1, Fraction(11, 12)), (400, 10, 2, Fraction(11, 15)), (700, 7, 1, Fraction(22, 35)),
              (1000, 5, 1, Fraction(88, 175)), (1500, 3, 1, Fraction(176, 525)), (2000, 2, 1, Fraction(88, 525))]


def follow_up(days, closed, start=START):
    end = start + timedelta(days=days)
    return FirmFollowUp(start, end if closed else None, end)


FIRMS = [follow_up(days, closed) for days, closed in FIRMS_DAYS]


def loglog_interval(upto_days):
    """Greenwood's variance on the log-log scale, by hand: V = Σ d/(n(n-d)) / (ln S)², and the
    interval S^exp(±z√V)."""
    rows = [row for row in HAND_TABLE if row[0] <= upto_days]
    s = float(rows[-1][3])
    greenwood = sum(d / (n * (n - d)) for _, n, d, _ in rows)
    spread = Z * math.sqrt(greenwood / math.log(s) ** 2)
    return s ** math.exp(spread), s ** math.exp(-spread)


def test_survival_at_each_year_matches_the_hand_table():
    table = survival(FIRMS, min_at_risk=1)
    assert (table.firms, table.closures) == (12, 7)
    # 1 year = 365.25 days: after the closure at 200; 2 years = 730.5: after 700; 3 = 1095.75:
    # after 1000; 4 = 1461: the same; 5 = 1826.25: after 1500.
    expected = {1: Fraction(11, 12), 2: Fraction(22, 35), 3: Fraction(88, 175), 4: Fraction(88, 175),
                5: Fraction(176, 525)}
    for years, value in expected.items():
        assert table.at(years).survival == pytest.approx(float(value), abs=1e-12), years


def test_firms_at_risk_and_closures_seen_at_each_year():
    table = survival(FIRMS, min_at_risk=1)
    # At risk at t: followed at least t days. Closures: closed at or before t.
    assert [(p.years, p.at_risk, p.closures) for p in table.points] == [
        (1, 10, 1), (2, 6, 4), (3, 4, 5), (4, 3, 5), (5, 2, 6),
    ]


@pytest.mark.parametrize(("years", "upto_days"), [(1, 365.25), (2, 730.5), (5, 1826.25)])
def test_the_interval_is_greenwoods_on_the_log_log_scale(years, upto_days):
    point = survival(FIRMS, min_at_risk=1).at(years)
    low, high = loglog_interval(upto_days)
    assert point.low == pytest.approx(low, rel=1e-9)
    assert point.high == pytest.approx(high, rel=1e-9)
    assert 0 < point.low < point.survival < point.high < 1


def test_one_year_interval_worked_out_in_full():
    # S = 11/12; V = (1/132) / ln(11/12)² = 1.000631; z√V = 1.960582; exp(z√V) = 7.103462;
    # low = (11/12)^7.103462 = 0.538977, high = (11/12)^(1/7.103462) = 0.987826.
    point = survival(FIRMS, min_at_risk=1).at(1)
    assert point.low == pytest.approx(0.538977, abs=1e-6)
    assert point.high == pytest.approx(0.987826, abs=1e-6)


def test_the_curve_steps_at_each_closure_with_its_band():
    curve = survival(FIRMS, min_at_risk=1).curve
    closing_years = [days / DAYS_PER_YEAR for days, *_ in HAND_TABLE]
    assert curve.years[0] == 0.0 and curve.survival[0] == 1.0
    assert curve.years[1:-1] == pytest.approx(closing_years)
    assert curve.survival[1:-1] == pytest.approx([float(s) for *_, s in HAND_TABLE])
    # It ends when the last firm at risk leaves: 2000 days, at the last value.
    assert curve.years[-1] == pytest.approx(2000 / DAYS_PER_YEAR)
    assert curve.survival[-1] == curve.survival[-2]
    for step, (days, *_rest) in enumerate(HAND_TABLE[:-1], start=1):
        low, high = loglog_interval(days)
        assert (curve.low[step], curve.high[step]) == (pytest.approx(low), pytest.approx(high))
    assert len(curve.years) == len(curve.survival) == len(curve.low) == len(curve.high)


def test_too_few_firms_at_risk_gives_no_number():
    table = survival(FIRMS)  # the rule: at least 10 firms at risk
    assert MIN_AT_RISK == 10
    one_year = table.at(1)
    assert one_year.stated and one_year.at_risk == 10
    for years in (2, 3, 4, 5):
        point = table.at(years)
        assert not point.stated and point.reason == TOO_FEW_AT_RISK
        assert (point.survival, point.low, point.high) == (None, None, None)
        assert point.at_risk < 10  # the count is still given
    # The curve stops at the last time 10 firms were at risk: 400 days.
    assert table.curve.years[-1] == pytest.approx(400 / DAYS_PER_YEAR)
    assert table.curve.survival == pytest.approx((1.0, 11 / 12, 11 / 15, 11 / 15))


def test_no_closure_yet_says_so_instead_of_a_number_without_its_interval():
    table = survival([follow_up(days, False) for days in range(400, 2400, 100)])  # 20 firms, none closed
    assert table.closures == 0
    # At risk at 4 years (1461 days): the 9 followed from 1500 days on, too few.
    assert [p.reason for p in table.points] == [NO_CLOSURE_YET] * 3 + [TOO_FEW_AT_RISK] * 2
    assert table.at(1).at_risk == 20 and table.at(1).survival is None
    assert table.curve.survival == (1.0, 1.0)
    # Some closures later on, none in the first year: the first year says so, the next are numbers.
    firms = [follow_up(days, False) for days in range(400, 4400, 100)] + [follow_up(500, True), follow_up(900, True)]
    later = survival(firms)
    assert later.at(1).reason == NO_CLOSURE_YET and later.at(2).stated


def test_no_firms_at_all():
    table = survival([])
    assert (table.firms, table.closures) == (0, 0)
    assert all(point.reason == TOO_FEW_AT_RISK and point.at_risk == 0 for point in table.points)
    assert table.curve.years == ()


def test_a_firm_cannot_close_before_its_support():
    with pytest.raises(ValueError):
        survival([FirmFollowUp(date(2020, 1, 1), date(2019, 12, 31), date(2019, 12, 31))])
    with pytest.raises(ValueError):
        survival_from_days([10, 20], [True])


def test_days_computed_elsewhere_give_the_same_table():
    from_dates = survival(FIRMS, min_at_risk=1)
    from_days = survival_from_days([d for d, _ in FIRMS_DAYS], [c for _, c in FIRMS_DAYS], min_at_risk=1)
    assert from_days == from_dates


def test_a_closed_firm_is_an_event_at_its_closing_date_whatever_its_last_check():
    checked_later = FirmFollowUp(START, START + timedelta(days=200), START + timedelta(days=900))
    firms = [checked_later] + FIRMS[1:]
    assert survival(firms, min_at_risk=1) == survival(FIRMS, min_at_risk=1)


def test_breakdowns_by_cohort_and_by_kind():
    later = date(2020, 6, 1)
    cohort_2020 = [follow_up(days, closed, start=later) for days, closed in FIRMS_DAYS[:6]]
    by_cohort = survival_by_cohort(FIRMS + cohort_2020, min_at_risk=1)
    assert list(by_cohort) == [2018, 2020]
    assert by_cohort[2018] == survival(FIRMS, min_at_risk=1)
    assert by_cohort[2020] == survival(cohort_2020, min_at_risk=1)
    kinds = ["grant", "crowdfunding", "both"] * 4
    by_kind = survival_by(FIRMS, kinds, min_at_risk=1)
    assert list(by_kind) == ["both", "crowdfunding", "grant"]
    assert by_kind["grant"] == survival(FIRMS[0::3], min_at_risk=1)
    assert sum(table.firms for table in by_kind.values()) == 12
    with pytest.raises(ValueError):
        survival_by(FIRMS, kinds[:-1])


def test_scipy_and_numpy_are_loaded_only_when_a_table_is_asked_for():
    code = (
        "import sys, services.grants.survival, services.grants.charts;"
        "print(sorted(m for m in ('scipy', 'numpy') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_a_cohort_is_the_calendar_year_of_the_first_support():
    new_years_eve = [follow_up(days, closed, start=date(2019, 12, 31)) for days, closed in FIRMS_DAYS]
    new_year = [follow_up(days, closed, start=date(2020, 1, 1)) for days, closed in FIRMS_DAYS[:5]]
    leap_day = [follow_up(days, closed, start=date(2024, 2, 29)) for days, closed in FIRMS_DAYS[:3]]
    by_cohort = survival_by_cohort(new_years_eve + new_year + leap_day, min_at_risk=1)
    assert {year: table.firms for year, table in by_cohort.items()} == {2019: 12, 2020: 5, 2024: 3}
    assert all(isinstance(year, int) for year in by_cohort)


def test_the_reports_tables_from_packed_firms_are_the_same_as_from_follow_ups():
    """What the estimate's process computes from the firms packed (as PostgreSQL or the SQLite
    path packs them) against the tables of the same firms as FirmFollowUps."""
    cohort_2019 = [follow_up(days, closed, start=date(2019, 3, 1)) for days, closed in FIRMS_DAYS]
    cohort_2021 = [follow_up(days, closed, start=date(2021, 12, 31)) for days, closed in FIRMS_DAYS[:7]]
    supported = cohort_2019 + cohort_2021
    kinds = [KINDS[n % 3] for n in range(len(supported))]
    compared = [follow_up(days, closed, start=date(2020, 6, 1)) for days, closed in FIRMS_DAYS[2:]]
    records = b"".join([packed(firm, compared=False, kind=kind) for firm, kind in zip(supported, kinds)]
                       + [packed(firm, compared=True, kind="grant") for firm in compared])
    tables = report_tables(records, min_at_risk=1)
    assert tables.supported == survival(supported, min_at_risk=1)
    assert tables.comparison == survival(compared, min_at_risk=1)
    assert dict(tables.by_cohort) == survival_by_cohort(supported, min_at_risk=1)
    assert [kind for kind, _ in tables.by_kind] == list(KINDS)
    assert dict(tables.by_kind) == survival_by(supported, kinds, min_at_risk=1)
    # Plain Python values only: unpickled in the web process, they import nothing of numpy.
    assert b"numpy" not in pickle.dumps(tables)
    assert report_tables(b"") == report_tables(b"", MIN_AT_RISK)
    with pytest.raises(ValueError):
        report_tables(records[:-1])
