"""Balanced assignment, without a database."""
from collections import Counter

from services.grants.assignment import Need, Seat, balanced_assignment


def loads(plan, start=None):
    counted = Counter(start or {})
    counted.update(seat.juror_id for seat in plan.seats)
    return counted


def test_every_juror_gets_about_the_same_load():
    # 10 applications × 3 reviews = 30 seats for 4 jurors: 8, 8, 7, 7.
    plan = balanced_assignment((1, 2, 3, 4), {}, tuple(Need(a, 3) for a in range(1, 11)))
    assert plan.unfilled == ()
    assert sorted(loads(plan).values()) == [7, 7, 8, 8]
    per_application = Counter(seat.application_id for seat in plan.seats)
    assert set(per_application.values()) == {3}
    assert len(set(plan.seats)) == 30  # nobody twice on one application


def test_no_juror_is_given_an_application_they_are_excluded_from():
    needs = (Need(1, 2, excluded=(1,)), Need(2, 2, excluded=(1, 2)), Need(3, 2))
    plan = balanced_assignment((1, 2, 3), {}, needs)
    assert Seat(1, 1) not in plan.seats and Seat(2, 1) not in plan.seats and Seat(2, 2) not in plan.seats
    assert {seat.juror_id for seat in plan.seats if seat.application_id == 2} == {3}
    # Application 2 can only have juror 3: one review missing.
    assert plan.unfilled == ((2, 1),)
    # The most constrained application was served first, and the loads stay close: 1, 2, 2.
    assert sorted(loads(plan).values()) == [1, 2, 2]


def test_existing_assignments_count_for_the_application_and_the_load():
    needs = (Need(1, 2, assigned=(1,), excluded=()), Need(2, 2), Need(3, 1))
    plan = balanced_assignment((1, 2, 3), {1: 4}, needs)
    assert Seat(1, 1) not in plan.seats
    assert Counter(seat.application_id for seat in plan.seats) == {1: 1, 2: 2, 3: 1}
    # Juror 1 already had 4 reviews: the 4 new seats go to 2 and 3.
    assert loads(plan) == Counter({2: 2, 3: 2})


def test_nothing_to_do_when_every_application_has_its_reviews():
    plan = balanced_assignment((1, 2), {1: 1, 2: 1}, (Need(1, 2, assigned=(1, 2)),))
    assert plan.seats == () and plan.unfilled == ()


def test_too_few_jurors_leaves_reviews_missing():
    plan = balanced_assignment((1, 2), {}, (Need(1, 3), Need(2, 3)))
    assert len(plan.seats) == 4 and plan.unfilled == ((1, 1), (2, 1))
