"""What a draft still lacks before it can be submitted: missing answers, and the call's rules it
fails (`eligibility`), named in the applicant's words (a document by its label).

Also keeps each draft's `eligible` flag current, for the fund manager's filter.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.grants import calls, eligibility
from services.grants.models import Application, Call, Organisation

# What submission requires beyond the call's rules (funding sources may rightly be none).
REQUIRED_TEXTS = ("project_title", "summary", "description", "timeline")
REQUIRED_NUMBERS = ("requested_cents", "total_budget_cents", "jobs_expected")
# Rules that cannot be judged while an amount is missing; the missing amount is reported instead.
AMOUNT_RULES = ("max_award", "requested_within_budget", "budget_balanced", "min_other_funding_share")
REQUIRED = "Required before submitting."


def required_documents(call: Call) -> list[dict]:
    return list(call.required_documents or ())


def document_label(call: Call, code: str, language: str) -> str:
    for document in required_documents(call):
        if document["code"] == code:
            return (document.get("label_en") if language == "en" else None) or document["label_fr"]
    return code


def submission_problems(application: Application, organisation: Organisation) -> tuple[dict, list[eligibility.RuleFailure]]:
    """What keeps a draft from being submitted: missing answers per field, and failing rules."""
    missing: dict[str, list[str]] = {}
    for field in REQUIRED_TEXTS:
        if not (getattr(application, field) or "").strip():
            missing[field] = [REQUIRED]
    for field in REQUIRED_NUMBERS:
        if getattr(application, field) is None:
            missing[field] = [REQUIRED]
    if application.requested_cents == 0:
        missing["requested_cents"] = ["Ask for an amount above zero."]

    rules = calls.call_rules(application.call)
    facts = eligibility.ApplicationFacts(
        postal_code=organisation.postal_code,
        sector=organisation.sector,
        organisation_kind=organisation.kind,
        requested_cents=application.requested_cents or 0,
        total_budget_cents=application.total_budget_cents or 0,
        other_funding_cents=sum(source.amount_cents for source in application.funding_sources),
        documents=tuple(document.kind for document in application.documents),
    )
    failures = eligibility.failing_rules(rules, facts)
    if application.requested_cents is None or application.total_budget_cents is None:
        failures = [failure for failure in failures if failure.rule not in AMOUNT_RULES]
    return missing, failures


def refresh_eligibility(application: Application, organisation: Organisation | None) -> None:
    """Whether a draft meets the call's rules as it stands, for the fund manager's filter.

    Submission refuses an application that fails a rule, so a submitted one is always eligible;
    for drafts this tells the manager which are heading for a refusal. Unknown (None) while the
    applicant has no profile.
    """
    if organisation is None:
        application.eligible = None
        return
    _missing, failures = submission_problems(application, organisation)
    application.eligible = not failures


def refresh_drafts_eligibility(session: Session, organisation: Organisation) -> None:
    """After the applicant's organisation changed (territory, sector, kind)."""
    account_id = organisation.account_id
    drafts = session.scalars(
        select(Application)
        .where(Application.account_id == account_id, Application.status == "draft")
        .options(selectinload(Application.funding_sources), selectinload(Application.documents))
    ).all()
    for application in drafts:
        refresh_eligibility(application, organisation)


def rule_messages(
    call: Call, failures: list[eligibility.RuleFailure], language: str = "en", translate=None
) -> dict[str, list[str]]:
    """Each failing rule's messages in a language, a missing document named by its label."""
    messages: dict[str, list[str]] = {}
    for failure in failures:
        values = dict(failure.values)
        if failure.rule == "documents":
            values["document"] = document_label(call, values["document"], language)
        sentence = translate(failure.template) if translate else failure.template
        messages.setdefault(failure.rule, []).append(sentence % values if values else sentence)
    return messages
