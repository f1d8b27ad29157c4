"""Matchfunding across the two services, through the real outboxes, relays, Redis and dramatiq
workers: a campaign goes live (the crowdfunding worker's sweeper publishes it, the grants learn
it), the fund manager links it to the owner's award, confirmed pledges ask for their match, the
grants reserve it within the pot and crowdfunding shows it on the campaign's page; a cancelled
pledge releases its match; the close (campaign.succeeded, pledge.refunded: the close's contracts,
written here through crowdfunding's own outbox, as its close will) commits the matches into a
payout in the fund's dashboard. A redelivered answer changes nothing twice."""
from __future__ import annotations

import re
import threading
from datetime import datetime, timezone

import dramatiq
import pytest
from sqlalchemy import select

import services.crowdfunding.actors  # noqa: F401  (its queue and its sweeper, on the broker)
import services.grants.actors  # noqa: F401  (its queue)
from services.crowdfunding import matchfunding
from services.crowdfunding.models import Campaign, PledgeMatch
from services.grants.models import Match, MatchCampaign
from shared.core.outbox import OutboxMessage, Relay, publish
from tests.conftest import wait_until
from tests.integration.crowdfunding.campaign_setup import backer, live
from tests.integration.grants.applicant_setup import manager as grants_manager
from tests.integration.grants.award_setup import accepted_award


@pytest.fixture
def workers(broker, monkeypatch):
    """One real dramatiq worker consuming the grants' and the crowdfunding's queues."""
    monkeypatch.setenv("CAMPAIGN_SWEEP_SECONDS", "0.2")
    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=2)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def relays(grants_app, crowdfunding_app, broker):
    stop = threading.Event()
    threads = [threading.Thread(target=Relay(app.extensions["db"], broker).run, args=(stop,),
                                kwargs={"idle_seconds": 0.05}) for app in (grants_app, crowdfunding_app)]
    for thread in threads:
        thread.start()
    yield
    stop.set()
    for thread in threads:
        thread.join(timeout=5)


def _grants(app, model, key):
    with app.extensions["db"].unit_of_work() as session:
        row = session.get(model, key)
        if row is not None:
            session.expunge(row)
        return row


def _progress(crowdfunding_app, campaign_id) -> dict:
    return crowdfunding_app.test_client().get(f"/api/campaigns/{campaign_id}").get_json()["progress"]


def _transfer_pledge(crowdfunding_app, campaign, email, amount_cents) -> int:
    client = crowdfunding_app.test_client()
    _someone, headers = backer(crowdfunding_app, email)
    created = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=headers,
                          json={"amount_cents": amount_cents, "method": "transfer"})
    assert created.status_code == 201, created.get_json()
    pledge_id = created.get_json()["id"]
    received = client.post(f"/api/manage/pledges/{pledge_id}/transfer-received", headers=campaign["manager_headers"])
    assert received.status_code == 200, received.get_json()
    return pledge_id


def _close_event(crowdfunding_app, name: str, payload: dict) -> None:
    """Written through crowdfunding's outbox with the real contract, as its close will."""
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        publish(session, "crowdfunding", name, 1, payload)


def _succeeded(crowdfunding_app, campaign_id: int) -> dict:
    now = datetime.now(timezone.utc)
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        campaign = session.get(Campaign, campaign_id)
        return {"email": "olga@example.org", "name": "Olga Martin", "language": "fr", "campaign_id": campaign_id,
                "campaign_title": campaign.title_fr,
                "campaign_url": f"http://127.0.0.1:8000/financement-participatif/campaigns/{campaign_id}",
                "owner_account_id": campaign.account_id, "organisation": matchfunding.organisation_facts(campaign.owner),
                "funding_model": campaign.funding_model, "goal_cents": campaign.goal_cents, "ends_at": campaign.ends_at,
                "closed_at": now, "pledged_cents": 7_000, "card_pledged_cents": 0, "transfer_cents": 7_000,
                "backers": 2, "matched_cents": 4_000}


def _refunded(pledge_id: int, campaign_id: int, amount_cents: int, total: int) -> dict:
    return {"email": "bea@example.org", "name": "Béa", "language": "fr", "pledge_id": pledge_id, "reference": "R",
            "campaign_id": campaign_id, "campaign_title": "Un disque pour la Criée",
            "campaign_url": f"http://127.0.0.1:8000/financement-participatif/campaigns/{campaign_id}",
            "pledge_url": f"http://127.0.0.1:8000/financement-participatif/pledges/{pledge_id}",
            "amount_cents": amount_cents, "tier_title": None, "method": "transfer", "funding_model": "all_or_nothing",
            "ends_at": datetime.now(timezone.utc), "backer_account_id": 1, "attempt": 1, "refund_id": 1,
            "refund_cents": total, "refunded_total_cents": total, "fully_refunded": total >= amount_cents,
            "reason": "requested_by_customer", "refunded_at": datetime.now(timezone.utc)}


def test_pledges_are_matched_released_and_paid_across_the_two_services(
        grants_app, crowdfunding_app, broker, workers, relays):
    # The grants: the owner's award (its organisation has the campaign owner's SIRET) and a pot.
    _call, award, _ana = accepted_award(grants_app, 800_000)
    grants, headers = grants_app.test_client(), grants_manager(grants_app)
    pot = grants.post(f"/api/manage/funds/{award['fund_id']}/match-pots",
                      json={"name": "Doublement 2026", "amount_cents": 1_000_000}, headers=headers).get_json()

    # The campaign goes live: the crowdfunding worker's sweeper announces it, the grants learn it.
    campaign = live(crowdfunding_app, tiers=())
    wait_until(lambda: _grants(grants_app, MatchCampaign, campaign["id"]), message="the grants to know the campaign")
    linked = grants.post(f"/api/manage/match-pots/{pot['id']}/campaigns",
                         json={"campaign_id": campaign["id"], "award_id": award["id"]}, headers=headers)
    assert linked.status_code == 200, linked.get_json()

    bea = _transfer_pledge(crowdfunding_app, campaign, "bea@example.org", 4_000)
    theo = _transfer_pledge(crowdfunding_app, campaign, "theo@example.org", 25_000)  # matched €100, the cap
    bea_again = _transfer_pledge(crowdfunding_app, campaign, "bea@example.org", 3_000)  # one per backer
    wait_until(lambda: _progress(crowdfunding_app, campaign["id"])["matched_cents"] == 14_000, message="the matches")
    wait_until(lambda: (_grants(crowdfunding_app, PledgeMatch, bea_again) or PledgeMatch(status="")).status
               == "refused", message="the refusal")
    progress = _progress(crowdfunding_app, campaign["id"])
    assert (progress["pledged_cents"], progress["matched_cents"], progress["total_cents"]) == (32_000, 14_000, 46_000)
    assert progress["percent"] == 9  # (€320 + €140) of €5,000
    assert _grants(crowdfunding_app, PledgeMatch, bea_again).reason == "backer_limit"
    page = crowdfunding_app.test_client().get(f"/campaigns/{campaign['id']}").get_data(as_text=True)
    assert "doublé par le fonds" in page and "140,00" in page

    # Théo cancels: his match goes back to the pot, and the page shows it.
    _theo, theo_headers = backer(crowdfunding_app, "theo@example.org")
    assert crowdfunding_app.test_client().post(f"/api/pledges/{theo}/cancel", headers=theo_headers).status_code == 200
    # A visitor who is not signed in reads the page now (then from memory): the release, written by
    # the worker on its own connection, reaches it by its notification.
    visitor = crowdfunding_app.test_client()

    def matched_on_the_page() -> str:
        page = visitor.get(f"/campaigns/{campaign['id']}").get_data(as_text=True)
        return " ".join(re.search(r'id="matched-campaign">(.*?)</span>', page, re.S).group(1).split())

    before = matched_on_the_page()  # the release may already be there on a fast machine
    assert "140,00" in before or "40,00" in before
    wait_until(lambda: _progress(crowdfunding_app, campaign["id"])["matched_cents"] == 4_000, message="the release")
    wait_until(lambda: "40,00" in matched_on_the_page() and "140,00" not in matched_on_the_page(),
               timeout=5, message="the release on the page replayed to visitors")
    assert _grants(grants_app, Match, theo).status == "released"

    # A redelivered answer (a relay that crashed before marking it sent) changes nothing twice.
    with grants_app.extensions["db"].unit_of_work() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.name == "match.released")).one()
        row.sent_at = None
    wait_until(lambda: _sent(grants_app, "match.released"), message="the second sending")
    # The close: a success commits Béa's match into the owner's payout; a partial refund brings it down.
    _close_event(crowdfunding_app, "campaign.succeeded", _succeeded(crowdfunding_app, campaign["id"]))
    wait_until(lambda: _payout(grants, headers, award["fund_id"]) == [(campaign["id"], 4_000, "committed")],
               message="the payout committed")
    _close_event(crowdfunding_app, "pledge.refunded", _refunded(bea, campaign["id"], 4_000, 1_000))
    wait_until(lambda: _payout(grants, headers, award["fund_id"]) == [(campaign["id"], 3_000, "committed")],
               message="the payout after the refund")
    wait_until(lambda: _progress(crowdfunding_app, campaign["id"])["matched_cents"] == 3_000, message="the page")
    board = grants.get(f"/api/manage/funds/{award['fund_id']}/dashboard", headers=headers).get_json()
    assert (board["match_committed_cents"], board["match_reserved_cents"]) == (3_000, 0)
    paid = grants.post(f"/api/manage/match-payouts/{campaign['id']}/payment",
                       json={"paid_on": "2026-12-02", "bank_reference": "VIR-MATCH-1"}, headers=headers)
    assert paid.status_code == 200
    board = grants.get(f"/api/manage/funds/{award['fund_id']}/dashboard", headers=headers).get_json()
    assert (board["match_committed_cents"], board["match_paid_cents"]) == (0, 3_000)
    assert _grants(crowdfunding_app, PledgeMatch, theo).matched_cents == 0  # released once, not twice


def _sent(app, name) -> bool:
    with app.extensions["db"].unit_of_work() as session:
        return all(row.sent_at is not None for row in session.scalars(select(OutboxMessage).where(
            OutboxMessage.name == name)))


def _payout(grants, headers, fund_id) -> list[tuple]:
    return [(p["campaign_id"], p["amount_cents"], p["status"])
            for p in grants.get(f"/api/manage/funds/{fund_id}/match-payouts", headers=headers).get_json()]
