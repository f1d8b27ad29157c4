"""A demo for `make run`: a fund and one open call, so that a newcomer can apply in the browser
at once (the demo fund manager's account is the accounts service's demo). Running it again
changes nothing."""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.grants import calls
from services.grants.models import Account, Call, Fund
from services.grants.organisations import ORGANISATION_KINDS, SECTORS
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


# --- The awards' demo: a decided call, so that the fund's dashboard is not empty ------------------------

DECIDED_CALL_TITLE_FR = "Aide à la diffusion (démo, décidée)"
# What the demo applicants (services/accounts/demo.py APPLICANTS, in that order) submitted.
DEMO_PROFILES = (
    {"legal_name": "Label Dôme SARL", "kind": "company", "siret": "73282932000074", "address": "12 rue des Gras",
     "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "music", "head_count": 4, "created_on": "2019-03-01"},
    {"legal_name": "Les Films du Puy", "kind": "company", "siret": "55210055400013", "address": "3 place de Jaude",
     "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "film", "head_count": 7, "created_on": "2015-09-14"},
    {"legal_name": "Pixel Volcan SAS", "kind": "company", "siret": "44306184100047", "address": "8 avenue Carnot",
     "postal_code": "63100", "city": "Clermont-Ferrand", "sector": "video_games", "head_count": 3,
     "created_on": "2021-01-11"},
)
DEMO_PROJECTS = (
    ("Tournée des Volcans", 800_000), ("Ciné-plein-air en métropole", 650_000), ("Jeu « Les Puys »", 900_000),
)
# Accepted with this account, its first tranche paid; the second is granted, the third not selected.
DEMO_IBAN, DEMO_BIC = "FR1420041010050500013M02606", "PSSTFRPPLIL"
# The smallest file the documents' checks take as a PDF (its header and its end-of-file marker).
DEMO_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def seed_decided_call(session: Session, applicants: list[dict], now: datetime | None = None) -> dict:
    """A call of the demo fund, decided: three applications by the demo applicants, two awards
    (one accepted, its first tranche paid), one application not selected. Made through the use
    cases, as a fund manager and the applicants would; once (running it again changes nothing).
    `applicants` are the accounts service's demo applicants, as grants keeps them."""
    from services.grants import applications, awards, config, profiles
    from services.grants.schemas.profiles import ProfileInputSchema
    from shared.accounts import projection

    now = now or utcnow()
    year = to_paris(now).year
    fund = session.scalar(select(Fund).where(Fund.name == FUND_NAME, Fund.year == year))
    if fund is None:
        fund = calls.create_fund(session, name=FUND_NAME, year=year, envelope_cents=5_000_000, grants_objective=5)
    call = session.scalar(select(Call).where(Call.fund_id == fund.id, Call.title_fr == DECIDED_CALL_TITLE_FR))
    if call is not None:
        return {"fund_id": fund.id, "call_id": call.id}
    call = calls.create_call(session, {
        **_call(fund.id, now), "title_fr": DECIDED_CALL_TITLE_FR, "title_en": "Distribution grant (demo, decided)",
        "opens_at": now - timedelta(days=90)})
    calls.open_call(session, call.id, now)
    ids = []
    for facts, profile, (title, requested) in zip(applicants, DEMO_PROFILES, DEMO_PROJECTS):
        projection.record(session, Account, facts, now)
        profiles.save_profile(session, facts["account_id"], ProfileInputSchema().load(profile))
        application = applications.start_application(session, facts["account_id"], call.id, now, {
            "project_title": title, "summary": f"{title} : le projet de démonstration.",
            "description": "Un projet imaginé pour la démonstration de Tremplin.", "requested_cents": requested,
            "total_budget_cents": 3 * requested, "jobs_expected": 2, "timeline": "Toute l'année",
            "funding_sources": [{"kind": "own_funds", "amount_cents": 2 * requested, "description": "Fonds propres"}],
        })
        for document in call.required_documents:
            applications.attach_document(session, facts["account_id"], application.id, document["code"],
                                         io.BytesIO(DEMO_PDF), f"{document['code']}.pdf", now,
                                         config.documents_dir(), config.max_document_bytes())
        applications.submit_application(session, facts["account_id"], application.id, now)
        ids.append(application.id)
    # The call closed a month ago; the jury of the demo is the fund manager's decision alone.
    call.closes_at = now - timedelta(days=30)
    calls.close_call(session, call.id, now)
    calls.start_review(session, call.id, now)
    first = awards.grant_award(session, ids[0], {"amount_cents": 800_000, "conditions_fr": "Citer le fonds sur les affiches.",
                                                 "conditions_en": "Credit the fund on the posters."}, now, None).award
    awards.grant_award(session, ids[1], {"amount_cents": 600_000}, now, None)
    awards.decide(session, call.id, now, None, with_reviews_missing=True,
                  reason="Démonstration : décidé sans jury.")
    awards.accept_award(session, applicants[0]["account_id"], first.id, {
        "terms_accepted": True, "signatory_name": "Ana Lefèvre", "signatory_role": "Gérante",
        "iban": DEMO_IBAN, "bic": DEMO_BIC}, now)
    awards.record_payment(session, first.tranches[0].id, {
        "paid_on": to_paris(now).date(), "amount_cents": first.tranches[0].amount_cents,
        "bank_reference": "DEMO-VIR-0001"}, now, None)
    return {"fund_id": fund.id, "call_id": call.id}
