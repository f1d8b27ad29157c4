"""The arithmetic of a campaign, with no database: its progress, the days it has left in Paris
time, the places left in a reward tier, what a pledge's amount must be, and which changes to a
tier would make it worse for the backers who chose it.

Frozen dataclasses in and out, integer cents, and each refused rule by a stable message (the
English text the pages translate).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.core.clock import to_paris
from shared.core.money import Money

# Stripe charges at least €0.50 in euros; a pledge starts at €1 so that every pledge can be charged.
MIN_PLEDGE_CENTS = 100

AMOUNT_TOO_SMALL = "A pledge is at least €1."
BELOW_TIER_MINIMUM = "This reward asks for at least %(minimum)s."


@dataclass(frozen=True)
class Progress:
    pledged_cents: int  # the crowd's: confirmed pledges
    goal_cents: int
    backers: int
    percent: int  # of the goal, crowd and match together, rounded down; may pass 100
    days_left: int  # whole days in Paris time until the end's day; 0 on its last day
    ended: bool
    matched_cents: int = 0  # what the grant fund's matching pot adds (matchfunding)

    @property
    def reached(self) -> bool:
        """The crowd's pledges and the fund's match reach the goal (what the close decides on)."""
        return self.total_cents >= self.goal_cents

    @property
    def total_cents(self) -> int:
        return self.pledged_cents + self.matched_cents

    @property
    def bar_percent(self) -> int:
        """What a progress bar can show: at most full."""
        return min(self.percent, 100)

    @property
    def crowd_bar_percent(self) -> int:
        """The crowd's part of the bar, the rest of `bar_percent` being the match's."""
        if self.total_cents <= 0:
            return 0
        return self.bar_percent * self.pledged_cents // self.total_cents


@dataclass(frozen=True)
class CountedPledge:
    """A pledge that counts: whose it is and how much."""

    backer_id: int
    amount_cents: int


def days_left(ends_at: datetime, now: datetime) -> int:
    """Calendar days in Paris between today and the day the campaign ends: a campaign ending
    tomorrow evening has 1 day left, one ending tonight 0 (its last day), and after the end 0."""
    if now >= ends_at:
        return 0
    return max((to_paris(ends_at).date() - to_paris(now).date()).days, 0)


def progress(goal_cents: int, counted: list[CountedPledge] | tuple[CountedPledge, ...], ends_at: datetime,
             now: datetime, matched_cents: int = 0) -> Progress:
    """The crowd's pledges and the fund's match, together toward the goal."""
    pledged = sum(pledge.amount_cents for pledge in counted)
    percent = (pledged + matched_cents) * 100 // goal_cents if goal_cents > 0 else 0
    return Progress(
        matched_cents=matched_cents,
        pledged_cents=pledged,
        goal_cents=goal_cents,
        backers=len({pledge.backer_id for pledge in counted}),
        percent=percent,
        days_left=days_left(ends_at, now),
        ended=now >= ends_at,
    )


def places_left(quantity: int | None, taken: int) -> int | None:
    """Places a tier still has (None: unlimited)."""
    if quantity is None:
        return None
    return max(quantity - taken, 0)


def amount_problem(amount_cents: int, tier_minimum_cents: int | None) -> tuple[str, dict] | None:
    """Why an amount cannot be pledged (a message and its values), or None."""
    if amount_cents < MIN_PLEDGE_CENTS:
        return AMOUNT_TOO_SMALL, {}
    if tier_minimum_cents is not None and amount_cents < tier_minimum_cents:
        return BELOW_TIER_MINIMUM, {"minimum": Money(tier_minimum_cents)}
    return None


# --- Schedules --------------------------------------------------------------------------------


def schedule_problems(starts_at: datetime, ends_at: datetime, max_days: int) -> dict[str, str]:
    """Per field: an end before the start, or a campaign longer than `max_days`."""
    if ends_at <= starts_at:
        return {"ends_at": "A campaign must end after it starts."}
    if ends_at - starts_at > timedelta(days=max_days):
        return {"ends_at": "A campaign runs at most %(days)s days."}
    return {}


# --- Tiers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierTerms:
    """What a backer chose when they picked a tier."""

    title_fr: str
    title_en: str | None
    description_fr: str
    description_en: str | None
    minimum_cents: int
    quantity: int | None
    delivery_month: date


def tier_harms(current: TierTerms, proposed: TierTerms, taken: int) -> dict[str, str]:
    """Changes that would make a tier worse for the `taken` backers who chose it, per field.

    With nobody on the tier, anything goes. Otherwise the reward they chose stays as described
    (an English text may be added where there was none), it is never asked more for, it arrives
    no later, and there are always places for those who hold one.
    """
    if taken == 0:
        return {}
    harms: dict[str, str] = {}
    for name in ("title_fr", "description_fr"):
        if getattr(proposed, name) != getattr(current, name):
            harms[name] = "Backers chose this reward as it is described: its text cannot change."
    for name in ("title_en", "description_en"):
        before, after = getattr(current, name), getattr(proposed, name)
        if before and after != before:
            harms[name] = "Backers chose this reward as it is described: its text cannot change."
    if proposed.minimum_cents > current.minimum_cents:
        harms["minimum_cents"] = "Backers chose this reward: its minimum amount cannot go up."
    if proposed.delivery_month > current.delivery_month:
        harms["delivery_month"] = "Backers chose this reward: its delivery cannot move later."
    if proposed.quantity is not None and proposed.quantity < taken:
        harms["quantity"] = "%(taken)s backers hold a place on this reward: its quantity cannot go below that."
    return harms
