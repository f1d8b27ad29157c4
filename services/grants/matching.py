"""Matchfunding's rules, with no database: how much a matching pot adds to a pledge, or why it
adds nothing.

A pot's rules, in the style Goteo uses: the match ratio (in percent of the pledge: 100 is 1:1,
200 is 2:1, 50 is 1:2), the cap per pledge (€100 by default), the cap per campaign, and how many
of one backer's pledges are matched on one campaign (1). What a pledge gets is the smallest of
its share by the ratio, the cap per pledge, what the campaign's cap has left and what the pot has
left; when that is nothing, the first rule that stopped it is named (a stable code, one of
`shared.core.events.MATCH_REFUSALS`).

Frozen dataclasses in and out, integer cents only (the share is rounded down to the cent).
"""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_RATIO_PERCENT = 100
DEFAULT_CAP_PER_PLEDGE_CENTS = 10_000
DEFAULT_PLEDGES_PER_BACKER = 1

NOT_QUALIFYING = "not_qualifying"
POT_EXHAUSTED = "pot_exhausted"
CAMPAIGN_CAP = "campaign_cap"
BACKER_LIMIT = "backer_limit"
POT_CLOSED = "pot_closed"


@dataclass(frozen=True)
class Rules:
    ratio_percent: int = DEFAULT_RATIO_PERCENT
    cap_per_pledge_cents: int = DEFAULT_CAP_PER_PLEDGE_CENTS
    cap_per_campaign_cents: int | None = None  # None: no cap but the pot's
    pledges_per_backer: int = DEFAULT_PLEDGES_PER_BACKER


@dataclass(frozen=True)
class Standing:
    """Where a pot stands when a pledge asks: what is held (reserved, committed or paid)."""

    pot_open: bool
    pot_cents: int
    pot_held_cents: int
    campaign_held_cents: int
    backer_matches: int  # this backer's matches held on this campaign


@dataclass(frozen=True)
class Decision:
    matched_cents: int
    refusal: str | None = None  # a MATCH_REFUSALS code when nothing is matched

    @property
    def reserved(self) -> bool:
        return self.refusal is None


def share(rules: Rules, amount_cents: int) -> int:
    """The pledge's match by the ratio and the cap per pledge alone."""
    return max(0, min(amount_cents * rules.ratio_percent // 100, rules.cap_per_pledge_cents))


def decide(rules: Rules, standing: Standing, amount_cents: int) -> Decision:
    if not standing.pot_open:
        return Decision(0, POT_CLOSED)
    if standing.backer_matches >= rules.pledges_per_backer:
        return Decision(0, BACKER_LIMIT)
    pot_left = standing.pot_cents - standing.pot_held_cents
    if pot_left <= 0:
        return Decision(0, POT_EXHAUSTED)
    matched = min(share(rules, amount_cents), pot_left)
    if rules.cap_per_campaign_cents is not None:
        campaign_left = rules.cap_per_campaign_cents - standing.campaign_held_cents
        if campaign_left <= 0:
            return Decision(0, CAMPAIGN_CAP)
        matched = min(matched, campaign_left)
    if matched <= 0:
        return Decision(0, NOT_QUALIFYING)
    return Decision(matched)


def after_refund(rules: Rules, matched_cents: int, amount_cents: int, refunded_total_cents: int) -> int:
    """What a match keeps once part of its pledge was refunded: never more than the ratio gives
    what is left of the pledge (by the refunded total, so that refunds read in any order agree)."""
    return min(matched_cents, share(rules, max(0, amount_cents - refunded_total_cents)))
