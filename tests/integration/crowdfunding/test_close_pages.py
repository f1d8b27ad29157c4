"""The close's pages without a browser: who may open them (the owner their own, the fund manager
any; another owner, a backer or a visitor is refused), what they say in French and English, the
fund manager's forms (a bad amount named, nothing changed), and the backer's refund request and
recovery page (another backer's is a 404)."""
import re
from datetime import datetime, timezone

import pytest

from services.crowdfunding import closing, schedule
from services.crowdfunding.config import settings, stripe_settings
from services.crowdfunding.payments import Payments
from shared.core.pacing import Pace
from tests.integration.crowdfunding.campaign_setup import backer, live, manager, owner
from tests.integration.crowdfunding.closing_setup import DECLINED_AT_CHARGE, end_now, pledge_row, saved_card_pledge
from tests.integration.crowdfunding.test_pages import HTML, _post
from tests.pages import text
from tests.people import sign_in


@pytest.fixture
def closed(crowdfunding_app, localstripe):
    campaign = live(crowdfunding_app, goal_cents=1_000)
    paid = saved_card_pledge(crowdfunding_app, campaign["id"], "bea@example.org", 3_000)
    declined = saved_card_pledge(crowdfunding_app, campaign["id"], "dan@example.org", 2_000, number=DECLINED_AT_CHARGE)
    end_now(crowdfunding_app, campaign["id"])
    db = crowdfunding_app.extensions["db"]
    schedule.advance(db.unit_of_work, datetime.now(timezone.utc))
    pace = Pace.from_settings(settings(), "stripe-tests", 50)
    for pledge in (paid, declined):
        closing.charge_pledge(db, Payments(stripe_settings()), pace, pledge["id"], datetime.now(timezone.utc))
    return {"campaign": campaign, "paid": paid, "declined": declined}


def _as(app, someone):
    client = app.test_client()
    sign_in(client, someone)
    return client


def test_who_may_open_the_close_page(crowdfunding_app, closed):
    campaign_id = closed["campaign"]["id"]
    olga, _ = owner(crowdfunding_app)
    manon, _ = manager(crowdfunding_app)
    otto, _ = owner(crowdfunding_app, "otto@example.org")
    bea, _ = backer(crowdfunding_app, "bea@example.org")
    mine = _as(crowdfunding_app, olga).get(f"/owner/campaigns/{campaign_id}/close", headers=HTML)
    assert mine.status_code == 200
    body = text(mine)
    assert "La campagne a réussi" in body and "1 contributions réglées sur 2" not in body
    assert "Non communiqués par Stripe" in body and "Enregistrer le versement" not in body
    managed = _as(crowdfunding_app, manon).get(f"/manage/campaigns/{campaign_id}/close", headers=HTML)
    assert managed.status_code == 200 and "Enregistrer le versement" in text(managed)
    english = _as(crowdfunding_app, manon).get(f"/manage/campaigns/{campaign_id}/close?lang=en", headers=HTML)
    assert "Record the payout" in text(english) and "Not reported by Stripe" in text(english)
    assert _as(crowdfunding_app, otto).get(f"/owner/campaigns/{campaign_id}/close", headers=HTML).status_code == 404
    assert _as(crowdfunding_app, olga).get(f"/manage/campaigns/{campaign_id}/close", headers=HTML).status_code == 403
    assert _as(crowdfunding_app, bea).get(f"/owner/campaigns/{campaign_id}/close", headers=HTML).status_code == 403
    visitor = crowdfunding_app.test_client().get(f"/manage/campaigns/{campaign_id}/close", headers=HTML)
    assert visitor.status_code == 302
    csv = _as(crowdfunding_app, olga).get(f"/owner/campaigns/{campaign_id}/statement.csv")
    assert csv.status_code == 200 and "Net dû au porteur" in csv.get_data(as_text=True)
    assert _as(crowdfunding_app, otto).get(f"/owner/campaigns/{campaign_id}/statement.csv").status_code == 404


def test_the_fund_managers_forms_name_a_bad_amount_and_change_nothing(crowdfunding_app, closed):
    campaign_id = closed["campaign"]["id"]
    manon, _ = manager(crowdfunding_app)
    client = _as(crowdfunding_app, manon)
    page = f"/manage/campaigns/{campaign_id}/close"
    bad = _post(client, f"/manage/pledges/{closed['paid']['id']}/refund", {"amount": "douze", "reason": "x"}, page)
    assert bad.status_code == 302
    assert "Saisissez un montant en euros" in text(client.get(page, headers=HTML))
    too_much = _post(client, f"/manage/pledges/{closed['paid']['id']}/refund", {"amount": "31", "reason": "x"}, page)
    assert too_much.status_code == 302
    assert pledge_row(crowdfunding_app, closed["paid"]["id"]).refunded_cents == 0
    done = _post(client, f"/manage/pledges/{closed['paid']['id']}/refund", {"amount": "5", "reason": "Retard"}, page)
    assert done.status_code == 302 and pledge_row(crowdfunding_app, closed["paid"]["id"]).refunded_cents == 500
    olga, _ = owner(crowdfunding_app)
    theirs = _as(crowdfunding_app, olga)
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      theirs.get("/owner/organisation", headers=HTML).get_data(as_text=True)).group(1)
    refused = theirs.post(f"/manage/pledges/{closed['paid']['id']}/refund", headers=HTML,
                          data={"csrf_token": token, "amount": "5", "reason": "x"})
    assert refused.status_code == 403 and pledge_row(crowdfunding_app, closed["paid"]["id"]).refunded_cents == 500


def test_the_backers_pages_refund_request_and_recovery(crowdfunding_app, closed):
    bea, _ = backer(crowdfunding_app, "bea@example.org")
    dan, _ = backer(crowdfunding_app, "dan@example.org")
    client = _as(crowdfunding_app, bea)
    pledge_page = f"/pledges/{closed['paid']['id']}"
    assert "Demander un remboursement" in text(client.get(pledge_page, headers=HTML))
    asked = _post(client, f"/pledges/{closed['paid']['id']}/refund-request", {"reason": "Je déménage"}, pledge_page)
    assert asked.status_code == 302
    assert "Votre demande de remboursement est envoyée" in text(client.get(pledge_page, headers=HTML))
    # Dan's card was declined: his recovery page offers another card; Béa cannot open it.
    dans = _as(crowdfunding_app, dan)
    recovery = dans.get(f"/pledges/{closed['declined']['id']}/pay", headers=HTML)
    assert recovery.status_code == 200
    assert "Votre banque a refusé le paiement." in text(recovery) and 'id="card-element"' in recovery.get_data(as_text=True)
    assert "Finir de payer ma contribution" in text(dans.get(f"/pledges/{closed['declined']['id']}", headers=HTML))
    assert client.get(f"/pledges/{closed['declined']['id']}/pay", headers=HTML).status_code == 404
    assert "Merci ! Votre paiement est passé." in text(client.get(f"/pledges/{closed['paid']['id']}/pay",
                                                                             headers=HTML))
