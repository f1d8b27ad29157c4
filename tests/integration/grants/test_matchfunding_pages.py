"""Matchfunding's page for the fund manager, through its forms: a pot in euros written the French
way, refusals beside their inputs in French and in English with nothing written, a campaign
matched and unmatched, a payout recorded paid; and who may open it."""
from __future__ import annotations

from sqlalchemy import func, select

from services.grants.models import MatchPayout, MatchPot
from tests.integration.grants.applicant_setup import manager
from tests.integration.grants.grants_manager_setup import fund
from tests.integration.grants.match_setup import closed, handle, published, requested
from tests.pages import post_form, text
from tests.people import person, sign_in


def _browser(app, email="manager@example.org", roles=("fund_manager",), name="Manon"):
    client = app.test_client()
    sign_in(client, person(app, email, list(roles), name))
    return client


def _pots(app) -> int:
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(MatchPot))


def test_a_pot_is_set_aside_changed_and_matches_a_campaign_through_the_page(grants_app):
    the_fund = fund(grants_app.test_client(), manager(grants_app), envelope_cents=5_000_000)
    browser = _browser(grants_app)
    page = f"/manage/funds/{the_fund['id']}/matchfunding"
    assert "Abondement des campagnes" in text(browser.get(page))
    assert f'href="{page}"' in text(browser.get(f"/manage/funds/{the_fund['id']}/dashboard"))

    too_large = post_form(browser, f"/manage/funds/{the_fund['id']}/match-pots",
                          {"name": "Doublement", "amount": "50 000,01"}, page)
    assert too_large.status_code == 409
    assert "Cette cagnotte ferait dépasser l'enveloppe du fonds : il reste 50\u202f000,00\xa0€." in text(too_large)
    bad = post_form(browser, f"/manage/funds/{the_fund['id']}/match-pots",
                    {"name": "x" * 201, "amount": "dix", "ratio_percent": "0"}, page)
    assert bad.status_code == 422
    assert "Donnez à la cagnotte un nom de 1 à 200 caractères." in text(bad)
    assert "Le taux est un pourcentage de la contribution" in text(bad)
    english = post_form(browser, f"/manage/funds/{the_fund['id']}/match-pots?lang=en",
                        {"name": "Doublement", "amount": "60000"}, page + "?lang=en")
    assert english.status_code == 409
    assert "This pot would take the fund past its envelope: €50,000.00 left." in text(english)
    assert _pots(grants_app) == 0
    browser.get(page + "?lang=fr")  # back to French (the choice is kept in a cookie)

    created = post_form(browser, f"/manage/funds/{the_fund['id']}/match-pots",
                        {"name": "Doublement 2026", "amount": "10 000", "cap_per_pledge": "80"}, page)
    assert created.status_code == 302
    shown = text(browser.get(page))
    assert "La cagnotte de doublement est réservée." in shown and "10\u202f000,00\xa0€ engagés" in shown
    assert "80,00\xa0€" in shown
    with grants_app.extensions["db"].unit_of_work() as session:
        pot = session.scalars(select(MatchPot)).one()
        assert (pot.amount_cents, pot.cap_per_pledge_cents, pot.ratio_percent) == (1_000_000, 8_000, 100)
    changed = post_form(browser, f"/manage/match-pots/{pot.id}/change", {"amount": "12 000,50", "ratio_percent": "200"},
                        page)
    assert changed.status_code == 302
    with grants_app.extensions["db"].unit_of_work() as session:
        assert (session.get(MatchPot, pot.id).amount_cents, session.get(MatchPot, pot.id).ratio_percent) == (
            1_200_050, 200)

    handle(grants_app, published(42))
    assert "Campagne 42" in text(browser.get(page))
    linked = post_form(browser, f"/manage/match-pots/{pot.id}/campaigns", {"campaign_id": "42", "award_id": ""}, page)
    assert linked.status_code == 302
    assert "Approuvée par le gestionnaire du fonds" in text(browser.get(page))
    handle(grants_app, requested(1, 42, 3_000))
    handle(grants_app, closed("campaign.succeeded", 42))
    shown = text(browser.get(page))
    assert "Engagé, à verser" in shown and "Enregistrer le versement de 60,00\xa0€ à Label Dôme SARL" in shown
    paid = post_form(browser, "/manage/match-payouts/42/payment", {"paid_on": "2026-12-02", "bank_reference": ""}, page)
    assert paid.status_code == 422
    paid = post_form(browser, "/manage/match-payouts/42/payment",
                     {"paid_on": "2026-12-02", "bank_reference": "VIR-42"}, page)
    assert paid.status_code == 302
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.get(MatchPayout, 42).status == "paid"
    dashboard = text(browser.get(f"/manage/funds/{the_fund['id']}/dashboard"))
    assert "Abondements versés (compris dans le versé)" in dashboard


def test_only_the_fund_manager_opens_the_matchfunding_page(grants_app):
    the_fund = fund(grants_app.test_client(), manager(grants_app), envelope_cents=5_000_000)
    page = f"/manage/funds/{the_fund['id']}/matchfunding"
    assert grants_app.test_client().get(page).status_code == 302  # to sign in
    for roles in (["applicant"], ["juror"], ["referent"]):
        browser = _browser(grants_app, f"{roles[0]}@example.org", roles, roles[0])
        assert browser.get(page).status_code == 403
        assert browser.post(f"/manage/funds/{the_fund['id']}/match-pots", data={"name": "X", "amount": "10"}).status_code \
            in (400, 403)
    assert _pots(grants_app) == 0
    assert _browser(grants_app).get("/manage/funds/999/matchfunding").status_code == 404
