"""The jury's pages, on PostgreSQL, as a browser without JavaScript uses them: the fund manager
builds the panel, sets the deadline in Paris time, assigns, checks flags and declarations, reads
the ranking and its exports; a juror declares, is recused or reads and scores."""
import re
from datetime import datetime, timezone

from sqlalchemy import select

from services.grants.models import Jury
from shared.core.clock import PARIS
from tests.integration.grants.applicant_setup import PROFILE
from tests.integration.grants.jury_setup import call_in_review, juror
from tests.pages import post_form, text
from tests.people import person, sign_in

OTHER_FIRM = {**PROFILE, "legal_name": "Studio Puy SAS", "siret": "552100554"}


def browser(app, someone):
    client = app.test_client()
    sign_in(client, someone)
    return client


def test_the_fund_manager_runs_the_jury_from_the_pages(grants_app):
    call_id, applications = call_in_review(grants_app, ["Tournée des Volcans", "Ciné-plein-air", "Atelier photo"],
                                           profiles={2: OTHER_FIRM})
    manon = person(grants_app, "manon@example.org", ["fund_manager"], "Manon")
    jules = juror(grants_app, "jules@example.net", "Jules", "Les Films du Puy")
    lea = juror(grants_app, "lea@example.com", "Léa", "Sono Mondes")
    nina = juror(grants_app, "nina@example.fr", "Nina", "Studio Puy", siren="552100554")
    client = browser(grants_app, manon)
    page = f"/manage/calls/{call_id}/jury"

    shown = text(client.get(page))
    assert "Évaluations par candidature" in shown and "Inviter un juré" in shown
    assert "/comptes/invitations/new?next=" in shown
    # Settings: the deadline typed in Paris time, kept in UTC; a bad number refused per field.
    refused = post_form(client, page, {"reviews_per_application": "0", "reminder_days_before": "3",
                                       "disagreement_threshold": "15", "review_deadline": ""})
    assert refused.status_code == 422 and 'id="error-reviews_per_application"' in refused.get_data(as_text=True)
    saved = post_form(client, page, {"reviews_per_application": "2", "reminder_days_before": "4",
                                     "disagreement_threshold": "20", "review_deadline": "2099-12-18T18:00"})
    assert saved.status_code == 302
    with grants_app.extensions["db"].unit_of_work() as session:
        settings = session.get(Jury, call_id)
        assert settings.review_deadline == datetime(2099, 12, 18, 17, 0, tzinfo=timezone.utc)
        assert (settings.reviews_per_application, settings.reminder_days_before, settings.disagreement_threshold) == (2, 4, 20)
    assert 'value="2099-12-18T18:00"' in text(client.get(page))

    for someone in (jules, lea, nina):
        assert post_form(client, f"{page}/members", {"juror_id": str(someone.id)}, form_path=page).status_code == 302
    assert "Nina" in text(client.get(page)) and "Retirer Nina du jury" in text(client.get(page))

    assignments = post_form(client, f"{page}/assignments/automatic", {}, form_path=page)
    assert assignments.status_code == 302
    listed = text(client.get(f"{page}/assignments"))
    assert "Attributions ajoutées : 6." in listed and "À déclarer" in listed

    declarations = text(client.get(f"{page}/declarations"))
    assert "Même SIREN : 552100554" in declarations and "À vérifier" in declarations
    flag_id = re.search(r"/jury/flags/(\d+)", declarations).group(1)
    confirmed = post_form(client, f"{page}/flags/{flag_id}", {"decision": "confirm"}, form_path=f"{page}/declarations")
    assert confirmed.status_code == 302
    after = text(client.get(f"{page}/declarations"))
    assert "Confirmé : récusé·e" in after and "Signalement confirmé (récusation)" in after
    again = post_form(client, f"{page}/flags/{flag_id}", {"decision": "clear"}, form_path=page)
    assert again.status_code == 409 and "Ce signalement est déjà confirmé." in text(again)

    ranking = text(client.get(f"{page}/ranking"))
    assert "Les candidatures sont classées par moyenne corrigée" in ranking and "Enveloppe du fonds" in ranking
    exported = client.get(f"{page}/ranking.csv")
    assert exported.status_code == 200 and exported.data.decode().startswith("\ufeffRang;N°;Récépissé")
    assert client.get(f"{page}/reviews.csv?lang=en").data.decode().startswith("\ufeffNo.;Receipt")
    english = text(client.get(f"{page}/ranking?lang=en"))
    assert "Applications are ranked by corrected mean" in english

    opened = post_form(client, f"{page}/deliberation", {}, form_path=page)
    assert opened.status_code == 302 and "La délibération est ouverte depuis le" in text(client.get(f"{page}?lang=fr"))

    # Nobody but a fund manager: a juror and an applicant get the refusal page.
    for someone in (jules, person(grants_app, "applicant0@example.org", ["applicant"], "Applicant 0")):
        assert browser(grants_app, someone).get(page).status_code == 403
        assert browser(grants_app, someone).get(f"{page}/ranking").status_code == 403
    assert grants_app.test_client().get(page).status_code == 302  # a visitor signs in first


def test_a_juror_declares_is_recused_or_reads_and_scores_without_javascript(grants_app, grants):
    from tests.integration.grants.applicant_setup import manager

    call_id, applications = call_in_review(grants_app, ["Tournée des Volcans", "Ciné-plein-air"])
    jules = juror(grants_app, "jules@example.net", "Jules", "Les Films du Puy")
    headers = manager(grants_app)
    grants.post(f"/api/manage/calls/{call_id}/jury/members", json={"juror_id": jules.id}, headers=headers)
    grants.patch(f"/api/manage/calls/{call_id}/jury", json={"reviews_per_application": 1,
                                                            "review_deadline": "2099-12-18T18:00"}, headers=headers)
    grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers)
    client = browser(grants_app, jules)
    first, second = applications

    home = text(client.get("/jury"))
    assert "Aide à la création 2026" in home and "0 évaluée(s) sur 2" in home
    assert "/jury" in text(client.get("/jury")).split("<main>")[0]  # the header's jury entry
    listing = text(client.get(f"/jury/calls/{call_id}"))
    assert "Tournée des Volcans" in listing and "À déclarer" in listing and "18 déc. 2099" in listing

    # Before declaring: title, organisation and city, not the project's text.
    cover = text(client.get(f"/jury/applications/{first}"))
    assert "Label Dôme SARL" in cover and "Clermont-Ferrand" in cover and "Ma déclaration" in cover
    assert "Une tournée de douze dates" not in cover
    assert client.get(f"/jury/applications/{first}/review").status_code == 404
    no_reason = post_form(client, f"/jury/applications/{first}", {"conflict": "true"})
    assert no_reason.status_code == 422 and "Dites quel est le conflit d'intérêts." in text(no_reason)
    nothing = post_form(client, f"/jury/applications/{first}", {})
    assert nothing.status_code == 422 and "Choisissez une réponse." in text(nothing)
    recused = post_form(client, f"/jury/applications/{first}", {"conflict": "true", "reason": "Mon frère y joue."})
    assert recused.status_code == 302
    assert "vous êtes récusé·e pour cette candidature" in text(client.get(f"/jury/calls/{call_id}"))
    assert "Vous êtes récusé·e" in text(client.get(f"/jury/applications/{first}"))
    assert client.get(f"/jury/applications/{first}/documents/budget").status_code == 404
    assert client.get(f"/jury/applications/{first}/review").status_code == 404

    # No conflict: the application as submitted, its documents, and the scoring form.
    assert post_form(client, f"/jury/applications/{second}", {"conflict": "false"}).status_code == 302
    read = text(client.get(f"/jury/applications/{second}"))
    assert "Une tournée de douze dates" in read and "Évaluer cette candidature" in read
    downloaded = client.get(f"/jury/applications/{second}/documents/budget")
    assert downloaded.status_code == 200 and downloaded.data.startswith(b"%PDF")
    form = text(client.get(f"/jury/applications/{second}/review"))
    assert "4 — Remarquable" in form and "Commentaire sur Qualité artistique" in form
    path = f"/jury/applications/{second}/review"
    draft = post_form(client, path, {"level-quality": "3", "comment-quality": "Solide.", "action": "save"})
    assert draft.status_code == 302
    assert 'value="3" checked' in client.get(path).get_data(as_text=True)
    incomplete = post_form(client, path, {"level-quality": "3", "comment-quality": "Solide.", "action": "submit"})
    assert incomplete.status_code == 422
    shown = text(incomplete)
    assert "Choisissez un niveau." in shown and "Écrivez un commentaire général." in shown
    assert "Donnez votre recommandation." in shown
    done = post_form(client, path, {"level-quality": "3", "comment-quality": "Solide.", "level-viability": "2",
                                    "comment-viability": "Budget tenu.", "recommendation": "fund",
                                    "overall_comment": "Un beau projet.", "action": "submit"})
    assert done.status_code == 302
    final = text(client.get(path))
    assert "Votre évaluation est définitive" in final and "Financer" in final and 'name="level-quality"' not in final
    assert "1 évaluée(s) sur 1" in text(client.get("/jury"))  # the recused one no longer counts
    # In English too.
    assert "My review" in text(client.get(f"{path}?lang=en"))

    # An applicant gets the refusal page; a visitor signs in first.
    applicant = person(grants_app, "applicant0@example.org", ["applicant"], "Applicant 0")
    assert browser(grants_app, applicant).get("/jury").status_code == 403
    assert grants_app.test_client().get("/jury").status_code == 302
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(Jury.review_deadline).where(Jury.call_id == call_id)).astimezone(PARIS).hour == 18
