"""Campaign owners: the organisation a signed-in person raises funds for, one per account.

Any signed-in person becomes a campaign owner with their platform account (the role is taken at
the accounts service, one click); here they give their organisation, checked as the grants check
an applicant's (`shared.core.organisations`, through `schemas.owners.OwnerInputSchema`).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crowdfunding.models import Account, Owner
from shared.core.refusal import Refusal

OWNER_FIELDS = ("legal_name", "kind", "siret", "rna", "postal_code", "city", "sector")
NO_ORGANISATION = "Give your organisation first: campaigns are run in its name."


def find_owner(session: Session, account_id: int) -> Owner | None:
    return session.scalar(select(Owner).where(Owner.account_id == account_id))


def get_owner(session: Session, account_id: int) -> Owner:
    owner = find_owner(session, account_id)
    if owner is None:
        raise Refusal.not_found(NO_ORGANISATION)
    return owner


def save_owner(session: Session, account_id: int, data: dict) -> Owner:
    """Create or replace the owner's organisation (`data` validated by OwnerInputSchema)."""
    # The person's row is locked until the commit: two first saves at once make one organisation.
    session.get(Account, account_id, with_for_update=True)
    owner = find_owner(session, account_id)
    if owner is None:
        owner = Owner(account_id=account_id)
        session.add(owner)
    for name in OWNER_FIELDS:
        setattr(owner, name, data.get(name))
    session.flush()
    return owner
