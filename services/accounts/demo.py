"""The demo fund manager for `make run`, so that a newcomer can manage calls (and later
campaigns) in the browser at once. Running it again changes nothing.

The password is written here on purpose: it is for a local demo only, on a database under var/.
Never run this against a real deployment.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.accounts.accounts import create_account, find_by_email
from shared.core.config import Settings

MANAGER_EMAIL = "manager@tremplin.local"
MANAGER_PASSWORD = "tremplin-demo"  # local demo only


def seed(session: Session, settings: Settings) -> dict:
    manager = find_by_email(session, MANAGER_EMAIL)
    if manager is None:
        manager = create_account(
            session, settings, email=MANAGER_EMAIL, name="Gestionnaire du fonds (démo)",
            password=MANAGER_PASSWORD, roles=["fund_manager"], language="fr", confirmed=True,
        )
    return {"manager_id": manager.id}


# Applicants of the awards' demo (grants' decided call): they sign in with the same local password
# to see their award, or their letter.
APPLICANTS = (
    ("label-dome@tremplin.local", "Ana Lefèvre (démo)", "fr"),
    ("films-du-puy@tremplin.local", "Jules Martin (demo)", "en"),
    ("pixel-volcan@tremplin.local", "Nina Roux (démo)", "fr"),
)


def seed_applicants(session: Session, settings: Settings) -> list[dict]:
    """The awards' demo applicants (created once); what grants keeps of each (its copy)."""
    facts = []
    for email, name, language in APPLICANTS:
        account = find_by_email(session, email) or create_account(
            session, settings, email=email, name=name, password=MANAGER_PASSWORD, roles=["applicant"],
            language=language, confirmed=True,
        )
        facts.append({"account_id": account.id, "email": account.email, "name": account.name,
                      "language": account.language, "roles": list(account.roles),
                      "session_version": account.session_version})
    return facts
