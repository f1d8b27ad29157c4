"""The award's journey in Chromium, on the running platform (the proxy, gunicorn, relays, the
notifications worker, devsmtp): the fund manager signs in, opens the call's decision page, grants
an award in euros written the French way, and decides; the applicant reads the award letter in
the mailbox, follows its link, signs in, reads the terms and accepts with the signatory and the
bank details (a mistyped IBAN is named beside its input first), and sees the IBAN masked. No
JavaScript of ours is needed; axe checks every page on the way."""
from datetime import datetime, timezone

from sqlalchemy import select

from services.grants.models import Account, Award
from shared.accounts import projection
from tests.e2e.browser.steps import open_mail
from tests.integration.grants.award_setup import reviewed_call
from tests.people import PASSWORD, person


def platform_person(accounts_app, grants_app, email, roles, name, language="fr"):
    """Someone with an account at the accounts service (to sign in), whom grants knows by the same id."""
    someone = person(accounts_app, email, roles, name, language)
    with grants_app.extensions["db"].unit_of_work() as session:
        projection.record(session, Account, {
            "account_id": someone.id, "email": someone.email, "name": someone.name, "language": someone.language,
            "roles": list(someone.roles), "session_version": someone.session_version}, datetime.now(timezone.utc))
    return someone


def sign_in(page, audit, email):
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    audit.check()


def test_the_fund_manager_decides_and_the_applicant_accepts_with_bank_details(platform, accounts_app, grants_app,
                                                                              page, audit):
    platform_person(accounts_app, grants_app, "manager@example.org", ["fund_manager"], "Manon")
    platform_person(accounts_app, grants_app, "applicant0@example.org", ["applicant"], "Ana Lefèvre")
    platform_person(accounts_app, grants_app, "applicant1@example.org", ["applicant"], "Ben Morel", "en")
    call = reviewed_call(grants_app, ["Tournée des Volcans", "Ciné-plein-air"])
    grants, notifications = platform.public_urls["grants"], platform.public_urls["notifications"]

    # The fund manager: from the calls to the call's decision page.
    page.goto(f"{grants}/manage/calls")
    audit.check()
    sign_in(page, audit, "manager@example.org")
    page.get_by_role("row").filter(has_text="Aide à la création 2026").get_by_role(
        "link", name="Aides et décision").click()
    audit.check()
    assert "Toutes les évaluations sont déposées." in page.get_by_role("main").inner_text()
    page.get_by_role("link", name="Attribuer une aide : Tournée des Volcans").click()
    audit.check()
    page.get_by_label("Montant en euros").fill("7 500,50")
    page.get_by_label("Conditions, en français (facultatif)").fill("Citer le fonds sur les affiches.")
    page.get_by_role("button", name="Attribuer l'aide").click()
    audit.check()
    assert "Aide attribuée : 7\u202f500,50\xa0€." in page.locator(".flash").inner_text()
    assert "7\u202f500,50\xa0€ engagés" in page.locator("#envelope").inner_text()
    page.get_by_label("Envoyer aux candidats non retenus les commentaires du jury", exact=False).check()
    page.get_by_role("button", name="Décider l'appel").click()
    audit.check()
    assert "Cet appel est décidé" in page.locator("#decided").inner_text()
    page.get_by_role("banner").get_by_role("link", name="Se déconnecter").click()
    audit.check()
    page.get_by_role("main").get_by_role("button", name="Se déconnecter").click()
    audit.check()

    # The applicant: the letter in the mailbox, its link, the sign-in, the agreement.
    open_mail(page, audit, notifications, "applicant0@example.org",
              "Bonne nouvelle : une aide de 7 500,50 € pour « Tournée des Volcans »")
    award_url = page.frame_locator("iframe").get_by_role("link", name="Lire la convention et accepter l'aide").get_attribute("href")
    assert award_url.startswith(f"{grants}/awards/")
    page.goto(award_url)
    audit.check()
    sign_in(page, audit, "applicant0@example.org")
    assert page.url == award_url
    main = page.get_by_role("main")
    assert "Termes de la convention d'aide" in page.locator("#terms").inner_text()
    assert "Citer le fonds sur les affiches." in main.inner_text()
    page.get_by_label("J'ai lu les termes de la convention", exact=False).check()
    page.get_by_label("Nom du ou de la signataire").fill("Ana Lefèvre")
    page.get_by_label("Fonction du ou de la signataire dans la structure").fill("Gérante")
    page.get_by_label("IBAN du compte sur lequel l'aide est versée").fill("FR76 3000 6000 0112 3456 7890 188")
    page.get_by_label("BIC (code SWIFT) de la banque").fill("BNPAFRPP")
    page.get_by_role("button", name="Accepter l'aide").click()
    audit.check()
    assert page.locator("#error-iban").inner_text() == (
        "Cet IBAN n'est pas valide : vérifiez qu'il ne manque pas de caractère et qu'aucun n'est mal saisi.")
    # What was typed stays, the ticked box too.
    assert page.get_by_label("Nom du ou de la signataire").input_value() == "Ana Lefèvre"
    page.get_by_label("IBAN du compte sur lequel l'aide est versée").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("J'ai lu les termes de la convention", exact=False).check()
    page.get_by_role("button", name="Accepter l'aide").click()
    audit.check()
    assert "Vous avez accepté l'aide" in page.locator(".flash").first.inner_text()
    assert page.locator("#iban-masked").inner_text() == "FR76 •••• 0189"
    assert "30006000011234567890189" not in page.content()
    with grants_app.extensions["db"].unit_of_work() as session:
        award = session.scalars(select(Award)).one()
        assert (award.status, award.amount_cents, award.iban, award.signatory_role) == (
            "accepted", 750_050, "FR7630006000011234567890189", "Gérante")
        assert [tranche.status for tranche in award.tranches] == ["due", "planned"]
    assert call.applications and audit.pages_left_unchecked() == []
