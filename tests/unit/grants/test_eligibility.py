import pytest

from services.grants.eligibility import ApplicationFacts, CallRules, RuleFailure, failing_rules

RULES = CallRules(
    postal_codes=("69001", "69002"),
    sectors=("music", "film"),
    organisation_kinds=("company", "association"),
    min_other_funding_share_percent=20,
    max_award_cents=1_500_000,
    required_documents=("budget", "statutes"),
)

ELIGIBLE = ApplicationFacts(
    postal_code="69001",
    sector="music",
    organisation_kind="association",
    requested_cents=1_000_000,
    total_budget_cents=5_000_000,
    other_funding_cents=4_000_000,
    documents=("budget", "statutes", "portfolio"),
)


def failing_names(rules, facts):
    return [failure.rule for failure in failing_rules(rules, facts)]


def facts(**changes):
    values = {**ELIGIBLE.__dict__, **changes}
    return ApplicationFacts(**values)


def test_an_eligible_application_fails_nothing():
    assert failing_rules(RULES, ELIGIBLE) == []


def test_empty_lists_in_the_rules_mean_anything_goes():
    open_call = CallRules((), (), (), 0, 1_500_000, ())
    anyone = facts(postal_code="13001", sector="other", organisation_kind="project_holder", documents=())
    assert failing_rules(open_call, anyone) == []


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"postal_code": "75001"}, "territory"),
        ({"sector": "photography"}, "sector"),
        ({"organisation_kind": "sole_trader"}, "organisation_kind"),
        # 20 000 € asked of a 15 000 € maximum, budget still balanced.
        ({"requested_cents": 2_000_000, "other_funding_cents": 3_000_000}, "max_award"),
        # 1 cent short of covering the budget.
        ({"other_funding_cents": 3_999_999}, "budget_balanced"),
        # Other funding 374 999 of 1 874 999 is just under 20 %; the grant covers the rest.
        (
            {"requested_cents": 1_500_000, "total_budget_cents": 1_874_999, "other_funding_cents": 374_999},
            "min_other_funding_share",
        ),
        ({"documents": ("budget",)}, "documents"),
    ],
)
def test_each_rule_fails_alone(changes, rule):
    assert failing_names(RULES, facts(**changes)) == [rule]


def test_requested_within_budget_fails_alone():
    rules = CallRules((), (), (), 0, 10_000_000, ())
    over_budget = facts(requested_cents=6_000_000, total_budget_cents=5_000_000, other_funding_cents=0)
    assert failing_names(rules, over_budget) == ["requested_within_budget"]


def test_minimum_share_is_met_exactly_at_the_boundary():
    # 400 000 of 2 000 000 is exactly 20 %.
    assert "min_other_funding_share" not in failing_names(
        RULES, facts(requested_cents=1_000_000, total_budget_cents=2_000_000, other_funding_cents=400_000)
    )
    assert "min_other_funding_share" in failing_names(
        RULES, facts(requested_cents=1_000_000, total_budget_cents=2_000_000, other_funding_cents=399_999)
    )


def test_a_zero_budget_cannot_meet_a_minimum_share():
    assert "min_other_funding_share" in failing_names(
        RULES, facts(requested_cents=0, total_budget_cents=0, other_funding_cents=0)
    )


def test_one_failure_per_missing_document_naming_it():
    failures = failing_rules(RULES, facts(documents=("portfolio",)))
    assert [failure.rule for failure in failures] == ["documents", "documents"]
    assert "budget" in failures[0].message
    assert "statutes" in failures[1].message


def test_every_failing_rule_is_reported():
    everything_wrong = ApplicationFacts(
        postal_code="75001",
        sector="video_games",
        organisation_kind="project_holder",
        requested_cents=2_000_000,  # above the maximum and above the total budget
        total_budget_cents=1_900_000,
        other_funding_cents=0,  # no other funding at all
        documents=(),
    )
    # Requested above the budget cannot also leave a hole, so budget_balanced needs its own case.
    assert failing_names(RULES, everything_wrong) == [
        "territory",
        "sector",
        "organisation_kind",
        "max_award",
        "requested_within_budget",
        "min_other_funding_share",
        "documents",
        "documents",
    ]
    with_a_hole = ApplicationFacts("75001", "video_games", "project_holder", 2_000_000, 5_000_000, 0, ())
    assert failing_names(RULES, with_a_hole) == [
        "territory",
        "sector",
        "organisation_kind",
        "max_award",
        "budget_balanced",
        "min_other_funding_share",
        "documents",
        "documents",
    ]


def test_failures_carry_a_message():
    for failure in failing_rules(RULES, ApplicationFacts("75001", "other", "project_holder", 9, 5, 0, ())):
        assert isinstance(failure, RuleFailure)
        assert failure.message


def test_rules_and_facts_refuse_nonsense():
    with pytest.raises(ValueError):
        CallRules((), (), (), 101, 0, ())
    with pytest.raises(ValueError):
        CallRules((), ("jazz",), (), 0, 0, ())
    with pytest.raises(ValueError):
        CallRules((), (), ("cooperative",), 0, 0, ())
    with pytest.raises(ValueError):
        facts(other_funding_cents=-1)
