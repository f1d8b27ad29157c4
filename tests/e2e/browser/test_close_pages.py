"""The close's pages in Chromium on the running platform, axe on each: a campaign closed a
success by the platform's worker, its cards charged; the fund manager reads the progress and the
statement (Stripe's fees "not reported": localstripe reports none), refunds part of a pledge with
a reason, records the payout; the owner reads the same page without the fund manager's forms and
downloads the CSV; a backer whose card was declined opens the recovery page's card field."""
import re

from sqlalchemy import select

from services.crowdfunding.models import Pledge
from tests.conftest import wait_until
from tests.e2e.browser.test_award_journey import sign_in
from tests.e2e.browser.test_recovery_journey import card_pledge, platform_backer
from tests.integration.crowdfunding.campaign_setup import live
from tests.integration.crowdfunding.closing_setup import DECLINED_AT_CHARGE, end_now
from tests.stripe_js import VISA


def _statuses(app, campaign_id):
    with app.extensions["db"].unit_of_work() as session:
        return sorted(status or "" for status in session.scalars(
            select(Pledge.payment_status).where(Pledge.campaign_id == campaign_id)))


def test_the_fund_manager_and_the_owner_read_the_close(platform, accounts_app, crowdfunding_app, page, audit, browser):
    localstripe = f"http://127.0.0.1:{platform.localstripe_port}"
    crowdfunding = platform.public_urls["crowdfunding"]
    bea = platform_backer(accounts_app, crowdfunding_app, "bea@example.org", "Béa Durand")
    dan = platform_backer(accounts_app, crowdfunding_app, "dan@example.org", "Dan Roux")
    # The owner and the manager have platform accounts, which the crowdfunding knows by the same ids.
    owner = platform_backer(accounts_app, crowdfunding_app, "olga@example.org", "Olga Martin", ("campaign_owner",))
    manager = platform_backer(accounts_app, crowdfunding_app, "manon@example.org", "Manon Dupré", ("fund_manager",))
    campaign = live(crowdfunding_app, goal_cents=1_000)
    card_pledge(crowdfunding_app, localstripe, campaign["id"], bea, VISA, 3_000)
    declined_id, _ref = card_pledge(crowdfunding_app, localstripe, campaign["id"], dan, DECLINED_AT_CHARGE, 2_000)
    end_now(crowdfunding_app, campaign["id"])
    wait_until(lambda: _statuses(crowdfunding_app, campaign["id"]) == ["action_needed", "paid"], timeout=90,
               message="the close charged")

    page.goto(f"{crowdfunding}/manage/campaigns/{campaign['id']}/close")
    audit.check()
    sign_in(page, audit, manager.email)
    assert page.get_by_role("heading", level=1).inner_text().startswith("La clôture de")
    assert "2 contributions réglées sur 2" in page.locator("#charges-text").inner_text()
    assert "En attente du contributeur" in page.locator("#charges").inner_text()
    assert page.locator("#stripe-fees").inner_text() == "Non communiqués par Stripe"
    page.get_by_label("Montant en euros (vide : tout le reste)").fill("10")
    page.get_by_label("Motif", exact=True).first.fill("Disque rayé")
    page.get_by_role("button", name=re.compile(r"^Rembourser CF-")).click()
    audit.check()
    assert "Le remboursement est enregistré et envoyé à Stripe." in page.locator(".flash").inner_text()
    page.get_by_label("Montant versé au porteur, en euros").fill("20")
    page.get_by_label("Référence du virement").fill("VIR-2026-12-01")
    page.get_by_role("button", name="Enregistrer le versement").click()
    audit.check()
    assert "VIR-2026-12-01" in page.locator("#payout").inner_text()

    # The owner, in a browser of her own: the same figures, no fund manager's form.
    other = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    from tests.browser import AccessibilityAudit, prepare

    prepare(other)
    owner_page = other.new_page()
    owner_audit = AccessibilityAudit(owner_page)
    owner_page.goto(f"{crowdfunding}/owner/campaigns/{campaign['id']}/close")
    owner_audit.check()
    sign_in(owner_page, owner_audit, owner.email)
    assert "VIR-2026-12-01" in owner_page.locator("#payout").inner_text()
    assert owner_page.get_by_role("button", name="Enregistrer le versement").count() == 0
    with owner_page.expect_download() as download:
        owner_page.get_by_role("link", name="Télécharger le relevé (CSV)").click()
    assert "Non communiqués par Stripe" in open(download.value.path(), encoding="utf-8-sig").read()
    assert owner_audit.pages_left_unchecked() == []
    other.close()

    # The declined backer's recovery page, with its card field.
    third = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    prepare(third)
    dan_page = third.new_page()
    dan_audit = AccessibilityAudit(dan_page)
    dan_page.goto(f"{crowdfunding}/pledges/{declined_id}/pay")
    dan_audit.check()
    sign_in(dan_page, dan_audit, "dan@example.org")
    assert "Votre banque a refusé le paiement." in dan_page.locator("#reason").inner_text()
    dan_page.get_by_label("Numéro de carte").wait_for()
    dan_audit.check()
    assert dan_audit.pages_left_unchecked() == []
    third.close()
    assert audit.pages_left_unchecked() == []
