"""The awards' pages, as a browser without JavaScript uses them: forms read in euros and
percentages, the same refusals as the API shown beside their inputs in French, CSRF, who may
see what."""
from __future__ import annotations

import io
import re
from datetime import date

from sqlalchemy import func, select

from services.grants.models import Award, Payment
from tests.integration.grants.applicant_setup import manager
from tests.integration.grants.award_setup import IBAN, accepted_award, acceptance, decide, grant, reviewed_call
from tests.pages import post_form, text
from tests.pdf import small_pdf
from tests.people import person, sign_in


def _browser(app, email, roles, name):
    client = app.test_client()
    sign_in(client, person(app, email, roles, name))
    return client


def _manager(app):
    return _browser(app, "manager@example.org", ["fund_manager"], "Manon")


def _applicant(app, number):
    return _browser(app, f"applicant{number}@example.org", ["applicant"], f"Applicant {number}")


def _field_error(page: str, name: str) -> str:
    match = re.search(rf'<div class="field-error" id="error-{re.escape(name)}">([^<]*)</div>', page)
    assert match, f"no error under {name}"
    return match.group(1)


def test_the_fund_manager_grants_and_decides_through_the_pages(grants_app):
    call = reviewed_call(grants_app, ["Tournée des Volcans", "Ciné-plein-air"])
    browser = _manager(grants_app)
    board_path = f"/manage/calls/{call.call_id}/awards"
    board = text(browser.get(board_path))
    assert "Aides et décision" in board and "Toutes les évaluations sont déposées." in board
    assert "Enveloppe de 50\u202f000,00\xa0€ : 0,00\xa0€ engagés, 50\u202f000,00\xa0€ disponibles." in board

    grant_path = f"/manage/applications/{call.applications[0]}/award"
    assert "Montant demandé : 8\u202f000,00\xa0€" in text(browser.get(grant_path))
    for amount, message in (("8 000,01", "Une aide ne dépasse pas le montant demandé : 8\u202f000,00\xa0€."),
                            ("12,345", "Saisissez un montant en euros, par exemple 1250 ou 1250,50."),
                            ("-5", "Un montant ne peut pas être négatif."), ("0", "Une aide doit être supérieure à zéro.")):
        refused = post_form(browser, grant_path, {"amount": amount, "conditions_fr": "Citer le fonds."})
        assert refused.status_code == 422, amount
        page = text(refused)
        assert _field_error(page, "amount") == message, amount
        assert ">Citer le fonds.</textarea>" in page  # the form keeps what was typed
    granted = post_form(browser, grant_path, {"amount": "7 500,50", "conditions_fr": "Citer le fonds.",
                                              "conditions_en": "Credit the fund."})
    assert granted.status_code == 302 and granted.headers["Location"].endswith(board_path)
    with grants_app.extensions["db"].unit_of_work() as session:
        award = session.scalars(select(Award)).one()
        assert (award.amount_cents, award.conditions_fr, award.conditions_en) == (750_050, "Citer le fonds.",
                                                                               "Credit the fund.")
    board = text(browser.get(board_path))
    assert "7\u202f500,50\xa0€ engagés" in board

    # The tranche plan, in percent; a plan that does not add up is refused beside its rows.
    bad = post_form(browser, f"/manage/calls/{call.call_id}/tranche-plan",
                    {"tranche-0-share": "60", "tranche-0-due": "acceptance", "tranche-1-share": "30",
                     "tranche-1-due": "final_report"}, form_path=board_path)
    assert bad.status_code == 422 and "Les parts des tranches font 90 % au lieu de 100 %." in text(bad)
    saved = post_form(browser, f"/manage/calls/{call.call_id}/tranche-plan",
                      {"tranche-0-share": "60", "tranche-0-due": "acceptance", "tranche-1-share": "40",
                       "tranche-1-due": "final_report"}, form_path=board_path)
    assert saved.status_code == 302
    with grants_app.extensions["db"].unit_of_work() as session:
        assert [t.amount_cents for t in session.scalars(select(Award)).one().tranches] == [450_030, 300_020]

    decided = post_form(browser, f"/manage/calls/{call.call_id}/decision", {"release_comments": "true"},
                        form_path=board_path)
    assert decided.status_code == 302
    board = text(browser.get(board_path))
    assert "Cet appel est décidé : chaque candidat a été informé par e-mail." in board
    assert "<td>Aidée</td>" in board and "<td>Non retenue</td>" in board
    # The calls' list takes the fund manager to this page instead of a button deciding outright.
    calls = text(browser.get("/manage/calls"))
    assert board_path in calls and 'value="decided"' not in calls


def test_a_decision_with_reviews_missing_needs_the_box_ticked_on_the_page(grants_app):
    call = reviewed_call(grants_app, ["Un"], reviewed=False)
    browser = _manager(grants_app)
    board_path = f"/manage/calls/{call.call_id}/awards"
    assert "1 évaluation manque encore." in text(browser.get(board_path))
    refused = post_form(browser, f"/manage/calls/{call.call_id}/decision", {}, form_path=board_path)
    assert refused.status_code == 409
    page = text(refused)
    assert "Le jury n'a pas terminé : des évaluations manquent encore (1)." in page
    assert _field_error(page, "with_reviews_missing") == "Des évaluations manquent encore."
    forced = post_form(browser, f"/manage/calls/{call.call_id}/decision",
                       {"with_reviews_missing": "true", "reason": "Le jury ne siège plus."}, form_path=board_path)
    assert forced.status_code == 302
    board = text(browser.get(board_path))
    assert "Décidé malgré des évaluations manquantes (1 évaluation manquante)" in board and "Le jury ne siège plus." in board


def test_the_applicant_accepts_with_bank_details_through_the_pages(grants_app, documents_dir):
    call = reviewed_call(grants_app, ["Tournée des Volcans", "Ciné-plein-air"])
    award_id = grant(grants_app.test_client(), manager(grants_app), call.applications[0], 800_000,
                     conditions_fr="Citer le fonds sur les affiches.").get_json()["id"]
    ana = _applicant(grants_app, 0)
    path = f"/awards/{award_id}"
    assert ana.get(path).status_code == 404  # not decided yet
    assert decide(grants_app.test_client(), manager(grants_app), call.call_id).status_code == 200
    application = text(ana.get(f"/applications/{call.applications[0]}"))
    assert f"/applications/{call.applications[0]}/decision" in application
    outcome = text(ana.get(f"/applications/{call.applications[0]}/decision"))
    assert "Votre projet est retenu : une aide de 8\u202f000,00\xa0€." in outcome and path in outcome
    page = text(ana.get(path))
    assert "Termes de la convention d'aide" in page and "Citer le fonds sur les affiches." in page
    assert "5\u202f600,00\xa0€" in page and "2\u202f400,00\xa0€" in page

    wrong = post_form(ana, f"{path}/accept", {"signatory_name": "Ana Lefèvre", "iban": "FR76 3000 6000 0112 3456 7890 188",
                                             "bic": "BNPAFRP"}, form_path=path)
    assert wrong.status_code == 422
    page = text(wrong)
    assert _field_error(page, "iban") == (
        "Cet IBAN n'est pas valide : vérifiez qu'il ne manque pas de caractère et qu'aucun n'est mal saisi.")
    assert _field_error(page, "bic") == "Un BIC compte 8 ou 11 lettres et chiffres, comme BNPAFRPP."
    assert _field_error(page, "terms_accepted") == "Lisez les termes et acceptez-les."
    assert _field_error(page, "signatory_role") == "Indiquez la fonction du ou de la signataire dans la structure."
    assert 'value="Ana Lefèvre"' in page  # what was typed stays

    form = {**acceptance(), "terms_accepted": "true"}
    accepted = post_form(ana, f"{path}/accept", form, form_path=path)
    assert accepted.status_code == 302
    page = text(ana.get(path))
    assert "Vous avez accepté l'aide le" in page and "FR76 •••• 0189" in page
    assert IBAN.replace(" ", "") not in page and "30006000011234567890189" not in page
    manager_page = text(_manager(grants_app).get(f"/manage/awards/{award_id}"))
    assert "FR76 •••• 0189" in manager_page and "30006000011234567890189" not in manager_page

    # The final report, a PDF, then the last tranche is due.
    not_pdf = post_form(ana, f"{path}/reports/final", {"file": (io.BytesIO(b"not a pdf"), "rapport.txt")},
                        form_path=path, content_type="multipart/form-data")
    assert not_pdf.status_code == 415 and "Seuls les documents PDF sont acceptés." in text(not_pdf)
    sent = post_form(ana, f"{path}/reports/final", {"file": (io.BytesIO(small_pdf("Rapport")), "rapport.pdf")},
                     form_path=path, content_type="multipart/form-data")
    assert sent.status_code == 302
    with grants_app.extensions["db"].unit_of_work() as session:
        assert [t.status for t in session.get(Award, award_id).tranches] == ["due", "due"]

    # The other applicant: their own letter, with no comments (not released), and not this award.
    ben = _applicant(grants_app, 1)
    letter = text(ben.get(f"/applications/{call.applications[1]}/decision"))
    assert "elle n'a pas été retenue cette fois" in letter and "Les commentaires du jury" not in letter
    assert ben.get(path).status_code == 404
    assert ben.get(f"/applications/{call.applications[0]}/decision").status_code == 404


def test_payments_and_the_dashboard_through_the_pages(grants_app):
    call, award, _ana = accepted_award(grants_app)
    browser = _manager(grants_app)
    path = f"/manage/awards/{award['id']}"
    first = award["tranches"][0]
    form_path = f"{path}/tranches/{first['id']}/payments"
    today = date.today().isoformat()
    too_much = post_form(browser, form_path, {"paid_on": today, "amount": "5 600,01", "bank_reference": "VIR-1"},
                         form_path=path)
    assert too_much.status_code == 422
    assert _field_error(text(too_much), "amount") == "Il reste au plus 5\u202f600,00\xa0€ à verser sur cette tranche."
    paid = post_form(browser, form_path, {"paid_on": today, "amount": "5600", "bank_reference": "VIR-1"}, form_path=path)
    assert paid.status_code == 302
    # Sent again (a double click, a reload): the same payment, recorded once.
    again = post_form(browser, form_path, {"paid_on": today, "amount": "5600", "bank_reference": "VIR-1"}, form_path=path)
    assert again.status_code == 302
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1

    dashboard = text(browser.get(f"/manage/funds/{award['fund_id']}/dashboard"))
    assert "Tableau de bord : Fonds réactif 2026" in dashboard
    assert "Enveloppe de 50\u202f000,00\xa0€ : 8\u202f000,00\xa0€ engagés, 42\u202f000,00\xa0€ disponibles." in dashboard
    assert re.search(r"<th scope=\"row\">Versé</th><td>5\u202f600,00\xa0€</td>", dashboard)
    assert "1 sur les 5 visées cette année (1 acceptées)" in dashboard
    assert "Aucune tranche n'est exigible." in dashboard
    nothing = browser.get(f"/manage/funds/{award['fund_id']}/payment-file?execution_date={today}")
    assert nothing.status_code == 409 and "Aucune tranche n'est exigible : il n'y a rien à verser." in text(nothing)
    csv = browser.get(f"/manage/funds/{award['fund_id']}/awards.csv")
    assert csv.status_code == 200 and csv.data.decode("utf-8").startswith("\ufeffN° aide;")
    assert browser.get(f"/manage/funds/{award['fund_id']}/awards.csv?lang=en").data.decode().startswith("\ufeffAward no.")

    cancelled = post_form(browser, f"{path}/cancel", {"reason": ""}, form_path=path)
    assert cancelled.status_code == 422 and _field_error(text(cancelled), "cancel_reason")
    assert post_form(browser, f"{path}/cancel", {"reason": "Projet abandonné."}, form_path=path).status_code == 302
    repaid = post_form(browser, f"{path}/repayments", {"amount": "1 000", "reason": "Dépenses non faites."},
                       form_path=path)
    assert repaid.status_code == 302
    assert "1\u202f000,00\xa0€" in text(browser.get(f"{path}?lang=fr"))  # (the English CSV chose English)


def test_who_may_open_the_awards_pages(grants_app):
    call, award, _ana = accepted_award(grants_app)
    manager_pages = [f"/manage/calls/{call.call_id}/awards", f"/manage/applications/{call.applications[1]}/award",
                     f"/manage/awards/{award['id']}", f"/manage/funds/{award['fund_id']}/dashboard",
                     f"/manage/funds/{award['fund_id']}/awards.csv", f"/manage/funds/{award['fund_id']}/payments.csv"]
    visitor = grants_app.test_client()
    ana = _applicant(grants_app, 0)
    for path in manager_pages:
        redirected = visitor.get(path)
        assert redirected.status_code == 302 and "/signin?next=" in redirected.headers["Location"], path
        assert ana.get(path).status_code == 403, path
    manon = _manager(grants_app)
    for path in manager_pages:
        assert manon.get(path).status_code == 200, path
    assert manon.get(f"/awards/{award['id']}").status_code == 403
    assert ana.get(f"/awards/{award['id']}").status_code == 200 and ana.get("/awards").status_code == 200
    # A form without its CSRF token changes nothing.
    forged = manon.post(f"/manage/awards/{award['id']}/cancel", data={"reason": "Forgé."})
    assert forged.status_code == 400
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.get(Award, award["id"]).status == "accepted"
