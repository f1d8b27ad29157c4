"""Matchfunding's journey in Chromium, on the running platform (the proxy, gunicorn, relays and
workers of the Procfile): the fund manager opens the fund's dashboard, follows it to the
matchfunding page, sets a pot aside in euros written the French way (a pot past the envelope is
refused beside its input first), and matches a live campaign (the grants learned it from the
crowdfunding worker's `campaign.published`); a backer's transfer is received; the campaign's
page shows what the fund adds beside what the crowd gave, in words, in French and in English. axe
checks every page on the way."""
from services.grants.models import MatchCampaign
from tests.conftest import wait_until
from tests.e2e.browser.test_award_journey import platform_person, sign_in
from tests.integration.crowdfunding.campaign_setup import backer, live
from tests.integration.grants.applicant_setup import manager as grants_manager
from tests.integration.grants.grants_manager_setup import fund


def _known(grants_app, campaign_id) -> bool:
    with grants_app.extensions["db"].unit_of_work() as session:
        return session.get(MatchCampaign, campaign_id) is not None


def test_the_fund_manager_matches_a_campaign_and_its_page_shows_the_match(
        platform, accounts_app, grants_app, crowdfunding_app, page, audit):
    platform_person(accounts_app, grants_app, "manager@example.org", ["fund_manager"], "Manon")
    the_fund = fund(grants_app.test_client(), grants_manager(grants_app), envelope_cents=5_000_000)
    campaign = live(crowdfunding_app, tiers=())
    wait_until(lambda: _known(grants_app, campaign["id"]), timeout=40, message="the grants to know the campaign")
    grants, crowdfunding = platform.public_urls["grants"], platform.public_urls["crowdfunding"]

    page.goto(f"{grants}/manage/funds/{the_fund['id']}/dashboard")
    audit.check()
    sign_in(page, audit, "manager@example.org")
    page.get_by_role("link", name="Les cagnottes de doublement du fonds", exact=False).click()
    audit.check()
    page.get_by_label("Nom").fill("Doublement 2026")
    page.get_by_label("Montant en euros").fill("60 000")
    page.get_by_role("button", name="Réserver la cagnotte").click()
    audit.check()
    assert "Cette cagnotte ferait dépasser l'enveloppe du fonds : il reste 50\u202f000,00\xa0€." in \
        page.locator("#new-pot").inner_text()
    page.get_by_label("Montant en euros").fill("10 000")
    page.get_by_role("button", name="Réserver la cagnotte").click()
    audit.check()
    assert "La cagnotte de doublement est réservée." in page.locator(".flash").inner_text()
    assert "10\u202f000,00\xa0€ engagés" in page.locator("#envelope").inner_text()
    page.get_by_label("Campagne", exact=True).select_option(str(campaign["id"]))
    page.get_by_role("button", name="Abonder cette campagne").click()
    audit.check()
    assert "Approuvée par le gestionnaire du fonds" in page.locator("#pot-1-campaigns").inner_text()

    # A backer's transfer arrives: the grants reserve its match, the campaign's page shows it.
    client = crowdfunding_app.test_client()
    _bea, bea = backer(crowdfunding_app, "bea@example.org")
    pledge = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=bea,
                         json={"amount_cents": 4_000, "method": "transfer"}).get_json()
    assert client.post(f"/api/manage/pledges/{pledge['id']}/transfer-received",
                       headers=campaign["manager_headers"]).status_code == 200
    wait_until(lambda: client.get(f"/api/campaigns/{campaign['id']}").get_json()["progress"]["matched_cents"] == 4_000,
               timeout=40, message="the match")
    page.goto(f"{crowdfunding}/campaigns/{campaign['id']}")
    audit.check()
    words = page.locator("#progress-text-campaign").inner_text()
    assert "80,00\xa0€ réunis" in words
    assert "40,00\xa0€ promis par les contributeurs (la partie foncée de la barre) et 40,00\xa0€ doublé par le fonds" \
        in words
    page.goto(f"{crowdfunding}/campaigns/{campaign['id']}?lang=en")
    audit.check()
    assert "€40.00 pledged by backers (the bar's dark part) and €40.00 matched by the fund" in \
        page.locator("#progress-text-campaign").inner_text()
    assert audit.pages_left_unchecked() == []
