"""The applicant's pages with a test client posting forms as a browser would: profile, draft,
uploads, submission with every failing rule shown, withdrawal; French by default, English on
request; CSRF, closing time and who may see what."""
import io
import re

from sqlalchemy import select

from services.grants.models import Application, Document, Organisation
from tests.people import person, sign_in
from shared.core.outbox import OutboxMessage
from tests.integration.grants.applicant_setup import PROFILE, a_call, in_seconds, set_closing_time, small_pdf
from tests.pages import csrf_token, post_form, text

FORM = {
    "project_title": "Tournée des Volcans",
    "summary": "Douze dates dans la métropole.",
    "description": "Des concerts et des ateliers.",
    "timeline": "Mars à septembre 2027",
    "jobs_expected": "3",
    "requested_euros": "8 000,50",
    "total_budget_euros": "20000",
    "source_kind": ["own_funds", "bank_loan", ""],
    "source_amount": ["7000", "4999,50", ""],
    "source_description": ["Fonds propres", "Prêt", ""],
}
PROFILE_FORM = {**{k: v for k, v in PROFILE.items() if v is not None}, "head_count": "4"}


def signed_in(app, email="ana@example.org", name="Ana", roles=("applicant",), language="fr", profile=True):
    someone = person(app, email, roles, name, language)
    if profile and "applicant" in roles:
        with app.extensions["db"].unit_of_work() as session:
            session.add(Organisation(account_id=someone.id, **{**PROFILE, "siret": "73282932000074", "created_on": None}))
    client = app.test_client()
    sign_in(client, someone)
    return client


def start_draft(client, call_id) -> str:
    response = post_form(client, f"/applications/new?call={call_id}", {})
    assert response.status_code == 302, text(response)
    return response.headers["Location"]


def upload(client, page, code, content, filename="document.pdf", **kwargs):
    return post_form(client, f"{page}/documents/{code}", {"file": (io.BytesIO(content), filename)}, form_path=page,
                     content_type="multipart/form-data", **kwargs)


def application_row(app, application_id):
    with app.extensions["db"].unit_of_work() as session:
        application = session.get(Application, application_id)
        return application, list(application.funding_sources), list(application.documents)


def test_profile_form_shows_a_message_per_field_in_french_then_english(grants_app):
    client = signed_in(grants_app, profile=False)
    page = client.get("/profile")
    assert page.status_code == 200 and "Mon organisation" in text(page)
    bad = {**PROFILE_FORM, "siret": "732 829 320 00075", "postal_code": "630", "head_count": "beaucoup"}
    french = post_form(client, "/profile", bad)
    assert french.status_code == 422
    body = text(french)
    assert "Ce numéro SIRET n'est pas valide : vérifiez la saisie." in body
    assert "Un code postal français a 5 chiffres." in body
    assert "Nombre entier attendu." in body
    english = post_form(client, "/profile?lang=en", bad)
    assert "This SIRET number is not valid: check for a typing mistake." in text(english)
    assert "Not a valid integer." in text(english)
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(Organisation)) is None

    saved = post_form(client, "/profile?next=/applications", PROFILE_FORM)
    assert saved.status_code == 302 and saved.headers["Location"] == "/applications"
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(Organisation.siret)) == "73282932000074"
    assert 'value="73282932000074"' in text(client.get("/profile"))


def test_the_application_form_saves_a_draft_in_euros(grants_app):
    call = a_call(grants_app)
    client = signed_in(grants_app)
    start = client.get(f"/applications/new?call={call['id']}")
    assert start.status_code == 200 and "Commencer ma candidature" in text(start)
    page = start_draft(client, call["id"])
    application_id = int(page.rsplit("/", 1)[1])
    # Following the Apply link again leads to the same draft.
    again = client.get(f"/applications/new?call={call['id']}")
    assert again.status_code == 302 and again.headers["Location"] == page

    saved = post_form(client, page, {**FORM, "action": "save"})
    assert saved.status_code == 302
    assert "Brouillon enregistré." in text(client.get(page))
    application, sources, _ = application_row(grants_app, application_id)
    assert (application.requested_cents, application.total_budget_cents, application.jobs_expected) == (800_050, 2_000_000, 3)
    assert [(s.kind, s.amount_cents) for s in sources] == [("own_funds", 700_000), ("bank_loan", 499_950)]
    shown = text(client.get(page))
    # Shown back as French writes amounts, as the manager's call form does.
    assert 'value="8000,50"' in shown and 'value="4999,50"' in shown

    # Emptying an input clears it; a bad amount is refused and nothing changes.
    cleared = post_form(client, page, {**FORM, "summary": "", "source_kind": ["own_funds"], "source_amount": ["7000"],
                                       "source_description": [""], "action": "save"})
    assert cleared.status_code == 302
    application, sources, _ = application_row(grants_app, application_id)
    assert application.summary == "" and len(sources) == 1
    refused = post_form(client, page, {**FORM, "requested_euros": "huit mille", "action": "save"})
    assert refused.status_code == 422
    assert "Saisissez un montant en euros, par exemple 1250 ou 1250,50." in text(refused)
    assert application_row(grants_app, application_id)[0].summary == ""


def test_uploads_submission_with_rules_named_and_withdrawal(grants_app):
    call = a_call(grants_app)
    client = signed_in(grants_app)
    page = start_draft(client, call["id"])
    application_id = int(page.rsplit("/", 1)[1])

    not_pdf = upload(client, page, "budget", b"plain text\n" * 50, filename="budget.pdf")
    assert not_pdf.status_code == 415 and "Seuls les documents PDF sont acceptés." in text(not_pdf)
    assert upload(client, page, "budget", small_pdf("budget")).status_code == 302
    assert "Document reçu." in text(client.get(page))

    # Submitting with a hole in the budget, too little other funding and a missing document:
    # every failing rule is shown.
    refused = post_form(client, page, {**FORM, "total_budget_euros": "60000", "action": "submit"})
    assert refused.status_code == 422
    body = text(refused)
    assert "Règles d'éligibilité non respectées" in body
    rules = re.findall(r'data-rule="([a-z_]+)"', body)
    assert sorted(rules) == ["budget_balanced", "documents", "min_other_funding_share"]
    assert "Un document obligatoire manque : Présentation du projet." in body
    assert "Les autres financements doivent couvrir au moins 20 % du budget total du projet." in body
    # The refused submission saved nothing, not even the answers sent with it.
    assert application_row(grants_app, application_id)[0].total_budget_cents is None

    english = post_form(client, f"{page}?lang=en", {**FORM, "total_budget_euros": "60000", "action": "submit"})
    assert "A required document is missing: Project presentation." in text(english)
    client.get("/applications?lang=fr")

    assert upload(client, page, "presentation", small_pdf("presentation")).status_code == 302
    submitted = post_form(client, page, {**FORM, "action": "submit"})
    assert submitted.status_code == 302
    application, _, documents = application_row(grants_app, application_id)
    assert application.status == "submitted" and application.receipt_number
    assert application.snapshot["requested_cents"] == 800_050
    assert sorted(d.kind for d in documents) == ["budget", "presentation"]
    shown = text(client.get(page))
    assert application.receipt_number in shown and "Déposée" in shown
    assert "Enregistrer le brouillon" not in shown  # frozen: no form any more
    listing = text(client.get("/applications"))
    assert "Tournée des Volcans" in listing and "Déposée" in listing and application.receipt_number in listing

    download = client.get(f"{page}/documents/budget")
    assert download.status_code == 200 and download.data == small_pdf("budget")

    withdrawn = post_form(client, f"{page}/withdraw", {}, form_path=page)
    assert withdrawn.status_code == 302
    assert "Retirée" in text(client.get("/applications"))
    assert application_row(grants_app, application_id)[0].status == "withdrawn"


def test_profile_first_then_back_to_the_call(grants_app):
    call = a_call(grants_app)
    client = signed_in(grants_app, profile=False)
    response = client.get(f"/applications/new?call={call['id']}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/profile?next=")
    back = post_form(client, response.headers["Location"], PROFILE_FORM)
    assert back.status_code == 302 and back.headers["Location"] == f"/applications/new?call={call['id']}"


def test_forms_without_a_csrf_token_are_refused_and_change_nothing(grants_app):
    call = a_call(grants_app)
    client = signed_in(grants_app)
    page = start_draft(client, call["id"])
    assert client.post(page, data={**FORM, "action": "save"}).status_code == 400
    upload_refused = client.post(f"{page}/documents/budget", data={"file": (io.BytesIO(small_pdf()), "b.pdf")},
                                 content_type="multipart/form-data")
    assert upload_refused.status_code == 400
    assert client.post(f"{page}/withdraw").status_code == 400
    assert client.post(f"/applications/new?call={call['id']}").status_code == 400
    assert client.post("/profile", data=PROFILE_FORM).status_code == 400
    application, sources, documents = application_row(grants_app, int(page.rsplit("/", 1)[1]))
    assert (application.project_title, application.status, sources, documents) == ("", "draft", [], [])


def test_after_the_closing_time_the_page_says_when_it_closed(grants_app):
    call = a_call(grants_app)
    client = signed_in(grants_app)
    page = start_draft(client, call["id"])
    token = csrf_token(client, page)
    set_closing_time(grants_app, call["id"], in_seconds(-1))
    refused = client.post(page, data={**FORM, "action": "save", "csrf_token": token})
    assert refused.status_code == 409
    assert "L'appel a fermé le" in text(refused) and "(heure de Paris)" in text(refused)
    late_upload = client.post(f"{page}/documents/budget", data={"file": (io.BytesIO(small_pdf()), "b.pdf"),
                                                               "csrf_token": token}, content_type="multipart/form-data")
    assert late_upload.status_code == 409
    shown = text(client.get(page))
    assert "ce brouillon ne peut plus être modifié ni déposé" in shown and "Enregistrer le brouillon" not in shown
    assert application_row(grants_app, int(page.rsplit("/", 1)[1]))[0].project_title == ""


def test_who_may_see_what(grants_app):
    call = a_call(grants_app)
    owner = signed_in(grants_app)
    page = start_draft(owner, call["id"])
    assert upload(owner, page, "budget", small_pdf()).status_code == 302

    intruder = signed_in(grants_app, "eve@example.org", "Eve")
    assert intruder.get(page).status_code == 404
    assert intruder.get(f"{page}/documents/budget").status_code == 404
    token = csrf_token(intruder, "/profile")
    assert intruder.post(f"{page}/withdraw", data={"csrf_token": token}).status_code == 404
    assert intruder.post(page, data={**FORM, "action": "save", "csrf_token": token}).status_code == 404

    # An applicant on the fund manager's pages: 403; a fund manager reads the documents.
    forbidden = owner.get("/manage/calls")
    assert forbidden.status_code == 403 and "Votre rôle ne permet pas cette action." in text(forbidden)
    manager = signed_in(grants_app, "manon@example.org", "Manon", roles=("fund_manager",))
    assert manager.get(f"{page}/documents/budget").data == small_pdf()
    assert manager.get(page).status_code == 403

    visitor = grants_app.test_client()
    response = visitor.get("/applications")
    assert response.status_code == 302 and "/signin?next=" in response.headers["Location"]
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(Application.status)) == "draft"
        assert len(session.scalars(select(Document)).all()) == 1
        assert not session.scalars(select(OutboxMessage).where(OutboxMessage.name == "application.withdrawn")).all()
