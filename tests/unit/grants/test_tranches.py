import random
from decimal import Decimal

import pytest

from services.grants.tranches import (
    ACCEPTANCE,
    DEFAULT_PLAN,
    FINAL_REPORT,
    INTERIM_REPORT,
    WHOLE,
    InvalidPlan,
    Tranche,
    TrancheAmount,
    TranchePlan,
    plan_failures,
    share_from_percent,
    split_award,
)


def amounts(plan, cents):
    return [tranche.cents for tranche in split_award(plan, cents)]


def rules(tranches):
    return [(failure.rule, failure.position) for failure in plan_failures(tranches)]


# --- Hand-computed splits -----------------------------------------------------------------------


def test_the_default_plan_is_70_at_acceptance_and_30_on_the_final_report():
    assert DEFAULT_PLAN.tranches == (Tranche(7000, ACCEPTANCE), Tranche(3000, FINAL_REPORT))


def test_ten_thousand_euros_and_one_cent_split_70_30():
    # 1 000 001 × 70 % = 700 000.7 and × 30 % = 300 000.3: the floors make 1 000 000, the cent
    # left goes to the larger remainder, 0.7.
    assert split_award(DEFAULT_PLAN, 1_000_001) == (
        TrancheAmount(1, ACCEPTANCE, 7000, 700_001),
        TrancheAmount(2, FINAL_REPORT, 3000, 300_000),
    )


def test_a_round_award_splits_exactly():
    assert amounts(DEFAULT_PLAN, 1_000_000) == [700_000, 300_000]


def test_fifty_twenty_thirty():
    plan = TranchePlan.of((50, ACCEPTANCE), (20, INTERIM_REPORT), (30, FINAL_REPORT))
    # 500 000.5, 200 000.2, 300 000.3: the cent goes to the 0.5.
    assert amounts(plan, 1_000_001) == [500_001, 200_000, 300_000]
    # 4 999 × (50, 20, 30) % = 2 499.5, 999.8, 1 499.7: floors 4 997, two cents left, to 0.8
    # then 0.7.
    assert amounts(plan, 4_999) == [2_499, 1_000, 1_500]


def test_thirds_with_basis_points():
    plan = TranchePlan.of(("33.33", ACCEPTANCE), ("33.33", INTERIM_REPORT), ("33.34", FINAL_REPORT))
    # 100 × (33.33, 33.33, 33.34) % = 33.33, 33.33, 33.34: the cent to the 0.34.
    assert amounts(plan, 100) == [33, 33, 34]
    # 200: 66.66, 66.66, 66.68: two cents, to the 0.68 then the earlier 0.66.
    assert amounts(plan, 200) == [67, 66, 67]


def test_a_tie_goes_to_the_earlier_tranche():
    halves = TranchePlan.of((50, ACCEPTANCE), (50, FINAL_REPORT))
    assert amounts(halves, 1) == [1, 0]
    assert amounts(halves, 3) == [2, 1]
    quarters = TranchePlan.of((25, ACCEPTANCE), (25, INTERIM_REPORT), (25, INTERIM_REPORT), (25, FINAL_REPORT))
    # 7 × 25 % = 1.75 each: 4 cents in floors, 3 left, to the first three.
    assert amounts(quarters, 7) == [2, 2, 2, 1]


def test_nothing_awarded_splits_into_nothing():
    assert amounts(DEFAULT_PLAN, 0) == [0, 0]


def test_one_tranche_takes_everything():
    plan = TranchePlan.of((100, ACCEPTANCE))
    assert amounts(plan, 1_234_567) == [1_234_567]


def test_the_plan_splits_itself():
    assert DEFAULT_PLAN.split(1_000_001) == split_award(DEFAULT_PLAN, 1_000_001)


@pytest.mark.parametrize("award", [-1, 10.5, "100", True])
def test_an_award_is_whole_non_negative_cents(award):
    with pytest.raises((TypeError, ValueError)):
        split_award(DEFAULT_PLAN, award)


# --- Properties over many amounts ---------------------------------------------------------------

PLANS = [
    DEFAULT_PLAN,
    TranchePlan.of((50, ACCEPTANCE), (20, INTERIM_REPORT), (30, FINAL_REPORT)),
    TranchePlan.of(("33.33", ACCEPTANCE), ("33.33", INTERIM_REPORT), ("33.34", FINAL_REPORT)),
    TranchePlan.of(("0.01", ACCEPTANCE), ("99.99", FINAL_REPORT)),
    TranchePlan.of(
        ("16.67", ACCEPTANCE), ("16.67", INTERIM_REPORT), ("16.66", INTERIM_REPORT),
        ("16.67", INTERIM_REPORT), ("16.67", INTERIM_REPORT), ("16.66", FINAL_REPORT),
    ),
]


def _awards():
    generator = random.Random(20260101)  # seeded: a failure is reproduced by running again
    yield from range(0, 2_001)
    for _ in range(3_000):
        yield generator.randrange(0, 2_000_000_001)
    yield 2_000_000_000


@pytest.mark.parametrize("plan", PLANS, ids=lambda plan: "/".join(str(t.percent) for t in plan.tranches))
def test_every_split_adds_up_and_stays_within_a_cent_of_the_exact_share(plan):
    for award in _awards():
        split = split_award(plan, award)
        assert sum(t.cents for t in split) == award, award
        for tranche in split:
            exact = Decimal(award) * tranche.share_bp / WHOLE
            assert exact - 1 < tranche.cents < exact + 1, (award, tranche)
        # Largest remainder: no cent could be moved to a tranche that lost more of one.
        given = [t for t in split if t.cents > award * t.share_bp // WHOLE]
        kept = [t for t in split if t.cents == award * t.share_bp // WHOLE]
        for up in given:
            for down in kept:
                assert (award * up.share_bp) % WHOLE >= (award * down.share_bp) % WHOLE, (award, up, down)


def test_the_same_award_and_plan_always_split_alike():
    plan = PLANS[2]
    assert {split_award(plan, 1_000_001) for _ in range(20)} == {split_award(plan, 1_000_001)}


# --- Plans ---------------------------------------------------------------------------------------


def test_valid_plans_break_no_rule():
    for plan in PLANS:
        assert plan_failures(plan.tranches) == []
    assert plan_failures([Tranche(10_000, FINAL_REPORT)]) == []
    assert plan_failures([Tranche(6_000, INTERIM_REPORT), Tranche(4_000, INTERIM_REPORT)]) == []


def test_shares_must_add_up_to_exactly_one_hundred_percent():
    failures = plan_failures([Tranche(7000, ACCEPTANCE), Tranche(2999, FINAL_REPORT)])
    assert [f.rule for f in failures] == ["shares_total"]
    assert failures[0].message == "The tranches' shares add up to 99.99% instead of 100%."
    assert rules([Tranche(7000, ACCEPTANCE), Tranche(3001, FINAL_REPORT)]) == [("shares_total", None)]


def test_a_plan_has_tranches_and_not_too_many():
    assert rules([]) == [("tranches_required", None)]
    seven = [Tranche(1000, INTERIM_REPORT)] * 6 + [Tranche(4000, FINAL_REPORT)]
    failures = plan_failures(seven)
    assert [f.rule for f in failures] == ["too_many_tranches"]
    assert failures[0].message == "A tranche plan has at most 6 tranches."


def test_each_share_is_positive_whole_basis_points():
    assert rules([Tranche(0, ACCEPTANCE), Tranche(10_000, FINAL_REPORT)]) == [("share_positive", 0)]
    assert rules([Tranche(-500, ACCEPTANCE), Tranche(10_500, FINAL_REPORT)]) == [("share_positive", 0)]
    assert rules([Tranche(7000.0, ACCEPTANCE), Tranche(3000, FINAL_REPORT)]) == [("share_basis_points", 0)]


def test_each_tranche_has_a_known_due_condition():
    assert rules([Tranche(7000, ACCEPTANCE), Tranche(3000, "whenever")]) == [("due_condition", 1)]


def test_acceptance_comes_first_and_the_final_report_last():
    assert rules([Tranche(3000, FINAL_REPORT), Tranche(7000, ACCEPTANCE)]) == [
        ("final_report_last", 0), ("acceptance_first", 1),
    ]
    assert rules([Tranche(5000, ACCEPTANCE), Tranche(2500, ACCEPTANCE), Tranche(2500, FINAL_REPORT)]) == [
        ("acceptance_first", 1),
    ]
    assert rules([Tranche(5000, INTERIM_REPORT), Tranche(2500, FINAL_REPORT), Tranche(2500, FINAL_REPORT)]) == [
        ("final_report_last", 1),
    ]


def test_an_invalid_plan_cannot_be_made():
    with pytest.raises(InvalidPlan) as raised:
        TranchePlan((Tranche(7000, ACCEPTANCE), Tranche(2000, FINAL_REPORT)))
    assert [f.rule for f in raised.value.failures] == ["shares_total"]


def test_a_plan_keeps_its_tranches_as_a_tuple():
    plan = TranchePlan([Tranche(7000, ACCEPTANCE), Tranche(3000, FINAL_REPORT)])
    assert plan == DEFAULT_PLAN and hash(plan) == hash(DEFAULT_PLAN)


@pytest.mark.parametrize(
    ("written", "basis_points"),
    [("70", 7000), (70, 7000), ("33.34", 3334), ("33,34", 3334), ("0.01", 1), ("100", 10_000), (" 12,5 % ", 1250),
     (Decimal("20.00"), 2000)],
)
def test_shares_from_percentages(written, basis_points):
    assert share_from_percent(written) == basis_points


@pytest.mark.parametrize("written", ["", "abc", "33.333", "0", "-5", "100.01", "NaN", "Infinity"])
def test_shares_that_are_not_percentages_of_a_plan(written):
    with pytest.raises(ValueError):
        share_from_percent(written)


def test_a_tranche_shows_its_percentage():
    assert Tranche(3334, ACCEPTANCE).percent == Decimal("33.34")


def test_every_rule_and_share_message_has_its_french():
    from pathlib import Path

    import services.grants.tranches as module
    from shared.web.i18n import Catalog

    catalog = Catalog(Path(module.__file__).parent / "translations")
    broken = [
        [], [Tranche(1000, INTERIM_REPORT)] * 6 + [Tranche(4000, FINAL_REPORT)],
        [Tranche(0, ACCEPTANCE), Tranche(7000.0, INTERIM_REPORT), Tranche(3000, "whenever")],
        [Tranche(3000, FINAL_REPORT), Tranche(7000, ACCEPTANCE)],
        [Tranche(7000, ACCEPTANCE), Tranche(2999, FINAL_REPORT)],
    ]
    failures = [failure for plan in broken for failure in plan_failures(plan)]
    assert {f.rule for f in failures} == {"tranches_required", "too_many_tranches", "share_positive",
                                          "share_basis_points", "due_condition", "shares_total",
                                          "acceptance_first", "final_report_last"}
    assert [f.template for f in failures if not catalog.knows(f.template)] == []
    shares = [module.SHARE_NOT_A_PERCENTAGE, module.SHARE_TOO_PRECISE, module.SHARE_OUT_OF_RANGE]
    assert [m for m in shares if not catalog.knows(m)] == []
    (total,) = plan_failures([Tranche(7000, ACCEPTANCE), Tranche(2999, FINAL_REPORT)])
    assert catalog.translate(total.template, "fr", **dict(total.values)) == (
        "Les parts des tranches font 99.99 % au lieu de 100 %.")  # awards.po's words
    assert set(module.DUE_CONDITION_LABELS) == set(module.DUE_CONDITIONS)
    assert all(set(labels) == {"fr", "en"} for labels in module.DUE_CONDITION_LABELS.values())
