"""A demo for `make run`: a fund with one open call, so that a newcomer can apply in the browser
at once, and a second call in review with four submitted applications, a panel of two demo
jurors and one of them done, so that a newcomer can try the jury (the demo people's accounts
are the accounts service's demo, whose facts `people` carries). Running it again changes
nothing."""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.grants import applications, awards, calls, config, jury, profiles
from services.grants.models import Account, Call, Fund
from services.grants.schemas.applications import ApplicationDraftSchema
from services.grants.schemas.profiles import ProfileInputSchema
from shared.accounts import projection
from shared.core.organisations import ORGANISATION_KINDS, SECTORS
from shared.core.clock import paris_to_utc, to_paris, utcnow

FUND_NAME = "Fonds réactif des industries créatives"
CALL_TITLE_FR = "Aide à la création et au développement"
REVIEW_CALL_TITLE_FR = "Aide à la création — session d'automne"
# A few postal codes of Clermont Auvergne Métropole.
POSTAL_CODES = ["63000", "63100", "63110", "63170", "63400", "63800", "63830", "63540", "63118", "63122"]


def seed(session: Session, now: datetime | None = None, people: dict | None = None) -> dict:
    """Create what is missing of the demo; returns the ids of the fund and the calls (the call in
    review only with the demo people of the accounts service's seed)."""
    now = now or utcnow()
    year = to_paris(now).year
    fund = session.scalar(select(Fund).where(Fund.name == FUND_NAME, Fund.year == year))
    if fund is None:
        fund = calls.create_fund(session, name=FUND_NAME, year=year, envelope_cents=5_000_000, grants_objective=5)
    call = session.scalar(select(Call).where(Call.fund_id == fund.id, Call.title_fr == CALL_TITLE_FR))
    if call is None:
        call = calls.create_call(session, _call(fund.id, now))
        calls.open_call(session, call.id, now)
    ids = {"fund_id": fund.id, "call_id": call.id}
    if people is not None:
        ids["review_call_id"] = _call_in_review(session, fund, now, people)
    return ids


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


# --- The call in review, for the jury ------------------------------------------------------------------

# One per demo applicant of the accounts service's seed, in its order. The third shares its SIREN
# with the second demo juror's collective: an obvious conflict, flagged.
PROFILES = (
    {"legal_name": "Label Dôme SARL", "kind": "company", "siret": "73282932000074", "address": "12 rue des Gras",
     "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "music", "head_count": 4},
    {"legal_name": "Ciné Volcans", "kind": "association", "rna": "W631000123", "address": "3 place de Jaude",
     "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "film", "head_count": 2},
    {"legal_name": "Collectif Image Auvergne", "kind": "association", "siret": "443061841", "rna": "W631000456",
     "address": "8 rue du Port", "postal_code": "63100", "city": "Clermont-Ferrand", "sector": "photography",
     "head_count": 3},
    {"legal_name": "Pixels d'Auvergne SAS", "kind": "company", "siret": "383474814", "address": "21 avenue Carnot",
     "postal_code": "63400", "city": "Chamalières", "sector": "video_games", "head_count": 7},
)
PROJECTS = (
    ("Tournée des Volcans", "Douze concerts dans la métropole et un disque enregistré en public.", 800_000, 2_000_000),
    ("Ciné-plein-air des quartiers", "Huit projections gratuites l'été, avec des ateliers de court métrage.", 600_000, 900_000),
    ("Regards sur la Chaîne des Puys", "Une exposition de photographie et son livre.", 450_000, 700_000),
    ("Le jeu des Dômes", "Un jeu vidéo éducatif sur la géologie des volcans.", 1_000_000, 3_000_000),
)
# The first demo juror's reviews: (level per criterion of the demo grid, recommendation).
FIRST_JUROR_SCORES = (((3, 2, 3), "fund"), ((2, 1, 3), "maybe"), ((2, 2, 1), "maybe"), ((1, 2, 0), "dont_fund"))


def _call_in_review(session: Session, fund: Fund, now: datetime, people: dict) -> int:
    found = session.scalar(select(Call).where(Call.fund_id == fund.id, Call.title_fr == REVIEW_CALL_TITLE_FR))
    if found is not None:
        return found.id
    for facts in (people["manager"], *people["jurors"], *people["applicants"]):
        if session.get(Account, facts["account_id"]) is None:
            # Their own events bring them up to date once the relay runs.
            projection.record(session, Account, {**facts, "session_version": 0}, now - timedelta(weeks=11))
    for facts in people["jurors"]:
        jury.record_juror(session, facts, now - timedelta(weeks=11))

    today = to_paris(now).date()
    opens_at = paris_to_utc(datetime.combine(today - timedelta(weeks=10), time(9, 0)))
    closes_at = paris_to_utc(datetime.combine(today - timedelta(weeks=2), time(18, 0)))
    call = calls.create_call(session, {
        **_call(fund.id, now), "title_fr": REVIEW_CALL_TITLE_FR, "title_en": "Creation grant — autumn session",
        "opens_at": opens_at, "closes_at": closes_at, "required_documents": [
            {"code": "presentation", "label_fr": "Présentation du projet", "label_en": "Project presentation"}],
    })
    calls.open_call(session, call.id, opens_at)
    submitted_at = opens_at + timedelta(days=3)
    for facts, profile, (title, summary, requested, budget) in zip(people["applicants"], PROFILES, PROJECTS):
        account_id = facts["account_id"]
        profiles.save_profile(session, account_id, ProfileInputSchema().load(profile))
        answers = ApplicationDraftSchema().load({
            "project_title": title, "summary": summary, "description": f"{summary}\nProjet de démonstration.",
            "requested_cents": requested, "total_budget_cents": budget, "jobs_expected": 2,
            "timeline": "Printemps et été prochains",
            "funding_sources": [{"kind": "own_funds", "amount_cents": budget - requested, "description": "Fonds propres"}],
        })
        application = applications.start_application(session, account_id, call.id, submitted_at, answers)
        applications.attach_document(session, account_id, application.id, "presentation", io.BytesIO(_pdf(title)),
                                     "presentation.pdf", submitted_at, config.documents_dir(),
                                     config.max_document_bytes())
        applications.submit_application(session, account_id, application.id, submitted_at)
        submitted_at += timedelta(hours=5)
    calls.close_call(session, call.id, closes_at)
    calls.start_review(session, call.id, closes_at + timedelta(days=1))

    manager_id = people["manager"]["account_id"]
    deadline = paris_to_utc(datetime.combine(today + timedelta(weeks=3), time(18, 0)))
    jury.update_jury(session, call.id, {"reviews_per_application": 2, "review_deadline": deadline}, now, manager_id)
    for facts in people["jurors"]:
        jury.add_panel_member(session, call.id, facts["account_id"], now, manager_id)
    jury.assign_automatically(session, call.id, now, manager_id)
    first_juror = people["jurors"][0]["account_id"]
    grid = [criterion["code"] for criterion in call.scoring_grid]
    for item, (levels, recommendation) in zip(jury.juror_assignments(session, first_juror, call.id),
                                              FIRST_JUROR_SCORES):
        application_id = item.cover.application_id
        jury.declare(session, first_juror, application_id, False, "", now)
        jury.submit_review(session, first_juror, application_id, now, {
            "criteria": [{"criterion": code, "level": level, "comment": "Commentaire de démonstration."}
                         for code, level in zip(grid, levels)],
            "recommendation": recommendation, "overall_comment": "Évaluation de démonstration.",
        })
    return call.id


def _pdf(text: str) -> bytes:
    """A one-page PDF saying `text` (ASCII), with a correct cross-reference table."""
    words = text.encode("ascii", "replace").replace(b"(", b"").replace(b")", b"")
    stream = b"BT /F1 24 Tf 72 720 Td (" + words + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- The awards' demo: a decided call, so that the fund's dashboard is not empty ------------------------

DECIDED_CALL_TITLE_FR = "Aide à la diffusion (démo, décidée)"
# What the awards' demo applicants (services/accounts/demo.py AWARD_APPLICANTS, in that order) submitted.
DEMO_PROFILES = (
    {"legal_name": "Studio Basalte SARL", "kind": "company", "siret": "55210055400013",
     "address": "14 rue Ballainvilliers", "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "music",
     "head_count": 4, "created_on": "2019-03-01"},
    {"legal_name": "Films de la Limagne", "kind": "company", "siret": "35600000000048", "address": "5 place Delille",
     "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "film", "head_count": 7, "created_on": "2015-09-14"},
    {"legal_name": "Volcan Pixel SAS", "kind": "company", "siret": "38012986646850", "address": "8 avenue Carnot",
     "postal_code": "63100", "city": "Clermont-Ferrand", "sector": "video_games", "head_count": 3,
     "created_on": "2021-01-11"},
)
DEMO_PROJECTS = (
    ("Basalte en tournée", 800_000), ("Un été de courts métrages", 650_000), ("Le jeu des cratères", 900_000),
)
# Accepted with this account, its first tranche paid; the second is granted, the third not selected.
DEMO_IBAN, DEMO_BIC = "FR1420041010050500013M02606", "PSSTFRPPLIL"


def seed_decided_call(session: Session, applicants: list[dict], now: datetime | None = None) -> dict:
    """A call of the demo fund, decided: three applications by the demo applicants, two awards
    (one accepted, its first tranche paid), one application not selected. Made through the use
    cases, as a fund manager and the applicants would; once (running it again changes nothing).
    `applicants` are the accounts service's demo applicants, as grants keeps them."""
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
        if session.get(Account, facts["account_id"]) is None:
            # Their own events bring them up to date once the relay runs.
            projection.record(session, Account, {**facts, "session_version": 0}, now - timedelta(weeks=13))
        profiles.save_profile(session, facts["account_id"], ProfileInputSchema().load(profile))
        application = applications.start_application(session, facts["account_id"], call.id, now, {
            "project_title": title, "summary": f"{title} : le projet de démonstration.",
            "description": "Un projet imaginé pour la démonstration de Tremplin.", "requested_cents": requested,
            "total_budget_cents": 3 * requested, "jobs_expected": 2, "timeline": "Toute l'année",
            "funding_sources": [{"kind": "own_funds", "amount_cents": 2 * requested, "description": "Fonds propres"}],
        })
        for document in call.required_documents:
            applications.attach_document(session, facts["account_id"], application.id, document["code"],
                                         io.BytesIO(_pdf(title)), f"{document['code']}.pdf", now,
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
        "terms_accepted": True, "signatory_name": "Marion Chabrol", "signatory_role": "Gérante",
        "iban": DEMO_IBAN, "bic": DEMO_BIC}, now)
    awards.record_payment(session, first.tranches[0].id, {
        "paid_on": to_paris(now).date(), "amount_cents": first.tranches[0].amount_cents,
        "bank_reference": "DEMO-VIR-0001"}, now, None)
    return {"fund_id": fund.id, "call_id": call.id}
