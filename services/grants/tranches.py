"""Tranche plans, and an award's cents split into its tranches.

A plan is an ordered list of tranches, each a share of the award in integer basis points
(1/100 of a percent: 7000 is 70 %) and the condition that makes it due. The shares add up to
exactly 10 000; nothing here touches a float.

Splitting uses the largest-remainder rule: each tranche first gets the whole cents of its exact
share (rounded down), and the cents left over (fewer than the number of tranches) go one each
to the tranches whose exact share lost the largest fraction of a cent. Ties go to the earlier
tranche, so the same award and plan always give the same amounts, and a cent in doubt reaches
the firm sooner rather than later. The amounts add up exactly to the award, and each is its
exact share rounded down or up, never further off.

Used by the awards (issue 11): a call's plan, and each award's tranches.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

WHOLE = 10_000  # basis points in 100 %
MAX_TRANCHES = 6

ACCEPTANCE = "acceptance"  # due when the applicant accepts the award
INTERIM_REPORT = "interim_report"  # due when the applicant uploads an interim report
FINAL_REPORT = "final_report"  # due when the applicant uploads the final report
DUE_CONDITIONS = (ACCEPTANCE, INTERIM_REPORT, FINAL_REPORT)


@dataclass(frozen=True)
class Tranche:
    """One tranche of a plan: a share in basis points and the condition that makes it due."""

    share_bp: int
    due: str

    @property
    def percent(self) -> Decimal:
        """The share as a percentage, for display (Decimal("33.34"))."""
        return Decimal(self.share_bp) / 100


@dataclass(frozen=True)
class PlanFailure:
    """A rule the plan breaks, by a stable name. `position` is the tranche it is about (0-based),
    or None for the plan as a whole. The message is an English sentence whose `%(name)s` values
    are given apart, so that a page can translate the sentence and then fill it in."""

    rule: str
    template: str
    values: tuple[tuple[str, object], ...] = ()
    position: int | None = None

    @property
    def message(self) -> str:
        return self.template % dict(self.values) if self.values else self.template


class InvalidPlan(ValueError):
    def __init__(self, failures: list[PlanFailure]):
        super().__init__("; ".join(failure.message for failure in failures))
        self.failures = failures


def plan_failures(tranches: tuple[Tranche, ...] | list[Tranche]) -> list[PlanFailure]:
    """Every rule a proposed plan breaks; an empty list when it is a valid plan."""
    failures: list[PlanFailure] = []
    if not tranches:
        return [PlanFailure("tranches_required", "A tranche plan has at least one tranche.")]
    if len(tranches) > MAX_TRANCHES:
        failures.append(
            PlanFailure(
                "too_many_tranches",
                "A tranche plan has at most %(max_tranches)s tranches.",
                (("max_tranches", MAX_TRANCHES),),
            )
        )

    for position, tranche in enumerate(tranches):
        share = tranche.share_bp
        if not isinstance(share, int) or isinstance(share, bool):
            failures.append(
                PlanFailure("share_basis_points", "A share is a percentage with at most two decimals.", position=position)
            )
        elif share <= 0:
            failures.append(PlanFailure("share_positive", "Each tranche's share must be above 0%.", position=position))
        if tranche.due not in DUE_CONDITIONS:
            failures.append(PlanFailure("due_condition", "This is not a condition a tranche can be due on.", position=position))

    shares = [t.share_bp for t in tranches if isinstance(t.share_bp, int) and not isinstance(t.share_bp, bool)]
    if len(shares) == len(tranches) and sum(shares) != WHOLE:
        failures.append(
            PlanFailure(
                "shares_total",
                "The tranches' shares add up to %(total_percent)s%% instead of 100%%.",
                (("total_percent", Decimal(sum(shares)) / 100),),
            )
        )

    # The order of the plan is the order of payment: what acceptance makes due comes first,
    # the final report's tranche last, the interim reports' in between (the n-th interim
    # tranche is due on the n-th interim report).
    dues = [t.due for t in tranches]
    for position, due in enumerate(dues):
        if due == ACCEPTANCE and position != 0:
            failures.append(
                PlanFailure("acceptance_first", "Only the first tranche can be due at acceptance.", position=position)
            )
        if due == FINAL_REPORT and position != len(dues) - 1:
            failures.append(
                PlanFailure("final_report_last", "Only the last tranche can be due on the final report.", position=position)
            )
    return failures


@dataclass(frozen=True)
class TranchePlan:
    tranches: tuple[Tranche, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "tranches", tuple(self.tranches))
        failures = plan_failures(self.tranches)
        if failures:
            raise InvalidPlan(failures)

    @classmethod
    def of(cls, *tranches: tuple[int | str | Decimal, str]) -> "TranchePlan":
        """A plan from (percent, due) pairs: `TranchePlan.of((70, ACCEPTANCE), (30, FINAL_REPORT))`."""
        return cls(tuple(Tranche(share_from_percent(percent), due) for percent, due in tranches))

    def split(self, award_cents: int) -> tuple["TrancheAmount", ...]:
        return split_award(self, award_cents)


DEFAULT_PLAN = TranchePlan((Tranche(7_000, ACCEPTANCE), Tranche(3_000, FINAL_REPORT)))


def share_from_percent(percent: int | str | Decimal) -> int:
    """Basis points from a percentage a person writes ("70", "33.34", "33,34"); at most two
    decimals, above 0 and at most 100. ValueError otherwise."""
    text = str(percent).strip().replace(",", ".").removesuffix("%").strip()
    try:
        value = Decimal(text) * 100
    except InvalidOperation:
        raise ValueError("A share is a percentage, such as 70 or 33.34.") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError("A share is a percentage with at most two decimals, such as 33.34.")
    if not 0 < value <= WHOLE:
        raise ValueError("A share is above 0% and at most 100%.")
    return int(value)


@dataclass(frozen=True)
class TrancheAmount:
    """One tranche of an award: its place in the plan (1 for the first), its due condition,
    its share and its amount in cents."""

    number: int
    due: str
    share_bp: int
    cents: int


def split_award(plan: TranchePlan, award_cents: int) -> tuple[TrancheAmount, ...]:
    """The award's cents split into the plan's tranches by the largest-remainder rule (see the
    module's docstring): the amounts add up exactly to `award_cents`."""
    if not isinstance(award_cents, int) or isinstance(award_cents, bool):
        raise TypeError("An award is an integer number of cents.")
    if award_cents < 0:
        raise ValueError("An award cannot be negative.")
    floors = []
    remainders = []
    for tranche in plan.tranches:
        whole, remainder = divmod(award_cents * tranche.share_bp, WHOLE)
        floors.append(whole)
        remainders.append(remainder)
    left_over = award_cents - sum(floors)  # 0 <= left_over < len(plan.tranches)
    # Largest remainder first; on equal remainders, the earlier tranche.
    order = sorted(range(len(floors)), key=lambda index: (-remainders[index], index))
    for index in order[:left_over]:
        floors[index] += 1
    return tuple(
        TrancheAmount(number, tranche.due, tranche.share_bp, cents)
        for number, (tranche, cents) in enumerate(zip(plan.tranches, floors), start=1)
    )
