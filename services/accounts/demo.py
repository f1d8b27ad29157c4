"""The demo people for `make run`: the fund manager, two jurors invited by them (as a fund
manager would, so that the grants service learns their organisations from `invitation.accepted`),
a few applicants, and two campaign owners and three backers for the demo campaigns
(services/crowdfunding/demo.py), so that a newcomer can manage calls, try the jury and moderate
or back campaigns in the browser at once. Running it again changes nothing.

The passwords are written here on purpose: they are for a local demo only, on a database under
var/. Never run this against a real deployment.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.accounts.accounts import accept_invitation, create_account, find_by_email, invitation_token, invite
from services.accounts.models import Invitation
from shared.core.config import Settings

MANAGER_EMAIL = "manager@tremplin.local"
MANAGER_PASSWORD = "tremplin-demo"  # local demo only
JUROR_PASSWORD = "jury-tremplin-demo"  # local demo only, for both jurors
APPLICANT_PASSWORD = "candidat-tremplin-demo"  # local demo only

# Addresses under .example (reserved, RFC 2606), each organisation its own domain: one shared
# with an applicant would be flagged as a conflict of interest.
JURORS = (
    {"email": "bruno@musiques-auvergne.example", "name": "Bruno Lefort (juré, démo)",
     "organisation": "Fédération des musiques actuelles d'Auvergne", "siren": None},
    # Her collective applies too: the grants service flags the conflict.
    {"email": "claire@collectif-image.example", "name": "Claire Dumas (jurée, démo)",
     "organisation": "Collectif Image Auvergne", "siren": "443061841"},
)
APPLICANTS = (
    ("ines@label-dome.example", "Inès Moreau (démo)"),
    ("hugo@cine-volcans.example", "Hugo Bernard (démo)"),
    ("lou@image-auvergne.example", "Lou Girard (démo)"),
    ("sami@pixels-auvergne.example", "Sami Haddad (démo)"),
)

# The demo campaigns' owners and backers (the fund manager's password, local demo only).
OWNERS = (
    ("volcans@tremplin.local", "Collectif Volcans Sonores (démo)"),
    ("films@tremplin.local", "Les Films de la Chaîne (démo)"),
)
BACKERS = (
    ("camille@tremplin.local", "Camille Besson (démo)", "fr"),
    ("jules@tremplin.local", "Jules Moreau (démo)", "fr"),
    ("ines@tremplin.local", "Inès Laurent (démo)", "en"),
)


def _account(session: Session, settings: Settings, email: str, name: str, roles: list[str],
             password: str = MANAGER_PASSWORD, language: str = "fr"):
    found = find_by_email(session, email)
    if found is None:
        found = create_account(session, settings, email=email, name=name, password=password, roles=roles,
                               language=language, confirmed=True)
    return found


def _facts(account) -> dict:
    """What the other services keep about a person (their copy, as `account.updated` gives it)."""
    return {"account_id": account.id, "email": account.email, "name": account.name, "language": account.language,
            "roles": list(account.roles), "session_version": account.session_version}


def seed(session: Session, settings: Settings) -> dict:
    manager = _account(session, settings, MANAGER_EMAIL, "Gestionnaire du fonds (démo)", ["fund_manager"])
    jurors = []
    for juror in JURORS:
        account = find_by_email(session, juror["email"])
        if account is None:
            invitation = invite(session, settings, manager.id, {**juror, "roles": ["juror"]})
            account = accept_invitation(session, settings, invitation_token(settings, invitation), JUROR_PASSWORD, "fr")
        invitation = session.scalars(select(Invitation).where(Invitation.account_id == account.id)
                                     .order_by(Invitation.id.desc())).first()
        jurors.append({**_facts(account), "invited_roles": ["juror"], "organisation": invitation.organisation,
                       "siren": invitation.siren, "invitation_id": invitation.id})
    applicants = [_facts(_account(session, settings, email, name, ["applicant"], APPLICANT_PASSWORD))
                  for email, name in APPLICANTS]
    owners = [_account(session, settings, email, name, ["campaign_owner"]) for email, name in OWNERS]
    backers = [_account(session, settings, email, name, ["backer"], language=language)
               for email, name, language in BACKERS]
    return {
        "manager_id": manager.id, "manager": _facts(manager), "jurors": jurors, "applicants": applicants,
        "owners": [_facts(owner) for owner in owners], "backers": [_facts(backer) for backer in backers],
    }


# Applicants of the awards' demo (grants' decided call), with the applicants' password: to see
# their award (accepted, first tranche paid), their award to accept (in English), their letter.
AWARD_APPLICANTS = (
    ("marion@studio-basalte.example", "Marion Chabrol (démo)", "fr"),
    ("tom@films-limagne.example", "Tom Fraser (demo)", "en"),
    ("yanis@volcan-pixel.example", "Yanis Roche (démo)", "fr"),
)


def seed_award_applicants(session: Session, settings: Settings) -> list[dict]:
    """The awards' demo applicants (created once), as grants keeps them."""
    return [_facts(_account(session, settings, email, name, ["applicant"], APPLICANT_PASSWORD, language))
            for email, name, language in AWARD_APPLICANTS]


# The alternative funding referent of the impact's demo: invited by the demo fund manager, as a
# fund manager invites a referent (the fund manager's password, local demo only).
REFERENT = {"email": "referente@tremplin.local", "name": "Rita Garnier (référente, démo)", "organisation": None,
            "siren": None}


def seed_referent(session: Session, settings: Settings) -> dict:
    """The demo referent (invited and accepted once), as grants keeps them."""
    manager = _account(session, settings, MANAGER_EMAIL, "Gestionnaire du fonds (démo)", ["fund_manager"])
    account = find_by_email(session, REFERENT["email"])
    if account is None:
        invitation = invite(session, settings, manager.id, {**REFERENT, "roles": ["referent"]})
        account = accept_invitation(session, settings, invitation_token(settings, invitation), MANAGER_PASSWORD, "fr")
    return _facts(account)
