"""A campaign's arithmetic, worked out by hand: progress, days left in Paris time, places left,
pledge amounts, schedules, and which tier changes hurt its backers."""
from datetime import date, datetime, timedelta, timezone

import pytest

from services.crowdfunding import funding
from services.crowdfunding.funding import CountedPledge, TierTerms
from shared.core.clock import paris_to_utc
from shared.core.money import Money


def paris(*parts) -> datetime:
    return paris_to_utc(datetime(*parts))


def test_progress_sums_counted_pledges_and_counts_each_backer_once():
    counted = [CountedPledge(1, 2_500), CountedPledge(2, 10_000), CountedPledge(1, 1_000)]
    now, ends = paris(2026, 11, 22, 10, 0), paris(2026, 12, 1, 18, 0)
    progress = funding.progress(50_000, counted, ends, now)
    # 13 500 of 50 000 is 27 %; backers 1 and 2.
    assert (progress.pledged_cents, progress.percent, progress.backers) == (13_500, 27, 2)
    assert progress.days_left == 9 and not progress.ended and not progress.reached


def test_percent_is_rounded_down_and_may_pass_a_hundred_while_the_bar_stops_full():
    ends = paris(2026, 12, 1, 18, 0)
    now = paris(2026, 11, 22, 10, 0)
    assert funding.progress(30_000, [CountedPledge(1, 9_999)], ends, now).percent == 33  # 33.33
    over = funding.progress(10_000, [CountedPledge(1, 13_650)], ends, now)
    assert (over.percent, over.bar_percent, over.reached) == (136, 100, True)
    assert funding.progress(10_000, [], ends, now).percent == 0


@pytest.mark.parametrize(("now", "expected"), [
    (paris(2026, 11, 30, 9, 0), 1),     # ends tomorrow evening
    (paris(2026, 11, 30, 23, 59), 1),
    (paris(2026, 12, 1, 0, 0), 0),      # its last day
    (paris(2026, 12, 1, 17, 59), 0),
    (paris(2026, 12, 1, 18, 0), 0),     # ended
    (paris(2026, 12, 3, 12, 0), 0),
])
def test_days_left_count_paris_calendar_days(now, expected):
    assert funding.days_left(paris(2026, 12, 1, 18, 0), now) == expected


def test_days_left_across_the_autumn_clock_change_are_calendar_days_not_24_hour_spans():
    # Clocks go back on 25 October 2026 at 3:00: that day has 25 hours.
    assert funding.days_left(paris(2026, 10, 26, 0, 30), paris(2026, 10, 24, 23, 30)) == 2
    # A day of 25 hours is one day all the same.
    assert funding.days_left(paris(2026, 10, 25, 23, 30), paris(2026, 10, 24, 23, 30)) == 1


def test_places_left():
    assert funding.places_left(10, 3) == 7
    assert funding.places_left(10, 12) == 0
    assert funding.places_left(None, 500) is None


def test_amounts_are_at_least_one_euro_and_the_tier_minimum():
    assert funding.amount_problem(99, None) == (funding.AMOUNT_TOO_SMALL, {})
    assert funding.amount_problem(100, None) is None
    assert funding.amount_problem(1_999, 2_000) == (funding.BELOW_TIER_MINIMUM, {"minimum": Money(2_000)})
    assert funding.amount_problem(2_000, 2_000) is None


def test_schedules_end_after_they_start_and_last_at_most_the_days_allowed():
    start = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)
    assert funding.schedule_problems(start, start, 60) == {"ends_at": "A campaign must end after it starts."}
    assert funding.schedule_problems(start, start + timedelta(days=60), 60) == {}
    assert funding.schedule_problems(start, start + timedelta(days=60, seconds=1), 60) == {
        "ends_at": "A campaign runs at most %(days)s days."}


TERMS = TierTerms(title_fr="Le disque", title_en=None, description_fr="Le CD dédicacé.", description_en=None,
                  minimum_cents=2_000, quantity=10, delivery_month=date(2027, 6, 1))


def _with(**changes) -> TierTerms:
    return TierTerms(**{**TERMS.__dict__, **changes})


def test_a_tier_nobody_chose_may_change_in_any_way():
    assert funding.tier_harms(TERMS, _with(minimum_cents=9_000, quantity=1, title_fr="Autre"), 0) == {}


def test_a_tier_with_backers_is_never_made_worse():
    harms = funding.tier_harms(TERMS, _with(minimum_cents=2_001, quantity=2, delivery_month=date(2027, 7, 1),
                                            title_fr="Un autocollant"), 3)
    assert set(harms) == {"minimum_cents", "quantity", "delivery_month", "title_fr"}


def test_a_tier_with_backers_may_become_better():
    better = _with(minimum_cents=1_500, quantity=None, delivery_month=date(2027, 5, 1), title_en="The record",
                   description_en="The signed CD.")
    assert funding.tier_harms(TERMS, better, 3) == {}
    # As many places as are held is fine; an English text once written is the reward too.
    assert funding.tier_harms(TERMS, _with(quantity=3), 3) == {}
    assert set(funding.tier_harms(_with(title_en="The record"), _with(title_en="A sticker"), 1)) == {"title_en"}
