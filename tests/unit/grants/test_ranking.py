"""The jury's arithmetic, on examples computed by hand (no database).

Most examples use one criterion whose levels are 0, 25, 50, 75 and 100: a review's score is then
its level, which keeps the hand computations short."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest

from services.grants.ranking import Candidate, Criterion, SubmittedReview, rank, review_score

QUARTERS = (Criterion("quality", 1, (0, 25, 50, 75, 100)),)
EARLY = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
HARSH, LENIENT, NEWCOMER, RECUSED = 1, 2, 3, 4


def candidate(application_id, jurors, requested=100_000, recused=(), submitted=None):
    return Candidate(application_id, requested, submitted or EARLY + timedelta(minutes=application_id),
                     tuple(jurors), tuple(recused))


def review(application_id, juror_id, level, recommendation="maybe"):
    return SubmittedReview(application_id, juror_id, (("quality", level),), recommendation)


def by_application(ranking):
    return {row.application_id: row for row in ranking.rows}


# --- A review's score --------------------------------------------------------------------------


def test_a_reviews_score_is_the_weighted_mean_of_its_levels_scaled_to_0_100():
    grid = (Criterion("quality", 3, (0, 1, 2, 3, 4)), Criterion("viability", 1, (1, 2, 3)))
    # quality 3 of 0–4 is 75; viability 2 of 1–3 is 50; (3 × 75 + 1 × 50) / 4 = 68.75
    assert review_score(grid, {"quality": 3, "viability": 2}) == Fraction(275, 4)
    assert review_score(grid, {"quality": 0, "viability": 1}) == 0
    assert review_score(grid, {"quality": 4, "viability": 3}) == 100


def test_criteria_without_a_weight_or_without_a_range_do_not_count():
    grid = (Criterion("quality", 2, (0, 2)), Criterion("bonus", 0, (0, 5)), Criterion("single", 4, (3,)))
    assert review_score(grid, {"quality": 1, "bonus": 5, "single": 3}) == 50
    with pytest.raises(ValueError):
        review_score((Criterion("bonus", 0, (0, 5)),), {"bonus": 5})
    with pytest.raises(ValueError):
        review_score(grid, {"bonus": 5})  # quality has no level


# --- The correction ------------------------------------------------------------------------------


def test_a_harsh_and_a_lenient_juror_agree_once_corrected():
    """Harsh gives 25, 50, 75 and lenient 50, 75, 100 to the same three applications.

    Each juror's spread: √((25² + 0 + 25²) / 3) = 20.41; z = −1.2247, 0, +1.2247 for both.
    The panel's six scores: mean 62.5; spread √((37.5² × 2 + 12.5² × 4) / 6) = √572.92 = 23.94.
    Corrected: 62.5 ∓ 1.2247 × 23.9357 = 33.18, 62.50, 91.82, from both jurors alike.
    """
    candidates = tuple(candidate(number, (HARSH, LENIENT)) for number in (1, 2, 3))
    reviews = (review(1, HARSH, 25), review(2, HARSH, 50), review(3, HARSH, 75),
               review(1, LENIENT, 50), review(2, LENIENT, 75), review(3, LENIENT, 100))
    ranking = rank(QUARTERS, candidates, reviews, envelope_cents=10_000_000, disagreement_threshold=15)

    assert (ranking.panel_mean, ranking.panel_spread) == (Decimal("62.50"), Decimal("23.94"))
    [harsh, lenient] = ranking.jurors
    assert (harsh.mean, harsh.spread, harsh.corrected) == (Decimal("50.00"), Decimal("20.41"), True)
    assert (lenient.mean, lenient.spread, lenient.corrected) == (Decimal("75.00"), Decimal("20.41"), True)
    corrected = {(r.application_id, r.juror_id): r.corrected for r in ranking.reviews}
    assert corrected == {
        (1, HARSH): Decimal("33.18"), (1, LENIENT): Decimal("33.18"),
        (2, HARSH): Decimal("62.50"), (2, LENIENT): Decimal("62.50"),
        (3, HARSH): Decimal("91.82"), (3, LENIENT): Decimal("91.82"),
    }
    rows = by_application(ranking)
    assert [(rows[n].raw_mean, rows[n].corrected_mean) for n in (1, 2, 3)] == [
        (Decimal("37.50"), Decimal("33.18")), (Decimal("62.50"), Decimal("62.50")), (Decimal("87.50"), Decimal("91.82"))]
    # Their raw scores differ by 25 on each application: spread 12.5, under the threshold of 15.
    assert all((rows[n].spread, rows[n].disagreement) == (Decimal("12.50"), False) for n in (1, 2, 3))
    assert [row.application_id for row in ranking.rows] == [3, 2, 1]
    assert not any(row.raw_kept for row in ranking.rows)


def test_a_juror_with_one_review_keeps_the_raw_score():
    """The newcomer scores one application, 100: kept as it is (fewer than 3 reviews).

    The panel now has seven scores, 25 50 75 50 75 100 100: mean 475 / 7 = 67.857. Harsh's
    and lenient's middle scores have z = 0, so they become the panel's mean, 67.86.
    """
    candidates = (*(candidate(number, (HARSH, LENIENT)) for number in (1, 2, 3)), candidate(4, (NEWCOMER,)))
    reviews = (review(1, HARSH, 25), review(2, HARSH, 50), review(3, HARSH, 75),
               review(1, LENIENT, 50), review(2, LENIENT, 75), review(3, LENIENT, 100),
               review(4, NEWCOMER, 100, "fund"))
    ranking = rank(QUARTERS, candidates, reviews, envelope_cents=10_000_000, disagreement_threshold=15)

    assert ranking.panel_mean == Decimal("67.86")
    newcomer = next(juror for juror in ranking.jurors if juror.juror_id == NEWCOMER)
    assert (newcomer.reviews, newcomer.corrected) == (1, False)
    [kept] = [r for r in ranking.reviews if r.juror_id == NEWCOMER]
    assert (kept.raw, kept.corrected, kept.correction_applied) == (Decimal("100.00"), Decimal("100.00"), False)
    rows = by_application(ranking)
    assert (rows[4].raw_mean, rows[4].corrected_mean, rows[4].raw_kept) == (Decimal("100.00"), Decimal("100.00"), True)
    assert (rows[4].spread, rows[4].disagreement) == (None, False)  # one review: no spread
    assert rows[2].corrected_mean == Decimal("67.86")
    assert ranking.rows[0].application_id == 4


def test_a_recused_jurors_review_counts_nowhere():
    """Application 1 is assigned to harsh, lenient and a juror recused after scoring it (a flag
    confirmed late): 2 reviews out of 2, the recused juror's 0 left out of its mean and of the
    panel's. That juror's review of application 2, where they are not recused, counts. With at
    most two reviews each, nobody is corrected."""
    candidates = (candidate(1, (HARSH, LENIENT, RECUSED), recused=(RECUSED,)), candidate(2, (HARSH, RECUSED)))
    reviews = (review(1, HARSH, 50), review(1, LENIENT, 100), review(1, RECUSED, 0, "dont_fund"),
               review(2, HARSH, 75), review(2, RECUSED, 0))
    ranking = rank(QUARTERS, candidates, reviews, envelope_cents=10_000_000, disagreement_threshold=15)

    rows = by_application(ranking)
    assert (rows[1].reviews_done, rows[1].reviews_assigned) == (2, 2)
    assert (rows[1].raw_mean, rows[1].corrected_mean, rows[1].dont_fund) == (Decimal("75.00"), Decimal("75.00"), 0)
    # 50 and 100 are 25 from their mean: above the threshold of 15.
    assert (rows[1].spread, rows[1].disagreement) == (Decimal("25.00"), True)
    assert (rows[2].reviews_done, rows[2].reviews_assigned, rows[2].raw_mean) == (2, 2, Decimal("37.50"))
    assert {juror.juror_id: juror.reviews for juror in ranking.jurors} == {HARSH: 2, LENIENT: 1, RECUSED: 1}
    assert ranking.panel_mean == Decimal("56.25")  # (50 + 100 + 75 + 0) / 4


def test_disagreement_is_flagged_strictly_above_the_threshold():
    candidates = (candidate(1, (HARSH, LENIENT)),)
    reviews = (review(1, HARSH, 50), review(1, LENIENT, 100))
    assert by_application(rank(QUARTERS, candidates, reviews, 10_000_000, 25))[1].disagreement is False
    assert by_application(rank(QUARTERS, candidates, reviews, 10_000_000, 24))[1].disagreement is True


# --- Ties, recommendations and the envelope --------------------------------------------------------


def test_ties_are_broken_by_raw_mean_then_recommendations_then_submission():
    """Applications 1 to 4 all score 75 (the jurors have two reviews each: raw scores kept).
    2 has two 'fund', 1 and 3 one 'fund' and one 'maybe', 4 one 'fund' and one 'don't fund'; 3
    was submitted before 1. Application 5 has no review: last, unranked."""
    jurors = (HARSH, LENIENT)
    candidates = (
        candidate(1, jurors, submitted=EARLY + timedelta(hours=2)),
        candidate(2, jurors, submitted=EARLY + timedelta(hours=3)),
        candidate(3, jurors, submitted=EARLY + timedelta(hours=1)),
        candidate(4, jurors, submitted=EARLY),
        candidate(5, jurors),
    )
    reviews = (
        review(1, HARSH, 75, "fund"), review(1, LENIENT, 75, "maybe"),
        review(2, HARSH, 75, "fund"), review(2, LENIENT, 75, "fund"),
        review(3, HARSH, 75, "maybe"), review(3, LENIENT, 75, "fund"),
        review(4, HARSH, 75, "fund"), review(4, LENIENT, 75, "dont_fund"),
    )
    ranking = rank(QUARTERS, candidates, reviews, envelope_cents=10_000_000, disagreement_threshold=15)
    assert [(row.application_id, row.rank) for row in ranking.rows] == [(2, 1), (3, 2), (1, 3), (4, 4), (5, None)]
    rows = by_application(ranking)
    assert (rows[2].fund, rows[2].maybe, rows[2].dont_fund) == (2, 0, 0)
    assert (rows[4].fund, rows[4].maybe, rows[4].dont_fund) == (1, 0, 1)
    assert (rows[5].reviews_done, rows[5].reviews_assigned, rows[5].raw_mean) == (0, 2, None)
    # The same order however the inputs come.
    again = rank(QUARTERS, tuple(reversed(candidates)), tuple(reversed(reviews)), 10_000_000, 15)
    assert again.rows == ranking.rows


def test_the_running_total_shows_where_the_envelope_runs_out():
    """€4,000, €3,000 and €5,000 requested against €8,000: the third goes past it."""
    candidates = (candidate(1, (HARSH,), requested=400_000), candidate(2, (HARSH,), requested=300_000),
                  candidate(3, (HARSH,), requested=500_000), candidate(4, (HARSH,), requested=100_000))
    reviews = (review(1, HARSH, 100), review(2, HARSH, 75), review(3, HARSH, 50))
    ranking = rank(QUARTERS, candidates, reviews, envelope_cents=800_000, disagreement_threshold=15)
    assert [(row.application_id, row.running_total_cents, row.within_envelope) for row in ranking.rows] == [
        (1, 400_000, True), (2, 700_000, True), (3, 1_200_000, False), (4, None, False)]


def test_a_juror_who_gives_every_application_the_same_score_lands_on_the_panels_mean():
    candidates = tuple(candidate(number, (HARSH, LENIENT)) for number in (1, 2, 3))
    reviews = (review(1, HARSH, 50), review(2, HARSH, 50), review(3, HARSH, 50),
               review(1, LENIENT, 0), review(2, LENIENT, 50), review(3, LENIENT, 100))
    ranking = rank(QUARTERS, candidates, reviews, envelope_cents=10_000_000, disagreement_threshold=15)
    # Panel mean: (150 + 150) / 6 = 50.
    assert {r.corrected for r in ranking.reviews if r.juror_id == HARSH} == {Decimal("50.00")}


def test_corrected_scores_stay_within_0_and_100():
    """On application 4, harsh's 0 (after 100 100 100: mean 75, spread 43.30) has z = −1.73 and
    lenient's 100 (after 0 0 0) z = +1.73; with the panel's mean 50 and spread 50 they would be
    −36.6 and 136.6: kept at 0 and 100."""
    candidates = tuple(candidate(number, (HARSH, LENIENT)) for number in (1, 2, 3, 4))
    reviews = (review(1, HARSH, 100), review(2, HARSH, 100), review(3, HARSH, 100), review(4, HARSH, 0),
               review(1, LENIENT, 0), review(2, LENIENT, 0), review(3, LENIENT, 0), review(4, LENIENT, 100))
    ranking = rank(QUARTERS, candidates, reviews, envelope_cents=10_000_000, disagreement_threshold=15)
    assert max(r.corrected for r in ranking.reviews) <= 100 and min(r.corrected for r in ranking.reviews) >= 0
    assert {r.juror_id: r.corrected for r in ranking.reviews if r.application_id == 4} == {
        HARSH: Decimal("0.00"), LENIENT: Decimal("100.00")}


def test_an_unknown_recommendation_is_refused():
    with pytest.raises(ValueError):
        SubmittedReview(1, 1, (("quality", 50),), "yes")
