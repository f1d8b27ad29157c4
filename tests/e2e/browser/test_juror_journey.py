"""The juror's journey in Chromium, on the running platform (gunicorn, relays, the grants and
notifications workers, devsmtp): the fund manager invites her (through the accounts service's
API); she reads the invitation in the mailbox, chooses her password, and grants learns her
organisation from the event. Added to a call's panel, she finds the jury in the header, her
call and its two applications, declares a conflict on one (recused: its page says so, and its
documents answer 404) and no conflict on the other, reads it as submitted with its document,
saves a draft of her scores, is refused an incomplete submission, then submits: scored 1 of 1.
No JavaScript is needed anywhere; axe checks every page on the way."""
import json
import urllib.request

from tests.conftest import wait_until
from tests.e2e.browser.steps import open_mail
from tests.integration.grants.applicant_setup import manager
from tests.integration.grants.jury_setup import call_in_review
from tests.people import PASSWORD, person

JUROR_PASSWORD = "une phrase de jurée du Puy"


def _api(url: str, body: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(url, method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _juror_known(grants_app, email: str):
    from sqlalchemy import select

    from services.grants.models import JurorProfile

    with grants_app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(JurorProfile).where(JurorProfile.email == email))


def test_a_juror_is_invited_declares_and_scores_in_the_browser(platform, accounts_app, grants_app, page, audit,
                                                               monkeypatch):
    grants, accounts = platform.public_urls["grants"], platform.public_urls["accounts"]
    notifications = platform.public_urls["notifications"]
    # The applications are submitted here, their PDFs kept where the platform's grants reads them.
    monkeypatch.setenv("GRANTS_DOCUMENTS_DIR", platform.environment()["GRANTS_DOCUMENTS_DIR"])
    call_id, (first, second) = call_in_review(grants_app, ["Tournée des Volcans", "Ciné-plein-air"])

    # The fund manager invites her through the accounts service (the platform's, so that the
    # link in the email is the platform's).
    person(accounts_app, "manon@example.org", ["fund_manager"], "Manon")
    token = _api(f"{accounts}/api/auth/token", {"email": "manon@example.org", "password": PASSWORD})["access_token"]
    _api(f"{accounts}/api/invitations", {"email": "lea@sono-mondes.fr", "name": "Léa Martin",
                                         "organisation": "Sono Mondes", "roles": ["juror"]},
         {"Authorization": f"Bearer {token}"})

    open_mail(page, audit, notifications, "lea@sono-mondes.fr", "Votre invitation à Tremplin")
    page.goto(page.frame_locator("iframe").get_by_role("link", name="Accepter l'invitation").get_attribute("href"))
    audit.check()
    page.get_by_label("Choisissez un mot de passe", exact=False).fill(JUROR_PASSWORD)
    page.get_by_role("button", name="Accepter l'invitation").click()
    audit.check()  # her account, signed in

    profile = wait_until(lambda: _juror_known(grants_app, "lea@sono-mondes.fr"), timeout=30,
                         message="the juror's profile in grants, from invitation.accepted")
    assert profile.organisation == "Sono Mondes"
    api, headers = grants_app.test_client(), manager(grants_app)
    assert api.post(f"/api/manage/calls/{call_id}/jury/members", json={"juror_id": profile.account_id},
                    headers=headers).status_code == 201
    api.patch(f"/api/manage/calls/{call_id}/jury", json={"reviews_per_application": 1,
                                                         "review_deadline": "2099-12-18T18:00"}, headers=headers)
    assert api.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers).get_json()["added"] == 2

    page.goto(f"{grants}/")
    audit.check()
    page.get_by_role("banner").get_by_role("link", name="Jury", exact=True).click()
    audit.check()
    page.get_by_role("link", name="Aide à la création 2026").click()
    audit.check()
    assert "0 évaluée(s) sur 2" in page.get_by_role("main").inner_text()

    # The first application: a conflict, declared with its reason; recused.
    page.get_by_role("link", name="Tournée des Volcans").click()
    audit.check()
    main = page.get_by_role("main").inner_text()
    assert "Label Dôme SARL" in main and "Une tournée de douze dates" not in main  # the cover only
    page.get_by_label("J'ai un conflit d'intérêts : je me récuse").check()
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    audit.check()  # refused: the reason is required
    assert "Dites quel est le conflit d'intérêts." in page.get_by_role("main").inner_text()
    page.get_by_label("J'ai un conflit d'intérêts : je me récuse").check()
    page.get_by_label("Motif (obligatoire en cas de conflit)").fill("J'ai conseillé ce label l'an dernier.")
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    audit.check()
    assert "récusé·e" in page.locator(".flash").inner_text()
    row = page.get_by_role("row").filter(has_text="Tournée des Volcans")
    assert "Récusé·e" in row.inner_text() and row.get_by_role("link").count() == 0
    refused = page.request.get(f"{grants}/jury/applications/{first}/documents/budget")
    assert refused.status == 404

    # The second: no conflict; the application as submitted, its document, the scoring form.
    page.get_by_role("link", name="Ciné-plein-air").click()
    audit.check()
    page.get_by_label("Je n'ai aucun conflit d'intérêts avec cette candidature").check()
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    audit.check()
    assert "Une tournée de douze dates" in page.get_by_role("main").inner_text()
    document = page.get_by_role("link", name="budget.pdf")
    downloaded = page.request.get(f"{grants}{document.get_attribute('href').removeprefix('/subventions')}")
    assert downloaded.status == 200 and downloaded.body().startswith(b"%PDF")
    page.get_by_role("link", name="Évaluer cette candidature").click()
    audit.check()
    page.get_by_label("3 — Solide").check()
    page.get_by_label("Commentaire sur Qualité artistique").fill("Une programmation solide.")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    audit.check()
    assert page.get_by_label("3 — Solide").is_checked()
    page.get_by_role("button", name="Déposer mon évaluation").click()
    audit.check()  # refused: a level, a comment, the recommendation and the overall comment missing
    main = page.get_by_role("main").inner_text()
    assert "Choisissez un niveau." in main and "Donnez votre recommandation." in main
    page.get_by_label("2 — Plausible").check()
    page.get_by_label("Commentaire sur Viabilité économique").fill("Un budget tenu.")
    page.get_by_label("Financer", exact=True).check()
    page.get_by_label("Commentaire général").fill("Un beau projet pour les quartiers.")
    page.get_by_role("button", name="Déposer mon évaluation").click()
    audit.check()
    assert "Votre évaluation est déposée" in page.locator(".flash").inner_text()
    assert "1 évaluée(s) sur 1" in page.get_by_role("main").inner_text()
    assert audit.pages_left_unchecked() == []
