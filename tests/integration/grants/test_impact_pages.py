"""Impact's pages as people use them, in French and English: the report with its curve drawn on
the server and its tables, for fund managers and the referent only; the manual status; the
advice page, the referent's queue and records. Refused roles and bad forms change nothing."""
import re
from datetime import date

from sqlalchemy import func, select

from services.grants import impact
from services.grants.models import AdviceRequest, AdviceSession, AlternativeFunding, ManualStatus
from tests.integration.grants.test_impact_api import seed_history
from tests.integration.grants.test_manager_pages import _sign_in
from tests.pages import post_form, text


def visible(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def test_the_report_page_draws_the_curves_and_gives_every_figure_in_french_and_english(grants_app):
    seed_history(grants_app, compared=15)
    manager = _sign_in(grants_app, "manager@example.org", ["fund_manager"])

    page = manager.get("/manage/impact?from=2019&to=2026")
    assert page.status_code == 200
    body = text(page)
    assert body.count('class="curve"') == 2 and 'class="band series-0"' in body  # both curves, with bands
    assert 'role="img"' in body and "<title id=\"survival-chart-title\">" in body
    words = visible(page)
    assert "Rapport d'indicateurs 2019–2026" in words
    assert "75 % (intervalle à 95 % de 5" in words  # S(3) with its interval
    assert "Pas encore de fermeture" in words  # the first year: no closure, so no figure without its interval
    assert "Insee Première n°2070" in words and "69 %" in words
    assert "Groupe de comparaison" in words
    assert "@media print" in body
    english = visible(manager.get("/manage/impact?from=2019&to=2026&lang=en"))
    assert "Indicators report 2019–2026" in english and "75% (95% interval" in english
    csv_page = manager.get("/manage/impact/report/survival.csv?from=2019&to=2026")
    assert csv_page.status_code == 200 and csv_page.mimetype == "text/csv"


def test_the_report_page_refuses_other_roles_and_sends_visitors_to_sign_in(grants_app):
    for roles in (["applicant"], ["juror"], ["backer"]):
        someone = _sign_in(grants_app, f"{roles[0]}@example.org", roles, "Someone")
        for path in ("/manage/impact", "/manage/impact/report/outputs.csv", "/manage/impact/firms"):
            assert someone.get(path).status_code == 403
        assert someone.get("/referent/advice").status_code == 403
    visitor = grants_app.test_client().get("/manage/impact")
    assert visitor.status_code == 302 and "signin" in visitor.headers["Location"]
    referent = _sign_in(grants_app, "rita@example.org", ["referent"], "Rita")
    assert referent.get("/manage/impact").status_code == 200
    assert referent.get("/manage/impact/firms").status_code == 403


def test_bad_years_on_the_report_page_are_named(grants_app):
    manager = _sign_in(grants_app, "manager@example.org", ["fund_manager"])
    page = manager.get("/manage/impact?from=2026&to=2020")
    assert page.status_code == 422 and "La dernière année vient après la première." in visible(page)
    assert manager.get("/manage/impact?from=deux").status_code == 422


def test_the_fund_manager_records_a_status_by_hand(grants_app):
    with grants_app.extensions["db"].unit_of_work() as session:
        firm_id = impact.record_support(session, {"legal_name": "Ciné Volcans", "rna": "W631000123"}, "grant",
                                        date(2023, 3, 1), 500_000, "award:5").firm_id
    manager = _sign_in(grants_app, "manager@example.org", ["fund_manager"])
    path = f"/manage/impact/firms/{firm_id}"
    assert "Ciné Volcans" in visible(manager.get("/manage/impact/firms"))

    refused = post_form(manager, f"{path}/status", {"status": "ceased", "source": "Journal officiel"}, form_path=path)
    assert refused.status_code == 422 and "Indiquez la date à laquelle l'entreprise a cessé." in visible(refused)
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ManualStatus)) == 0
    done = post_form(manager, f"{path}/status", {"status": "ceased", "closed_on": "2025-06-30",
                                                  "source": "Journal officiel des associations"}, form_path=path)
    assert done.status_code == 302
    page = visible(manager.get(path))
    assert "Statut enregistré." in page and "30/06/2025" in page and "Journal officiel des associations" in page


def test_a_project_holder_asks_for_advice_and_the_referent_answers_with_a_session(grants_app):
    visitor = grants_app.test_client().get("/advice")
    assert visitor.status_code == 200
    assert "Mécénat" in visible(visitor) and "Connectez-vous pour demander conseil" in visible(visitor)

    ana = _sign_in(grants_app, "ana@example.org", ["applicant"], "Ana")
    refused = post_form(ana, "/advice", {"organisation": "", "project": "Un album", "mechanisms": ["lottery"]})
    assert refused.status_code == 422
    asked = post_form(ana, "/advice", {"organisation": "Studio Basalte", "project": "Un album et sa tournée.",
                                      "mechanisms": ["crowdfunding", "bank_loan"]})
    assert asked.status_code == 302
    assert "en attente de la référente" in visible(ana.get("/advice")) or "en attente" in visible(ana.get("/advice"))

    referent = _sign_in(grants_app, "rita@example.org", ["referent"], "Rita")
    queue = visible(referent.get("/referent/advice"))
    assert "Studio Basalte — Ana" in queue and "Financement participatif, Prêt bancaire" in queue
    with grants_app.extensions["db"].unit_of_work() as session:
        request_id = session.scalar(select(AdviceRequest.id))
    refused = post_form(referent, "/referent/advice/sessions", {"request_id": str(request_id), "held_on": "2026-11-02"},
                        form_path="/referent/advice")
    assert refused.status_code == 422 and "Cochez au moins un mécanisme abordé." in visible(refused)
    held = post_form(referent, "/referent/advice/sessions", {
        "request_id": str(request_id), "held_on": "2026-11-02", "mechanisms": ["crowdfunding", "foundation"],
        "notes": "Une campagne, puis une fondation."}, form_path="/referent/advice")
    assert held.status_code == 302
    page = visible(referent.get("/referent/advice"))
    assert "Aucune demande en attente." in page and "Une campagne, puis une fondation." in page

    bad = post_form(referent, "/referent/alternative-funding", {
        "organisation": "Studio Basalte", "kind": "foundation", "amount": "beaucoup", "obtained_on": "2026-11-20",
        "source": "Fondation de France"}, form_path="/referent/advice")
    assert bad.status_code == 422 and "Saisissez un montant en euros" in visible(bad)
    recorded = post_form(referent, "/referent/alternative-funding", {
        "organisation": "Studio Basalte", "kind": "foundation", "amount": "15 000", "obtained_on": "2026-11-20",
        "source": "Fondation de France"}, form_path="/referent/advice")
    assert recorded.status_code == 302
    assert "15 000,00 €" in visible(referent.get("/referent/advice"))
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(AlternativeFunding.amount_cents)) == 1_500_000
        assert session.scalar(select(func.count()).select_from(AdviceSession)) == 1
