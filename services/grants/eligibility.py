"""Whether an application meets the rules of the call it answers.

Amounts are integer cents. Every failing rule is reported, so an applicant can fix
everything at once. Rule names are stable: the API and the pages key on them.
"""

from dataclasses import dataclass

from shared.core.organisations import ORGANISATION_KINDS, SECTORS


@dataclass(frozen=True)
class CallRules:
    postal_codes: tuple[str, ...]  # empty: anywhere
    sectors: tuple[str, ...]  # empty: any
    organisation_kinds: tuple[str, ...]  # empty: any
    min_other_funding_share_percent: int
    max_award_cents: int
    required_documents: tuple[str, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.min_other_funding_share_percent <= 100:
            raise ValueError("min_other_funding_share_percent must be between 0 and 100.")
        if self.max_award_cents < 0:
            raise ValueError("max_award_cents must not be negative.")
        unknown_sectors = set(self.sectors) - set(SECTORS)
        if unknown_sectors:
            raise ValueError(f"Unknown sectors: {sorted(unknown_sectors)}.")
        unknown_kinds = set(self.organisation_kinds) - set(ORGANISATION_KINDS)
        if unknown_kinds:
            raise ValueError(f"Unknown organisation kinds: {sorted(unknown_kinds)}.")


@dataclass(frozen=True)
class ApplicationFacts:
    postal_code: str
    sector: str
    organisation_kind: str
    requested_cents: int
    total_budget_cents: int
    other_funding_cents: int  # sum of the other funding sources
    documents: tuple[str, ...]  # kinds of the documents attached

    def __post_init__(self) -> None:
        for name in ("requested_cents", "total_budget_cents", "other_funding_cents"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative.")


@dataclass(frozen=True)
class RuleFailure:
    """A failing rule by its stable name; the message is an English sentence whose `%(name)s`
    values are given apart, so that a page can translate the sentence and then fill it in."""

    rule: str
    template: str
    values: tuple[tuple[str, object], ...] = ()

    @property
    def message(self) -> str:
        return self.template % dict(self.values) if self.values else self.template


def failing_rules(rules: CallRules, facts: ApplicationFacts) -> list[RuleFailure]:
    failures: list[RuleFailure] = []

    if rules.postal_codes and facts.postal_code not in rules.postal_codes:
        failures.append(
            RuleFailure("territory", "The organisation is outside the territory of this call.")
        )

    if rules.sectors and facts.sector not in rules.sectors:
        failures.append(RuleFailure("sector", "This call is not open to the organisation's sector."))

    if rules.organisation_kinds and facts.organisation_kind not in rules.organisation_kinds:
        failures.append(
            RuleFailure("organisation_kind", "This call is not open to this kind of organisation.")
        )

    if facts.requested_cents > rules.max_award_cents:
        failures.append(
            RuleFailure("max_award", "The amount requested is above the maximum award of this call.")
        )

    if facts.requested_cents > facts.total_budget_cents:
        failures.append(
            RuleFailure("requested_within_budget", "The amount requested is above the project's total budget.")
        )

    # A budget with a hole is not eligible: if the grant and the other funding do not cover
    # the total, the project as described cannot be carried out, and the award would pay
    # for part of something that may never happen.
    if facts.requested_cents + facts.other_funding_cents < facts.total_budget_cents:
        failures.append(
            RuleFailure(
                "budget_balanced",
                "The amount requested and the other funding do not cover the project's total budget.",
            )
        )

    # other / total >= min / 100, cross-multiplied to stay in integers. With no budget at
    # all there is no share to speak of, so a call that demands one is not met.
    minimum = rules.min_other_funding_share_percent
    if minimum > 0 and (
        facts.total_budget_cents == 0 or facts.other_funding_cents * 100 < minimum * facts.total_budget_cents
    ):
        failures.append(
            RuleFailure(
                "min_other_funding_share",
                "Other funding must cover at least %(percent)s%% of the project's total budget.",
                (("percent", minimum),),
            )
        )

    attached = set(facts.documents)
    missing = [kind for kind in dict.fromkeys(rules.required_documents) if kind not in attached]
    for kind in missing:
        failures.append(RuleFailure("documents", "A required document is missing: %(document)s.", (("document", kind),)))

    return failures
