"""The jury's arithmetic: a review's score, the correction of harsh and lenient jurors, the
disagreement between jurors, and the ranked table against the fund's envelope.

Pure: frozen dataclasses in, frozen dataclasses out, no database. Scores are exact (whole units
of the grid's scale) until a standard deviation needs a square root; every figure given out is rounded to the
hundredth (half up), and ties are judged on the rounded figures, as the page shows them.

- **A review's score** is the weighted mean of its criterion levels, each level scaled to 0–100
  over its criterion's range (its lowest level is 0, its highest 100). A criterion with a weight
  of 0, or with one level only (no range), does not count.
- **Harshness correction**: a juror with at least `MINIMUM_REVIEWS_FOR_CORRECTION` reviews in the
  call has each score standardised over their own reviews (z = (score − their mean) / their
  spread) and put back on the scale with the panel's mean and spread (panel mean + z × panel
  spread), kept within 0–100. A juror who gave every application the same score has z = 0: the
  panel's mean. A juror with fewer reviews keeps their raw scores.
- **Spreads** are population standard deviations (divided by n, not n − 1): of the panel's scores,
  of one juror's, and between an application's jurors (its disagreement, flagged strictly above
  the threshold; none with fewer than two reviews).
- Only the reviews of jurors assigned and not recused count: a juror recused after scoring
  (a flag confirmed late, say) is left out, from the application's figures and from the panel's.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

MINIMUM_REVIEWS_FOR_CORRECTION = 3
RECOMMENDATIONS = ("fund", "maybe", "dont_fund")

# Written on the ranking page and in the export: the order is the same every time.
TIE_RULE = (
    "Applications are ranked by corrected mean, highest first. Equal corrected means (to the "
    "hundredth) are ordered by raw mean, then by more 'fund' recommendations, then by fewer "
    "'don't fund' recommendations, then by the earlier submission, then by the lower application "
    "number. Applications without a submitted review come last, unranked."
)


@dataclass(frozen=True)
class Criterion:
    code: str
    weight: int
    levels: tuple[int, ...]  # the scores of its anchored levels

    def __post_init__(self) -> None:
        if self.weight < 0:
            raise ValueError("A criterion's weight must not be negative.")
        if not self.levels:
            raise ValueError(f"Criterion {self.code} has no level.")

    @property
    def counts(self) -> bool:
        return self.weight > 0 and max(self.levels) > min(self.levels)


@dataclass(frozen=True, slots=True)
class SubmittedReview:
    application_id: int
    juror_id: int
    levels: tuple[tuple[str, int], ...]  # (criterion code, level score)
    recommendation: str

    def __post_init__(self) -> None:
        if self.recommendation not in RECOMMENDATIONS:
            raise ValueError(f"Unknown recommendation {self.recommendation!r}.")


@dataclass(frozen=True, slots=True)
class Candidate:
    """An application to rank, with every juror assigned to it (recused ones included)."""

    application_id: int
    requested_cents: int
    submitted_at: datetime
    assigned_jurors: tuple[int, ...]
    recused_jurors: tuple[int, ...] = ()

    @property
    def counted_jurors(self) -> frozenset[int]:
        return frozenset(self.assigned_jurors) - frozenset(self.recused_jurors)


@dataclass(frozen=True, slots=True)
class ScoredReview:
    application_id: int
    juror_id: int
    raw: Decimal
    corrected: Decimal
    correction_applied: bool


@dataclass(frozen=True, slots=True)
class JurorFigures:
    juror_id: int
    reviews: int
    mean: Decimal
    spread: Decimal
    corrected: bool  # False: fewer than MINIMUM_REVIEWS_FOR_CORRECTION reviews, raw scores kept


@dataclass(frozen=True, slots=True)
class RankedApplication:
    rank: int | None  # None: no submitted review yet
    application_id: int
    raw_mean: Decimal | None
    corrected_mean: Decimal | None
    reviews_done: int
    reviews_assigned: int  # assigned and not recused
    spread: Decimal | None  # None with fewer than two reviews
    disagreement: bool
    fund: int
    maybe: int
    dont_fund: int
    raw_kept: bool  # some of its reviews are by jurors whose raw scores are kept
    requested_cents: int
    running_total_cents: int | None  # None when unranked
    within_envelope: bool


@dataclass(frozen=True)
class Ranking:
    rows: tuple[RankedApplication, ...]
    jurors: tuple[JurorFigures, ...]
    panel_mean: Decimal | None
    panel_spread: Decimal | None
    envelope_cents: int
    disagreement_threshold: int
    minimum_reviews_for_correction: int = MINIMUM_REVIEWS_FOR_CORRECTION
    # Each counted review as (application, juror, units, corrected points, correction applied)
    # and the units that make 100 points: `reviews` is made from them when asked (the exports
    # ask, the ranked table does not, and 5,000 objects are a good part of its time).
    review_figures: tuple[tuple[int, int, int, float, bool], ...] = field(default=(), repr=False, compare=False)
    full_units: int = field(default=1, repr=False, compare=False)

    @property
    def ranked(self) -> tuple[RankedApplication, ...]:
        return tuple(row for row in self.rows if row.rank is not None)

    @cached_property
    def reviews(self) -> tuple[ScoredReview, ...]:
        scale = _Scale((), self.full_units)
        return tuple(
            ScoredReview(application, juror, scale.hundredths(units, 1), _round(corrected), applied)
            for application, juror, units, corrected, applied in sorted(self.review_figures)
        )


@dataclass(frozen=True)
class _Scale:
    """Scores as whole units, so that sums and means stay exact: `full` units are 100 points.

    A criterion's step is worth unit / range units, unit being the least common multiple of the
    ranges; weighted, the whole grid spans weight × unit units."""

    steps: tuple[tuple[str, int, int], ...]  # (code, lowest level, units per level step, weighted)
    full: int

    @classmethod
    def of(cls, grid: tuple[Criterion, ...]) -> "_Scale":
        counted = tuple(criterion for criterion in grid if criterion.counts)
        if not counted:
            raise ValueError("The grid has no criterion with a weight and a range of levels.")
        unit = math.lcm(*(max(c.levels) - min(c.levels) for c in counted))
        steps = tuple((c.code, min(c.levels), c.weight * (unit // (max(c.levels) - min(c.levels)))) for c in counted)
        return cls(steps, unit * sum(c.weight for c in counted))

    def units(self, levels: dict[str, int]) -> int:
        try:
            return sum(step * (levels[code] - low) for code, low, step in self.steps)
        except KeyError as missing:
            raise ValueError(f"No level for criterion {missing.args[0]}.") from None

    @cached_property
    def _by_code(self) -> dict[str, tuple[int, int]]:
        return {code: (low, step) for code, low, step in self.steps}

    def units_of(self, levels: tuple[tuple[str, int], ...]) -> int:
        """As `units`, from a review's (code, level) pairs."""
        by_code, total, found = self._by_code, 0, 0
        for code, level in levels:
            known = by_code.get(code)
            if known is not None:
                total += known[1] * (level - known[0])
                found += 1
        if found != len(self.steps):
            raise ValueError("A review lacks a level for a criterion of the grid.")
        return total

    def points(self, units: float) -> float:
        return units * 100 / self.full

    def hundredths(self, units_sum: int, count: int) -> Decimal:
        """The mean of `count` scores totalling `units_sum` units, in points to the hundredth
        (half up), computed exactly."""
        denominator = count * self.full
        return _decimal((2 * 10_000 * units_sum + denominator) // (2 * denominator))


def review_score(grid: tuple[Criterion, ...], levels: dict[str, int]) -> Fraction:
    """The weighted mean of the levels, each scaled to 0–100 over its criterion's range."""
    scale = _Scale.of(grid)
    return Fraction(scale.units(levels) * 100, scale.full)


def rank(
    grid: tuple[Criterion, ...],
    candidates: tuple[Candidate, ...],
    reviews: tuple[SubmittedReview, ...],
    envelope_cents: int,
    disagreement_threshold: int,
    minimum_reviews_for_correction: int = MINIMUM_REVIEWS_FOR_CORRECTION,
) -> Ranking:
    scale = _Scale.of(grid)
    by_id = {candidate.application_id: candidate for candidate in candidates}
    counted_jurors = {candidate.application_id: candidate.counted_jurors for candidate in candidates}

    # The reviews that count, in lists side by side: their keys, units and recommendations.
    keys: list[tuple[int, int]] = []
    units: list[int] = []
    recommendations: list[str] = []
    for review in reviews:
        jurors_of = counted_jurors.get(review.application_id)
        if jurors_of is not None and review.juror_id in jurors_of:
            keys.append((review.application_id, review.juror_id))
            units.append(scale.units_of(review.levels))
            recommendations.append(review.recommendation)
    points = [scale.points(value) for value in units]
    panel_mean = _mean(points)
    panel_spread = _spread(points, panel_mean)

    by_juror: dict[int, list[int]] = defaultdict(list)  # juror: indices of their reviews
    by_application: dict[int, list[int]] = defaultdict(list)
    for index, (application, juror) in enumerate(keys):
        by_juror[juror].append(index)
        by_application[application].append(index)

    corrected = list(points)
    corrected_jurors = set()
    jurors = []
    for juror, indices in sorted(by_juror.items()):
        own = [points[index] for index in indices]
        mean = _mean(own)
        spread = _spread(own, mean)
        applies = len(indices) >= minimum_reviews_for_correction
        jurors.append(JurorFigures(juror, len(indices), scale.hundredths(sum(units[i] for i in indices), len(indices)),
                                   _round(spread), applies))
        if applies:
            corrected_jurors.add(juror)
            for index in indices:
                z = 0.0 if spread == 0 else (points[index] - mean) / spread
                corrected[index] = min(100.0, max(0.0, panel_mean + z * panel_spread))

    rows = []
    for candidate in candidates:
        application = candidate.application_id
        own = by_application.get(application, ())
        spread = _round(_spread([points[i] for i in own])) if len(own) >= 2 else None
        counts = Counter(recommendations[i] for i in own)
        rows.append({
            "application_id": application,
            "raw_mean": scale.hundredths(sum(units[i] for i in own), len(own)) if own else None,
            "corrected_mean": _round(_mean([corrected[i] for i in own])) if own else None,
            "reviews_done": len(own),
            "reviews_assigned": len(counted_jurors[application]),
            "spread": spread,
            "disagreement": spread is not None and spread > disagreement_threshold,
            "fund": counts["fund"], "maybe": counts["maybe"], "dont_fund": counts["dont_fund"],
            "raw_kept": any(keys[i][1] not in corrected_jurors for i in own),
            "requested_cents": candidate.requested_cents,
        })
    return Ranking(
        rows=_ordered_with_totals(rows, by_id, envelope_cents), jurors=tuple(jurors),
        panel_mean=scale.hundredths(sum(units), len(units)) if units else None,
        panel_spread=_round(panel_spread) if units else None,
        envelope_cents=envelope_cents, disagreement_threshold=disagreement_threshold,
        minimum_reviews_for_correction=minimum_reviews_for_correction,
        review_figures=tuple((application, juror, units[index], corrected[index], juror in corrected_jurors)
                             for index, (application, juror) in enumerate(keys)),
        full_units=scale.full,
    )


def _ordered_with_totals(rows: list[dict], by_id: dict[int, Candidate], envelope_cents: int) -> tuple:
    def key(row: dict):
        candidate = by_id[row["application_id"]]
        return (
            -row["corrected_mean"], -row["raw_mean"], -row["fund"], row["dont_fund"],
            candidate.submitted_at, row["application_id"],
        )

    scored = sorted((row for row in rows if row["reviews_done"]), key=key)
    unscored = sorted((row for row in rows if not row["reviews_done"]), key=lambda row: row["application_id"])
    ordered, total = [], 0
    for position, row in enumerate(scored, start=1):
        total += row["requested_cents"]
        ordered.append(RankedApplication(rank=position, running_total_cents=total,
                                         within_envelope=total <= envelope_cents, **row))
    for row in unscored:
        ordered.append(RankedApplication(rank=None, running_total_cents=None, within_envelope=False, **row))
    return tuple(ordered)


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def _spread(values: list[float], mean: float | None = None) -> float:
    """The population standard deviation (divided by n)."""
    if not values:
        return 0.0
    mean = _mean(values) if mean is None else mean
    return math.sqrt(math.fsum((value - mean) ** 2 for value in values) / len(values))


# Every figure given out is between 0 and 100 (a spread of such scores too): made once.
_HUNDREDTHS = tuple(Decimal(number).scaleb(-2) for number in range(10_001))


def _decimal(hundredths: int) -> Decimal:
    if 0 <= hundredths <= 10_000:
        return _HUNDREDTHS[hundredths]
    return Decimal(hundredths).scaleb(-2)


def _round(value: float) -> Decimal:
    """A figure that went through a square root, to the hundredth, half up."""
    return _decimal(math.floor(value * 100 + 0.5))
