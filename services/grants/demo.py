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


# --- Impact's demo: a history of supported firms, for a report with real curves ----------------------

IMPACT_FIRMS = 60
IMPACT_COMPARISON = 24
DEMO_SESSIONS = (
    ("Studio Basalte (démo)", ("crowdfunding", "bank_loan"), "Une campagne avant le prêt : la banque regarde la collecte."),
    ("Ciné Volcans (démo)", ("patronage", "foundation"), "Mécénat des commerçants du quartier ; appel de la Fondation de France."),
    ("Pixels d'Auvergne (démo)", ("bpifrance", "regional_investment_fund"), "Prêt d'innovation Bpifrance, puis le fonds régional."),
    ("Label Dôme (démo)", ("crowdfunding",), "Préparer les contreparties et le calendrier de la campagne."),
)
DEMO_FUNDING = (
    ("Studio Basalte (démo)", "bank_loan", 2_500_000, "Crédit Agricole Centre France"),
    ("Pixels d'Auvergne (démo)", "bpifrance", 3_000_000, "Bpifrance, prêt d'amorçage"),
    ("Ciné Volcans (démo)", "foundation", 800_000, "Fondation de France"),
)


def _demo_siren(rng) -> str:
    from stdnum import luhn

    body = f"8{rng.randrange(10**7):07d}"
    return body + luhn.calc_check_digit(body)


def seed_impact(session: Session, now: datetime | None = None, referent: dict | None = None) -> dict:
    """About 60 supported firms from 2019 to this year (grants, campaigns, both; some closed) with a
    registry check a year and their answers, a comparison group, campaigns' outcomes, and a few
    referent sessions and funding: every row marked `demo`. The registry's stand-in is given the
    same firms (var/registry-firms.json), so that the worker's checks under `make run` answer.
    Once (running it again changes nothing); refused on a database holding real firms."""
    import json
    import random

    from services.grants import impact, registry_standin
    from services.grants.models import AdviceSession, AlternativeFunding, CampaignOutcome, SupportedFirm
    from services.grants.registry import read_answer

    now = now or utcnow()
    today = to_paris(now).date()
    if referent is not None and session.get(Account, referent["account_id"]) is None:
        # Their own events bring them up to date once the relay runs.
        projection.record(session, Account, {**referent, "session_version": 0}, now - timedelta(weeks=2))
    # Seeded already: nothing more, whatever was followed since (under `make run`, the demo's own
    # decided call makes its awardee a supported firm once the worker runs; a second `make run`
    # then found a firm not marked demo and stopped there).
    if session.scalar(select(SupportedFirm.id).where(SupportedFirm.demo.is_(True)).limit(1)) is not None:
        return {"firms": 0}
    if session.scalar(select(SupportedFirm.id).where(SupportedFirm.demo.is_(False)).limit(1)) is not None:
        raise RuntimeError("This database follows real firms: the impact demo is never mixed into it.")
    rng = random.Random(14)
    records = []

    def follow(name: str, start, yearly_closing: float):
        """The firm's life from `start`: closed some day with the yearly chance given, else active."""
        number = _demo_siren(rng)
        created = start - timedelta(days=rng.randrange(200, 2500))
        closed = None
        year_start = start
        while year_start < today:
            if rng.random() < yearly_closing:
                closed = year_start + timedelta(days=rng.randrange(30, 365))
                closed = closed if closed < today else None
                break
            year_start = year_start + timedelta(days=365)
        records.append(registry_standin.firm_record(number, name, created, closed))
        return number, created, closed

    def check_history(firm, number, name, created, closed, start):
        day = start + timedelta(days=180)
        while day < today:
            ceased = closed is not None and closed <= day
            body = json.dumps({"results": [registry_standin.firm_record(number, name, created, closed if ceased else None)],
                               "total_results": 1, "page": 1, "per_page": 10, "total_pages": 1}, ensure_ascii=False)
            at = paris_to_utc(datetime.combine(day, time(3, 0)))
            impact.record_check(session, firm, read_answer(number, 200, body, url=f"demo:/search?q={number}"), at)
            if ceased:
                break
            day += timedelta(days=365)

    span = (today - date_(2019, 1, 1)).days
    for index in range(IMPACT_FIRMS):
        start = date_(2019, 1, 1) + timedelta(days=int(span * index / IMPACT_FIRMS) + rng.randrange(0, 20))
        name = f"Entreprise soutenue n°{index + 1} (démo)"
        number, created, closed = follow(name, start, 0.07)
        organisation = {"legal_name": name, "siren": number, "sector": rng.choice(list(SECTORS))}
        kind = rng.random()
        firm = None
        if kind < 0.75:
            firm = impact.record_support(session, organisation, "grant", start, rng.randrange(20, 100) * 10_000,
                                         f"demo:award:{index}", now=now, demo=True, schedule=False).firm
        if kind >= 0.55:
            on = start + timedelta(days=rng.randrange(0, 120)) if firm else start
            raised = rng.randrange(30, 200) * 10_000
            firm = impact.record_support(session, organisation, "crowdfunding", on, raised, f"demo:campaign:{index}",
                                         now=now, demo=True, schedule=False).firm
            session.add(CampaignOutcome(campaign_id=-(index + 1), outcome="succeeded", closed_on=on, legal_name=name,
                                        siren=number, goal_cents=raised * 8 // 10, pledged_cents=raised,
                                        backers=rng.randrange(20, 300), matched_cents=0, demo=True, updated_at=now))
            if rng.random() < 0.5:
                impact.record_support(session, organisation, "matchfunding", on, raised // 4, f"demo:match:{index}",
                                      now=now, demo=True, schedule=False)
        check_history(firm, number, name, created, closed, start)
    for index in range(IMPACT_FIRMS, IMPACT_FIRMS + 12):  # campaigns that did not reach their goal
        on = date_(2019, 1, 1) + timedelta(days=rng.randrange(0, span))
        session.add(CampaignOutcome(campaign_id=-(index + 1), outcome="failed", closed_on=on,
                                    legal_name=f"Campagne n°{index + 1} (démo)", siren=None, goal_cents=1_000_000,
                                    pledged_cents=rng.randrange(10, 70) * 10_000, backers=rng.randrange(5, 60),
                                    matched_cents=0, demo=True, updated_at=now))
    for index in range(IMPACT_COMPARISON):
        start = date_(2019, 1, 1) + timedelta(days=int((span - 365) * index / IMPACT_COMPARISON))
        name = f"Candidat non retenu n°{index + 1} (démo)"
        number, created, closed = follow(name, start, 0.12)
        firm = impact.record_comparison(session, {"legal_name": name, "siren": number}, start, now=now, demo=True,
                                        schedule=False)
        check_history(firm, number, name, created, closed, start)
    for offset, (organisation, mechanisms, notes) in enumerate(DEMO_SESSIONS):
        session.add(AdviceSession(organisation=organisation, held_on=today - timedelta(days=40 + 25 * offset),
                                  mechanisms=list(mechanisms), notes=notes, demo=True, recorded_at=now,
                                  referent_id=referent["account_id"] if referent else None))
    for offset, (organisation, kind, amount, source) in enumerate(DEMO_FUNDING):
        session.add(AlternativeFunding(organisation=organisation, kind=kind, amount_cents=amount,
                                       obtained_on=today - timedelta(days=10 + 20 * offset), source=source, demo=True,
                                       recorded_at=now))
    session.flush()
    registry_standin.write_firms(registry_standin.firms_path(), records)
    # Their next checks, a second apart, by the worker against the stand-in.
    for offset, firm in enumerate(session.scalars(select(SupportedFirm).where(SupportedFirm.demo.is_(True))
                                                  .order_by(SupportedFirm.id))):
        impact.schedule_check(session, firm, now + timedelta(seconds=5 + offset), now)
    return {"firms": IMPACT_FIRMS + IMPACT_COMPARISON}


def date_(year: int, month: int, day: int):
    from datetime import date

    return date(year, month, day)
