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
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

MINIMUM_REVIEWS_FOR_CORRECTION = 3
RECOMMENDATIONS = ("fund", "maybe", "dont_fund")
HUNDREDTH = Decimal("0.01")

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


@dataclass(frozen=True)
class SubmittedReview:
    application_id: int
    juror_id: int
    levels: tuple[tuple[str, int], ...]  # (criterion code, level score)
    recommendation: str

    def __post_init__(self) -> None:
        if self.recommendation not in RECOMMENDATIONS:
            raise ValueError(f"Unknown recommendation {self.recommendation!r}.")


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ScoredReview:
    application_id: int
    juror_id: int
    raw: Decimal
    corrected: Decimal
    correction_applied: bool


@dataclass(frozen=True)
class JurorFigures:
    juror_id: int
    reviews: int
    mean: Decimal
    spread: Decimal
    corrected: bool  # False: fewer than MINIMUM_REVIEWS_FOR_CORRECTION reviews, raw scores kept


@dataclass(frozen=True)
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
    reviews: tuple[ScoredReview, ...]
    panel_mean: Decimal | None
    panel_spread: Decimal | None
    envelope_cents: int
    disagreement_threshold: int
    minimum_reviews_for_correction: int = MINIMUM_REVIEWS_FOR_CORRECTION

    @property
    def ranked(self) -> tuple[RankedApplication, ...]:
        return tuple(row for row in self.rows if row.rank is not None)


@dataclass(frozen=True)
class _Scale:
    """Scores as whole units, so that sums and means stay exact: `full` units are 100 points.

    A criterion's step is worth unit / range units, unit being the least common multiple of the
    ranges; weighted, the whole grid spans weight × unit units."""

    counted: tuple[Criterion, ...]
    unit: int
    full: int

    @classmethod
    def of(cls, grid: tuple[Criterion, ...]) -> "_Scale":
        counted = tuple(criterion for criterion in grid if criterion.counts)
        if not counted:
            raise ValueError("The grid has no criterion with a weight and a range of levels.")
        unit = math.lcm(*(max(c.levels) - min(c.levels) for c in counted))
        return cls(counted, unit, unit * sum(c.weight for c in counted))

    def units(self, levels: dict[str, int]) -> int:
        total = 0
        for criterion in self.counted:
            if criterion.code not in levels:
                raise ValueError(f"No level for criterion {criterion.code}.")
            low, high = min(criterion.levels), max(criterion.levels)
            total += criterion.weight * (levels[criterion.code] - low) * (self.unit // (high - low))
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
    counted = [
        review for review in reviews
        if review.juror_id in counted_jurors.get(review.application_id, ())
    ]
    units = {(review.application_id, review.juror_id): scale.units(dict(review.levels)) for review in counted}
    points = {key: scale.points(value) for key, value in units.items()}

    panel_mean = _mean(list(points.values()))
    panel_spread = _spread(list(points.values()), panel_mean)

    per_juror: dict[int, list[tuple[int, int]]] = defaultdict(list)  # juror: [(application, units)]
    for (application, juror), value in units.items():
        per_juror[juror].append((application, value))
    corrected_jurors = {juror for juror, scores in per_juror.items() if len(scores) >= minimum_reviews_for_correction}
    corrected_points: dict[tuple[int, int], float] = {}
    jurors = []
    for juror, scores in sorted(per_juror.items()):
        own = [scale.points(value) for _application, value in scores]
        mean = _mean(own)
        spread = _spread(own, mean)
        jurors.append(JurorFigures(juror, len(scores), scale.hundredths(sum(v for _a, v in scores), len(scores)),
                                   _round(spread), juror in corrected_jurors))
        for (application, _value), score in zip(scores, own):
            if juror not in corrected_jurors:
                corrected_points[(application, juror)] = score
            else:
                z = 0.0 if spread == 0 else (score - mean) / spread
                corrected_points[(application, juror)] = min(100.0, max(0.0, panel_mean + z * panel_spread))

    scored = tuple(
        ScoredReview(application, juror, scale.hundredths(value, 1), _round(corrected_points[(application, juror)]),
                     juror in corrected_jurors)
        for (application, juror), value in sorted(units.items())
    )

    per_application: dict[int, list[int]] = defaultdict(list)  # application: [juror]
    for application, juror in units:
        per_application[application].append(juror)
    recommendations: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(RECOMMENDATIONS, 0))
    for review in counted:
        recommendations[review.application_id][review.recommendation] += 1

    rows = []
    for candidate in candidates:
        application = candidate.application_id
        own = per_application.get(application, [])
        spread = _round(_spread([points[(application, j)] for j in own])) if len(own) >= 2 else None
        counts = recommendations.get(application, dict.fromkeys(RECOMMENDATIONS, 0))
        rows.append({
            "application_id": application,
            "raw_mean": scale.hundredths(sum(units[(application, j)] for j in own), len(own)) if own else None,
            "corrected_mean": _round(_mean([corrected_points[(application, j)] for j in own])) if own else None,
            "reviews_done": len(own),
            "reviews_assigned": len(counted_jurors[application]),
            "spread": spread,
            "disagreement": spread is not None and spread > disagreement_threshold,
            "fund": counts["fund"], "maybe": counts["maybe"], "dont_fund": counts["dont_fund"],
            "raw_kept": any(j not in corrected_jurors for j in own),
            "requested_cents": candidate.requested_cents,
        })
    return Ranking(
        rows=_ordered_with_totals(rows, by_id, envelope_cents), jurors=tuple(jurors), reviews=scored,
        panel_mean=scale.hundredths(sum(units.values()), len(units)) if units else None,
        panel_spread=_round(panel_spread) if units else None,
        envelope_cents=envelope_cents, disagreement_threshold=disagreement_threshold,
        minimum_reviews_for_correction=minimum_reviews_for_correction,
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


def _decimal(hundredths: int) -> Decimal:
    return Decimal(hundredths).scaleb(-2).quantize(HUNDREDTH)


def _round(value: float) -> Decimal:
    """A figure that went through a square root, to the hundredth, half up (the shortest decimal
    that is this float is what is rounded, so that 0.125 rounds as written)."""
    return Decimal(repr(value)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
