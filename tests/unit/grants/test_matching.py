"""Matchfunding's rules, with no database: the share by the ratio and the caps, and the first
rule that stops a match."""
from services.grants.matching import (
    BACKER_LIMIT,
    CAMPAIGN_CAP,
    POT_CLOSED,
    POT_EXHAUSTED,
    Rules,
    Standing,
    after_refund,
    decide,
    share,
)

OPEN = Standing(pot_open=True, pot_cents=1_000_000, pot_held_cents=0, campaign_held_cents=0, backer_matches=0)


def test_one_to_one_up_to_the_cap_per_pledge_by_default():
    assert share(Rules(), 4_000) == 4_000
    assert share(Rules(), 25_000) == 10_000  # €250 is matched €100
    assert decide(Rules(), OPEN, 4_000).matched_cents == 4_000


def test_the_ratio_rounds_down_to_the_cent():
    assert share(Rules(ratio_percent=200, cap_per_pledge_cents=1_000_000), 3_333) == 6_666
    assert share(Rules(ratio_percent=50), 3_333) == 1_666


def test_what_the_pot_and_the_campaign_have_left_bound_the_match():
    nearly = Standing(True, 1_000_000, 997_000, 0, 0)
    assert decide(Rules(), nearly, 5_000).matched_cents == 3_000
    capped = Standing(True, 1_000_000, 0, 48_000, 0)
    assert decide(Rules(cap_per_campaign_cents=50_000), capped, 5_000).matched_cents == 2_000


def test_each_stopping_rule_is_named():
    assert decide(Rules(), Standing(False, 1_000_000, 0, 0, 0), 5_000).refusal == POT_CLOSED
    assert decide(Rules(), Standing(True, 1_000_000, 0, 0, 1), 5_000).refusal == BACKER_LIMIT
    assert decide(Rules(pledges_per_backer=2), Standing(True, 1_000_000, 0, 0, 1), 5_000).reserved
    assert decide(Rules(), Standing(True, 1_000_000, 1_000_000, 0, 0), 5_000).refusal == POT_EXHAUSTED
    assert decide(Rules(cap_per_campaign_cents=50_000), Standing(True, 1_000_000, 0, 50_000, 0), 5_000).refusal \
        == CAMPAIGN_CAP
    refused = decide(Rules(), Standing(True, 1_000_000, 1_000_000, 0, 0), 5_000)
    assert (refused.matched_cents, refused.reserved) == (0, False)


def test_a_partial_refund_keeps_the_ratio_of_what_is_left_whatever_the_order():
    rules = Rules()
    assert after_refund(rules, 5_000, 5_000, 2_000) == 3_000
    # Two refunds read in either order: each is judged by the refunded total.
    assert after_refund(rules, after_refund(rules, 5_000, 5_000, 3_000), 5_000, 1_000) == 2_000
    assert after_refund(rules, after_refund(rules, 5_000, 5_000, 1_000), 5_000, 3_000) == 2_000
    assert after_refund(Rules(), 10_000, 30_000, 5_000) == 10_000  # the cap still binds
