"""The demo accounts for `make run`: the fund manager, so that a newcomer can manage calls and
moderate campaigns in the browser at once, two campaign owners and three backers for the demo
campaigns (services/crowdfunding/demo.py). Running it again changes nothing.

The password is written here on purpose: it is for a local demo only, on a database under var/.
Never run this against a real deployment.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.accounts.accounts import create_account, find_by_email
from shared.core.config import Settings

MANAGER_EMAIL = "manager@tremplin.local"
MANAGER_PASSWORD = "tremplin-demo"  # local demo only


# The demo campaigns' owners and backers (same password, local demo only).
OWNERS = (
    ("volcans@tremplin.local", "Collectif Volcans Sonores (démo)"),
    ("films@tremplin.local", "Les Films de la Chaîne (démo)"),
)
BACKERS = (
    ("camille@tremplin.local", "Camille Besson (démo)", "fr"),
    ("jules@tremplin.local", "Jules Moreau (démo)", "fr"),
    ("ines@tremplin.local", "Inès Laurent (démo)", "en"),
)


def _account(session: Session, settings: Settings, email: str, name: str, roles: list[str], language: str = "fr"):
    found = find_by_email(session, email)
    if found is None:
        found = create_account(session, settings, email=email, name=name, password=MANAGER_PASSWORD, roles=roles,
                               language=language, confirmed=True)
    return found


def _facts(account) -> dict:
    """What the other services keep about a person (their copy, as `account.updated` gives it)."""
    return {"account_id": account.id, "email": account.email, "name": account.name, "language": account.language,
            "roles": list(account.roles), "session_version": account.session_version}


def seed(session: Session, settings: Settings) -> dict:
    manager = _account(session, settings, MANAGER_EMAIL, "Gestionnaire du fonds (démo)", ["fund_manager"])
    owners = [_account(session, settings, email, name, ["campaign_owner"]) for email, name in OWNERS]
    backers = [_account(session, settings, email, name, ["backer"], language) for email, name, language in BACKERS]
    return {
        "manager_id": manager.id, "manager": _facts(manager),
        "owners": [_facts(owner) for owner in owners], "backers": [_facts(backer) for backer in backers],
    }
