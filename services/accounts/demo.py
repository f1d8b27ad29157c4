"""The demo people for `make run`: the fund manager, two jurors invited by them (as a fund
manager would, so that the grants service learns their organisations from `invitation.accepted`)
and a few applicants, so that a newcomer can manage calls and try the jury in the browser at
once. Running it again changes nothing.

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


def _facts(account) -> dict:
    return {"account_id": account.id, "email": account.email, "name": account.name, "language": account.language,
            "roles": list(account.roles)}


def seed(session: Session, settings: Settings) -> dict:
    manager = find_by_email(session, MANAGER_EMAIL)
    if manager is None:
        manager = create_account(
            session, settings, email=MANAGER_EMAIL, name="Gestionnaire du fonds (démo)",
            password=MANAGER_PASSWORD, roles=["fund_manager"], language="fr", confirmed=True,
        )
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
    applicants = []
    for email, name in APPLICANTS:
        account = find_by_email(session, email) or create_account(
            session, settings, email=email, name=name, password=APPLICANT_PASSWORD, roles=["applicant"],
            language="fr", confirmed=True)
        applicants.append(_facts(account))
    return {"manager_id": manager.id, "manager": _facts(manager), "jurors": jurors, "applicants": applicants}


# Applicants of the awards' demo (grants' decided call), with the applicants' password: to see
# their award (accepted, first tranche paid), their award to accept (in English), their letter.
AWARD_APPLICANTS = (
    ("marion@studio-basalte.example", "Marion Chabrol (démo)", "fr"),
    ("tom@films-limagne.example", "Tom Fraser (demo)", "en"),
    ("yanis@volcan-pixel.example", "Yanis Roche (démo)", "fr"),
)


def seed_award_applicants(session: Session, settings: Settings) -> list[dict]:
    """The awards' demo applicants (created once), as grants keeps them."""
    applicants = []
    for email, name, language in AWARD_APPLICANTS:
        account = find_by_email(session, email) or create_account(
            session, settings, email=email, name=name, password=APPLICANT_PASSWORD, roles=["applicant"],
            language=language, confirmed=True)
        applicants.append(_facts(account))
    return applicants
