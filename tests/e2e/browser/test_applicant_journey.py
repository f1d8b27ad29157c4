"""The applicant's journey in Chromium, on the running platform (gunicorn, relay, notifications
worker, devsmtp): sign up, confirm the address from the email read in the mailbox page, sign in
with the keyboard alone, the organisation, a draft from an open call, two PDFs, submission, the
receipt number, and the acknowledgement in the mailbox; then, with the same one account, she
becomes a campaign owner, reads her messages and signs out, after which the cookie she had is
refused by every service. axe checks every page on the way."""
import re

from tests.conftest import wait_until
from tests.e2e.browser.steps import open_mail, sign_in_with_keyboard
from tests.integration.grants.applicant_setup import a_call
from tests.pdf import small_pdf

PASSWORD = "a long password for Ana"


def test_an_applicant_signs_up_applies_and_gets_the_acknowledgement(platform, grants_app, page, audit):
    call = a_call(grants_app)
    grants, notifications = platform.public_urls["grants"], platform.public_urls["notifications"]
    accounts = platform.public_urls["accounts"]

    page.goto(f"{grants}/")
    audit.check()
    page.get_by_role("link", name="Créer un compte").first.click()
    audit.check()
    page.get_by_label("Votre nom").fill("Ana Lefèvre")
    page.get_by_label("Adresse e-mail").fill("ana@example.org")
    page.get_by_label("Mot de passe (au moins 10 caractères)").fill(PASSWORD)
    page.get_by_label("Langue de nos e-mails").select_option("fr")
    page.get_by_role("button", name="Créer un compte").click()
    audit.check()  # the sign-in page, with the word that an email is on its way

    # The confirmation email, read in the mailbox page; its button's link followed.
    open_mail(page, audit, notifications, "ana@example.org", "Confirmez votre adresse e-mail")
    link = page.frame_locator("iframe").get_by_role("link", name="Confirmer mon adresse")
    confirm_url = link.get_attribute("href")
    assert confirm_url.startswith(f"{accounts}/accounts/confirm/")  # one account, at the accounts service
    page.goto(confirm_url)
    audit.check()
    assert "Votre adresse e-mail est confirmée" in page.locator(".flash").inner_text()

    sign_in_with_keyboard(page, audit, "ana@example.org", PASSWORD)

    # From the header: the open calls, one call, its Apply link, the organisation's profile first,
    # then back to the call.
    page.get_by_role("link", name="Appels à projets", exact=True).click()
    audit.check()
    page.get_by_role("link", name=call["title_fr"]).click()
    audit.check()
    page.get_by_role("link", name="Candidater").click()
    audit.check()  # the profile form: the draft needs an organisation
    page.get_by_label("Raison sociale").fill("Label Dôme SARL")
    page.get_by_label("Type de structure").select_option("company")
    page.get_by_label("SIREN ou SIRET", exact=False).fill("732 829 320 00074")
    page.get_by_label("Adresse", exact=True).fill("12 rue des Gras")
    page.get_by_label("Code postal").fill("63000")
    page.get_by_label("Ville").fill("Clermont-Ferrand")
    page.get_by_label("Secteur").select_option("music")
    page.get_by_label("Effectif").fill("4")
    page.get_by_label("Date de création", exact=False).fill("2019-03-01")
    page.get_by_role("button", name="Enregistrer").click()
    audit.check()
    page.get_by_role("button", name="Commencer ma candidature").click()
    audit.check()

    page.get_by_label("Titre du projet").fill("Tournée des Volcans")
    page.get_by_label("Résumé").fill("Douze dates dans la métropole.")
    page.get_by_label("Description", exact=True).fill("Concerts et ateliers dans les écoles.")
    page.get_by_label("Calendrier").fill("Mars à septembre 2027")
    page.get_by_label("Emplois", exact=False).fill("2")
    page.get_by_label("Montant demandé", exact=False).fill("8 000,50")
    page.get_by_label("Budget total", exact=False).fill("20000")
    page.get_by_label("Source 1 (Autres financements)").select_option("own_funds")
    page.get_by_label("Montant en euros 1 (Autres financements)").fill("11999,50")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    audit.check()
    # Amounts come back as French writes them.
    assert page.get_by_label("Montant demandé", exact=False).input_value() == "8000,50"
    assert page.get_by_label("Montant en euros 1 (Autres financements)").input_value() == "11999,50"

    for code, name in (("budget", "Budget prévisionnel"), ("presentation", "Présentation du projet")):
        form = page.locator(f"#document-{code}")
        form.get_by_label(name).set_input_files(
            {"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": small_pdf(code)})
        form.get_by_role("button", name="Envoyer").click()
        audit.check()
        assert page.locator(f"#document-{code}").get_by_role("link", name=f"{code}.pdf").is_visible()

    page.get_by_role("button", name="Déposer ma candidature").click()
    audit.check()
    receipt = page.locator("#receipt strong").inner_text()
    assert re.fullmatch(r"[A-Z0-9-]+", receipt), receipt
    assert receipt in page.locator(".flash").first.inner_text()

    # The acknowledgement, sent by the notifications worker once the relay moved the event.
    open_mail(page, audit, notifications, "ana@example.org", f"Candidature reçue : {call['title_fr']} (n° {receipt})")
    assert "Tournée des Volcans" in page.locator("pre").inner_text()

    # One account for the whole platform: from the header, she becomes a campaign owner with it
    # (one click), reads her messages on the notifications service, then signs out once.
    page.goto(f"{grants}/applications")
    audit.check()
    page.get_by_role("banner").get_by_role("link", name="Ana Lefèvre").click()
    audit.check()
    assert page.url.startswith(f"{accounts}/account")
    page.get_by_role("button", name=re.compile("^Devenir : porteur·se de projet")).click()
    audit.check()
    assert "porteur·se de projet" in page.get_by_role("main").get_by_role("list").first.inner_text()
    page.get_by_role("banner").get_by_role("link", name="Mes messages").click()
    audit.check()
    assert page.url == f"{notifications}/mes-messages"
    assert "Candidature reçue" in page.get_by_role("table").inner_text()
    session_cookie = next(cookie for cookie in page.context.cookies() if cookie["name"] == "tremplin_session")
    page.get_by_role("banner").get_by_role("link", name="Se déconnecter").click()
    audit.check()
    page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    audit.check()
    assert page.get_by_role("banner").get_by_role("link", name="Se connecter").is_visible()

    # The cookie she had, copied into another browser, is refused everywhere: at once by the
    # accounts service, by the others as soon as the sign-out's event has reached them.
    copy = page.context.browser.new_context(locale="fr-FR")
    try:
        copy.add_cookies([session_cookie])
        stolen = copy.new_page()
        for address in (f"{accounts}/account", f"{grants}/applications", f"{notifications}/mes-messages"):
            wait_until(lambda: "/signin" in stolen.goto(address).url, timeout=30, interval=0.5,
                       message=f"the old cookie refused at {address}")
    finally:
        copy.close()
    assert audit.pages_left_unchecked() == []
