"""A backer's journey in Chromium, on the running platform (the proxy, gunicorn, relays, workers,
devsmtp and localstripe from the Procfile): from the platform's home page to a live campaign, its
pledge form; signing up in the same flow (the confirmation email read in the mailbox, the link
followed, signing in with the keyboard) and coming back to the form; a reward chosen, the test
card 4242 4242 4242 4242 entered in the Stripe.js field (localstripe's own stand-in for it) and
saved with a SetupIntent the server checks; the pledge confirmed, nothing charged; the receipt in
the mailbox; localstripe's signed webhook received by the crowdfunding service; the campaign's
progress and "my pledges". axe checks every page on the way, the card field's page included."""
from sqlalchemy import func, select

from services.crowdfunding.models import Pledge, StripeEvent
from shared.core.outbox import OutboxMessage
from tests.conftest import wait_until
from tests.e2e.browser.steps import open_mail, sign_in_with_keyboard
from tests.integration.crowdfunding.campaign_setup import live

PASSWORD = "a long password for Bea"


def test_a_backer_signs_up_from_a_campaign_and_pledges_with_a_test_card(platform, crowdfunding_app, page, audit):
    campaign = live(crowdfunding_app)
    notifications, crowdfunding = platform.public_urls["notifications"], platform.public_urls["crowdfunding"]

    page.goto(f"{platform.address}/")
    audit.check()
    page.get_by_role("link", name="Voir les campagnes", exact=True).click()
    audit.check()
    page.get_by_role("link", name="Un disque pour la Criée").click()
    audit.check()
    assert "0 contributeur" in page.locator("#progress-text-campaign").inner_text()
    page.get_by_role("link", name="Soutenir cette campagne").click()
    audit.check()

    # A visitor: she signs up from the pledge form, as a backer.
    page.get_by_role("main").get_by_role("link", name="Créer un compte").click()
    audit.check()
    assert page.get_by_label("Je suis").input_value() == "backer"
    page.get_by_label("Votre nom").fill("Béa Durand")
    page.get_by_label("Adresse e-mail").fill("bea@example.org")
    page.get_by_label("Mot de passe (au moins 10 caractères)").fill(PASSWORD)
    page.get_by_role("button", name="Créer un compte").click()
    audit.check()
    open_mail(page, audit, notifications, "bea@example.org", "Confirmez votre adresse e-mail")
    confirm_url = page.frame_locator("iframe").get_by_role("link", name="Confirmer mon adresse").get_attribute("href")
    page.goto(confirm_url)
    audit.check()
    sign_in_with_keyboard(page, audit, "bea@example.org", PASSWORD)
    # Back on the pledge form, signed in.
    assert page.url == f"{crowdfunding}/campaigns/{campaign['id']}/pledge"

    page.get_by_label("Le disque — à partir de 20,00 €", exact=False).check()
    page.get_by_label("Montant en euros").fill("25")
    page.get_by_label("Par carte", exact=False).check()
    page.get_by_label("Afficher mon nom parmi les contributeurs de la campagne").check()
    page.get_by_role("button", name="Contribuer").click()
    # The card page: Stripe.js's card field (localstripe's), the one place that needs JavaScript.
    card = page.get_by_label("Numéro de carte")
    card.wait_for()
    audit.check()
    card.fill("4242424242424242")
    page.get_by_label("Mois d'expiration (MM)").fill("12")
    page.get_by_label("Année d'expiration (AA)").fill("34")
    page.get_by_label("Cryptogramme (CVC)").fill("123")
    page.get_by_label("Code postal").fill("63000")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer ma carte et confirmer ma contribution").click()
    audit.check()
    assert "Merci ! Votre contribution est confirmée" in page.locator(".flash").inner_text()
    assert page.locator("#status").inner_text() == "Confirmé"
    assert "Carte se terminant par 4242" in page.get_by_role("main").inner_text()

    # The receipt, in her language; nothing charged before the close.
    open_mail(page, audit, notifications, "bea@example.org", "Merci ! Votre contribution de 25,00")
    receipt = " ".join(page.locator("pre").inner_text().split())
    assert "Rien n'est débité aujourd'hui" in receipt and "Contrepartie : Le disque" in receipt

    # localstripe told the service too, with a signed webhook: the same pledge, confirmed once.
    def webhook_received():
        with crowdfunding_app.extensions["db"].unit_of_work() as session:
            return session.scalars(select(StripeEvent).where(StripeEvent.type == "setup_intent.succeeded")).all()

    [event] = wait_until(webhook_received, timeout=30, message="localstripe's setup_intent.succeeded webhook")
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        [pledge] = session.scalars(select(Pledge)).all()
        assert (pledge.status, pledge.amount_cents, pledge.card_last4) == ("confirmed", 2_500, "4242")
        # Whichever came first, the page's word or the webhook, the other found it done.
        assert event.outcome in (f"pledge {pledge.id}: confirmed", f"pledge {pledge.id}: already_confirmed")
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.name == "pledge.confirmed")) == 1

    page.goto(f"{crowdfunding}/campaigns/{campaign['id']}")
    audit.check()
    progress = " ".join(page.locator("#progress-text-campaign").inner_text().split())
    assert "25,00 € collectés" in progress and "1 contributeur" in progress
    assert page.locator("#public-backers").inner_text() == "Béa Durand"
    page.get_by_role("banner").get_by_role("link", name="Mes contributions").click()
    audit.check()
    assert "Un disque pour la Criée" in page.get_by_role("table").inner_text()
    assert audit.pages_left_unchecked() == []
