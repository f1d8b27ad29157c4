"""The applicant's profile: the organisation they apply for, one per applicant account.

`data` comes validated by `schemas.profiles.ProfileInputSchema` (identifiers checked with
python-stdnum, SIREN/SIRET already compact); the use cases only read and write.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.grants.completeness import refresh_drafts_eligibility
from services.grants.models import Organisation
from shared.core.refusal import Refusal

PROFILE_FIELDS = (
    "legal_name", "kind", "siret", "rna", "address", "postal_code", "city", "sector", "head_count", "created_on",
)


NO_PROFILE = "Fill in your organisation's profile first."


def find_profile(session: Session, account_id: int) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.account_id == account_id))


def get_profile(session: Session, account_id: int) -> Organisation:
    organisation = find_profile(session, account_id)
    if organisation is None:
        raise Refusal.not_found(NO_PROFILE)
    return organisation


def save_profile(session: Session, account_id: int, data: dict) -> Organisation:
    """Create or replace the applicant's organisation. Applications already submitted keep
    the organisation as it was in their snapshot."""
    organisation = find_profile(session, account_id)
    if organisation is None:
        organisation = Organisation(account_id=account_id)
        session.add(organisation)
    for field in PROFILE_FIELDS:
        setattr(organisation, field, data.get(field))
    session.flush()
    refresh_drafts_eligibility(session, organisation)
    return organisation
