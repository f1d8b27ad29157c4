"""A demo for `make run`: a fund and one open call, so that a newcomer can apply in the browser
at once (the demo fund manager's account is the accounts service's demo). Running it again
changes nothing."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.grants import calls
from services.grants.models import Call, Fund
from shared.core.organisations import ORGANISATION_KINDS, SECTORS
from shared.core.clock import paris_to_utc, to_paris, utcnow

FUND_NAME = "Fonds réactif des industries créatives"
CALL_TITLE_FR = "Aide à la création et au développement"
# A few postal codes of Clermont Auvergne Métropole.
POSTAL_CODES = ["63000", "63100", "63110", "63170", "63400", "63800", "63830", "63540", "63118", "63122"]


def seed(session: Session, now: datetime | None = None) -> dict:
    """Create what is missing of the demo; returns the ids of the fund and the call."""
    now = now or utcnow()
    year = to_paris(now).year
    fund = session.scalar(select(Fund).where(Fund.name == FUND_NAME, Fund.year == year))
    if fund is None:
        fund = calls.create_fund(session, name=FUND_NAME, year=year, envelope_cents=5_000_000, grants_objective=5)
    call = session.scalar(select(Call).where(Call.fund_id == fund.id, Call.title_fr == CALL_TITLE_FR))
    if call is None:
        call = calls.create_call(session, _call(fund.id, now))
        calls.open_call(session, call.id, now)
    return {"fund_id": fund.id, "call_id": call.id}


def _call(fund_id: int, now: datetime) -> dict:
    today = to_paris(now).date()
    return {
        "fund_id": fund_id,
        "title_fr": CALL_TITLE_FR,
        "title_en": "Creation and development grant",
        "description_fr": (
            "Le fonds réactif soutient les projets des entreprises, associations et porteurs de projet "
            "des industries créatives de la métropole : musique, cinéma, audiovisuel, documentaire, "
            "animation, jeu vidéo, composition et édition musicale, photographie.\n"
            "L'aide couvre au plus 80 % du budget du projet ; le reste vient d'autres financements."
        ),
        "description_en": (
            "The reactive fund supports projects of companies, associations and project holders of the "
            "metropolitan area's creative industries: music, film, audiovisual, documentary, animation, "
            "video games, composition and music publishing, photography.\n"
            "The grant covers at most 80% of the project's budget; the rest comes from other funding."
        ),
        # Since midnight today, Paris time; closing in six weeks at 18:00, Paris time.
        "opens_at": paris_to_utc(datetime.combine(today, time(0, 0))),
        "closes_at": paris_to_utc(datetime.combine(today + timedelta(weeks=6), time(18, 0))),
        "max_award_cents": 1_000_000,
        "postal_codes": POSTAL_CODES,
        "sectors": list(SECTORS),
        "organisation_kinds": list(ORGANISATION_KINDS),
        "min_other_funding_share_percent": 20,
        "required_documents": [
            {"code": "budget", "label_fr": "Budget prévisionnel", "label_en": "Provisional budget"},
            {"code": "presentation", "label_fr": "Présentation du projet", "label_en": "Project presentation"},
        ],
        "scoring_grid": [
            _criterion("artistic_quality", "Qualité artistique", "Artistic quality", 3),
            _criterion("economic_viability", "Viabilité économique", "Economic viability", 2),
            _criterion("local_impact", "Retombées pour le territoire", "Benefits for the area", 1),
        ],
    }


def _criterion(code: str, label_fr: str, label_en: str, weight: int) -> dict:
    return {
        "code": code, "label_fr": label_fr, "label_en": label_en, "weight": weight,
        "levels": [
            {"score": 0, "description": "Insuffisant"},
            {"score": 1, "description": "Correct"},
            {"score": 2, "description": "Bon"},
            {"score": 3, "description": "Excellent"},
        ],
    }
