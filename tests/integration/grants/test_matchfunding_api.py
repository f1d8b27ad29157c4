"""Matchfunding in the grants: a pot set aside within the envelope, the campaigns it matches
(linked to an award with the owner's SIREN, or approved), and each pledge's match through the
real handlers, once per pledge whatever the order or repetition of the events."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.grants.models import Match, MatchPayout, Support, SupportedFirm
from shared.core.outbox import OutboxMessage
from tests.integration.grants.applicant_setup import manager as manager_headers
from tests.integration.grants.award_setup import accepted_award, grant
from tests.integration.grants.grants_manager_setup import fund
from tests.integration.grants.match_setup import (
    OTHER_SIRET,
    cancelled,
    changed,
    closed,
    failed,
    handle,
    published,
    refunded,
    requested,
)
from tests.people import bearer, person


def _outbox(app, name: str) -> list[dict]:
    with app.extensions["db"].unit_of_work() as session:
        return [row.payload for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.name == name).order_by(OutboxMessage.id))]


def _match(app, pledge_id: int) -> Match | None:
    with app.extensions["db"].unit_of_work() as session:
        match = session.get(Match, pledge_id)
        if match is not None:
            session.expunge(match)
        return match


def _pot(client, headers, fund_id, **body):
    return client.post(f"/api/manage/funds/{fund_id}/match-pots",
                       json={"name": "Doublement 2026", "amount_cents": 1_000_000, **body}, headers=headers)


@pytest.fixture
def headers(grants_app):
    return manager_headers(grants_app)


@pytest.fixture
def a_fund(grants_app, headers):
    return fund(grants_app.test_client(), headers, envelope_cents=5_000_000)


def test_a_pot_counts_as_committed_and_never_takes_the_fund_past_its_envelope(grants_app, grants, headers, a_fund):
    created = _pot(grants, headers, a_fund["id"])
    assert created.status_code == 201, created.get_json()
    pot = created.get_json()
    assert (pot["ratio_percent"], pot["cap_per_pledge_cents"], pot["pledges_per_backer"], pot["left_cents"]) == (
        100, 10_000, 1, 1_000_000)
    board = grants.get(f"/api/manage/funds/{a_fund['id']}/dashboard", headers=headers).get_json()
    assert (board["committed_cents"], board["remaining_cents"]) == (1_000_000, 4_000_000)

    too_large = _pot(grants, headers, a_fund["id"], amount_cents=4_000_001)
    assert too_large.status_code == 409
    assert too_large.get_json()["errors"]["json"]["amount_cents"] == [
        "This pot would take the fund past its envelope: €40,000.00 left."]
    grown = grants.patch(f"/api/manage/match-pots/{pot['id']}", json={"amount_cents": 5_000_001}, headers=headers)
    assert grown.status_code == 409
    assert grants.patch(f"/api/manage/match-pots/{pot['id']}", json={"amount_cents": 5_000_000},
                        headers=headers).status_code == 200
    assert [p["amount_cents"] for p in grants.get(f"/api/manage/funds/{a_fund['id']}/match-pots",
                                                  headers=headers).get_json()] == [5_000_000]

    bad = _pot(grants, headers, a_fund["id"], amount_cents=0, ratio_percent=0, pledges_per_backer=0)
    assert bad.status_code == 422 and {"ratio_percent", "pledges_per_backer"} <= set(bad.get_json()["errors"]["json"])
    closing = grants.patch(f"/api/manage/match-pots/{pot['id']}", json={"status": "closed"}, headers=headers)
    assert (closing.status_code, closing.get_json()["amount_cents"]) == (200, 0)  # nothing held: all back
    assert grants.patch(f"/api/manage/match-pots/{pot['id']}", json={"amount_cents": 10},
                        headers=headers).status_code == 409
    board = grants.get(f"/api/manage/funds/{a_fund['id']}/dashboard", headers=headers).get_json()
    assert board["committed_cents"] == 0


def test_only_the_fund_manager_manages_pots(grants_app, grants, headers, a_fund):
    pot = _pot(grants, headers, a_fund["id"]).get_json()
    applicant = bearer(person(grants_app, "ana@example.org", ["applicant"], "Ana"))
    juror = bearer(person(grants_app, "jo@example.org", ["juror"], "Jo"))
    for who in (applicant, juror):
        assert _pot(grants, who, a_fund["id"]).status_code == 403
        assert grants.get(f"/api/manage/funds/{a_fund['id']}/match-pots", headers=who).status_code == 403
        assert grants.patch(f"/api/manage/match-pots/{pot['id']}", json={"amount_cents": 1}, headers=who).status_code == 403
        assert grants.post(f"/api/manage/match-pots/{pot['id']}/campaigns", json={"campaign_id": 1},
                           headers=who).status_code == 403
        assert grants.post("/api/manage/match-payouts/1/payment", json={
            "paid_on": "2026-12-01", "bank_reference": "X"}, headers=who).status_code == 403
    assert grants.get(f"/api/manage/funds/{a_fund['id']}/match-pots").status_code == 401
    assert grants.post("/api/match-links", json={"campaign_id": 1, "award_id": 1}, headers=juror).status_code == 403
    # Pages too.
    browser = grants_app.test_client()
    from tests.people import sign_in

    sign_in(browser, person(grants_app, "ana@example.org", ["applicant"], "Ana"))
    assert browser.get(f"/manage/funds/{a_fund['id']}/matchfunding").status_code == 403


def test_a_campaign_qualifies_by_an_award_with_its_owners_siren_or_by_approval(grants_app, grants):
    call, award, ana = accepted_award(grants_app, 800_000)
    headers = manager_headers(grants_app)
    pot = _pot(grants, headers, award["fund_id"]).get_json()
    link = f"/api/manage/match-pots/{pot['id']}/campaigns"

    unknown = grants.post(link, json={"campaign_id": 41, "award_id": award["id"]}, headers=headers)
    assert unknown.status_code == 409 and "does not know this campaign" in unknown.get_json()["message"]
    handle(grants_app, published(41, siret=OTHER_SIRET))
    handle(grants_app, published(42))
    handle(grants_app, published(43, siret=None))
    mismatch = grants.post(link, json={"campaign_id": 41, "award_id": award["id"]}, headers=headers)
    assert mismatch.status_code == 409
    assert mismatch.get_json()["errors"]["json"]["award_id"] == [
        "The award's organisation does not have the campaign owner's SIREN."]
    assert grants.post(link, json={"campaign_id": 43, "award_id": award["id"]}, headers=headers).status_code == 409
    linked = grants.post(link, json={"campaign_id": 42, "award_id": award["id"]}, headers=headers)
    assert linked.status_code == 200 and linked.get_json()["qualified_via"] == "award"
    approved = grants.post(link, json={"campaign_id": 41}, headers=headers)
    assert approved.status_code == 200 and approved.get_json()["qualified_via"] == "approval"
    assert [c["campaign_id"] for c in grants.get(link, headers=headers).get_json()] == [41, 42]
    assert grants.post(link, json={"campaign_id": 42, "award_id": 9_999}, headers=headers).status_code == 404


def test_the_owner_links_their_own_campaign_to_their_own_award(grants_app, grants):
    call, award, ana = accepted_award(grants_app, 800_000)
    headers = manager_headers(grants_app)
    _pot(grants, headers, award["fund_id"])
    ana_id = person(grants_app, "applicant0@example.org", ["applicant"], "Applicant 0").id
    handle(grants_app, published(51, owner_account_id=ana_id))
    handle(grants_app, published(52, owner_account_id=ana_id + 1000))
    other = bearer(person(grants_app, "applicant1@example.org", ["applicant"], "Applicant 1"))
    assert grants.post("/api/match-links", json={"campaign_id": 51, "award_id": award["id"]},
                       headers=other).status_code == 404  # not their award
    assert grants.post("/api/match-links", json={"campaign_id": 52, "award_id": award["id"]},
                       headers=ana).status_code == 404  # not their campaign
    linked = grants.post("/api/match-links", json={"campaign_id": 51, "award_id": award["id"]}, headers=ana)
    assert linked.status_code == 200, linked.get_json()
    assert (linked.get_json()["award_id"], linked.get_json()["qualified_via"]) == (award["id"], "award")


def _linked_campaigns(grants_app, grants, headers, fund_id, campaign_ids, **rules) -> dict:
    pot = _pot(grants, headers, fund_id, **rules).get_json()
    for campaign_id in campaign_ids:
        handle(grants_app, published(campaign_id))
        assert grants.post(f"/api/manage/match-pots/{pot['id']}/campaigns", json={"campaign_id": campaign_id},
                           headers=headers).status_code == 200
    return pot


def test_each_pledge_is_matched_once_within_the_rules(grants_app, grants, headers, a_fund):
    pot = _linked_campaigns(grants_app, grants, headers, a_fund["id"], [7], amount_cents=25_000,
                            cap_per_campaign_cents=20_000)
    assert handle(grants_app, requested(1, 7, 4_000, backer_account_id=501))
    assert handle(grants_app, requested(1, 7, 4_000, backer_account_id=501))  # another event, the same pledge
    assert handle(grants_app, requested(2, 7, 30_000, backer_account_id=502))  # capped at €100
    assert handle(grants_app, requested(3, 7, 2_000, backer_account_id=501))  # one matched pledge per backer
    assert handle(grants_app, requested(4, 7, 9_000, backer_account_id=503))  # the campaign's cap leaves €60
    assert handle(grants_app, requested(5, 7, 9_000, backer_account_id=504))
    assert handle(grants_app, requested(6, 8, 9_000, backer_account_id=505))  # a campaign nobody linked
    reserved = {p["pledge_id"]: p["matched_cents"] for p in _outbox(grants_app, "match.reserved")}
    refused = {p["pledge_id"]: p["reason"] for p in _outbox(grants_app, "match.refused")}
    assert reserved == {1: 4_000, 2: 10_000, 4: 6_000}
    assert refused == {3: "backer_limit", 5: "campaign_cap", 6: "not_qualifying"}
    figures = grants.get(f"/api/manage/match-pots/{pot['id']}", headers=headers).get_json()
    assert (figures["reserved_cents"], figures["left_cents"], figures["matches"]) == (20_000, 5_000, 3)


def test_releases_in_any_order_change_nothing_twice(grants_app, grants, headers, a_fund):
    _linked_campaigns(grants_app, grants, headers, a_fund["id"], [7])
    handle(grants_app, requested(1, 7, 4_000))
    cancel = cancelled(1, 7)
    assert handle(grants_app, cancel) and not handle(grants_app, cancel)
    handle(grants_app, cancelled(1, 7))  # another event saying it again
    assert [(p["pledge_id"], p["released_cents"], p["reason"]) for p in _outbox(grants_app, "match.released")] == [
        (1, 4_000, "pledge_cancelled")]
    # Cancelled before its request was read: the late request reserves nothing.
    handle(grants_app, cancelled(2, 7))
    handle(grants_app, requested(2, 7, 4_000))
    assert _match(grants_app, 2).status == "released"
    assert 2 not in {p["pledge_id"] for p in _outbox(grants_app, "match.reserved")}
    # A partial refund keeps the ratio of what is left, whatever order two refunds come in.
    handle(grants_app, requested(3, 7, 6_000))
    handle(grants_app, refunded(3, 7, 6_000, 4_000, refund_id=2))
    handle(grants_app, refunded(3, 7, 6_000, 1_000, refund_id=1))
    assert _match(grants_app, 3).matched_cents == 2_000
    handle(grants_app, refunded(3, 7, 6_000, 6_000, refund_id=3))
    assert _match(grants_app, 3).status == "released"
    assert sum(p["released_cents"] for p in _outbox(grants_app, "match.released") if p["pledge_id"] == 3) == 6_000
    # A pledge lowered keeps the ratio of its new amount; raised again, it keeps what it has.
    handle(grants_app, requested(4, 7, 8_000))
    handle(grants_app, changed(4, 7, 9_000, 8_000))
    handle(grants_app, changed(4, 7, 3_000, 9_000))
    assert _match(grants_app, 4).matched_cents == 3_000


def test_a_successful_campaign_commits_its_matches_then_they_are_paid(grants_app, grants, headers, a_fund):
    _linked_campaigns(grants_app, grants, headers, a_fund["id"], [7, 8])
    for pledge_id in (1, 2, 3):
        handle(grants_app, requested(pledge_id, 7, 5_000))
    handle(grants_app, requested(4, 8, 5_000))
    succeeded = closed("campaign.succeeded", 7)
    assert handle(grants_app, succeeded) and not handle(grants_app, succeeded)
    handle(grants_app, closed("campaign.failed", 8))
    assert _match(grants_app, 4).status == "released"
    handle(grants_app, failed(3, 7))  # not paid after the close: its match goes back
    handle(grants_app, requested(9, 7, 5_000))  # read after the close: joins the payout
    payouts = grants.get(f"/api/manage/funds/{a_fund['id']}/match-payouts", headers=headers).get_json()
    assert [(p["campaign_id"], p["amount_cents"], p["status"]) for p in payouts] == [(7, 15_000, "committed")]
    board = grants.get(f"/api/manage/funds/{a_fund['id']}/dashboard", headers=headers).get_json()
    assert (board["match_committed_cents"], board["match_paid_cents"]) == (15_000, 0)

    payment = {"paid_on": "2026-12-02", "bank_reference": "VIR-MATCH-7"}
    paid = grants.post("/api/manage/match-payouts/7/payment", json=payment, headers=headers)
    assert (paid.status_code, paid.get_json()["status"]) == (200, "paid")
    assert grants.post("/api/manage/match-payouts/7/payment", json=payment, headers=headers).status_code == 200
    assert grants.post("/api/manage/match-payouts/7/payment", json={**payment, "bank_reference": "OTHER"},
                       headers=headers).status_code == 409
    assert grants.post("/api/manage/match-payouts/8/payment", json=payment, headers=headers).status_code == 404
    board = grants.get(f"/api/manage/funds/{a_fund['id']}/dashboard", headers=headers).get_json()
    assert (board["match_committed_cents"], board["match_paid_cents"], board["paid_cents"]) == (0, 15_000, 15_000)
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Match).where(Match.status == "paid")) == 3
        assert session.scalar(select(func.count()).select_from(MatchPayout)) == 1
        # The owner's organisation received matchfunding: a supported firm (impact), once, beside
        # the campaign's own success.
        supports = session.execute(select(Support.kind, Support.amount_cents, Support.on, SupportedFirm.siren)
                                   .join(SupportedFirm, Support.firm_id == SupportedFirm.id)
                                   .where(Support.kind == "matchfunding")).all()
        assert [(kind, cents, str(on)) for kind, cents, on, _ in supports] == [("matchfunding", 15_000, "2026-12-02")]
        firm_siren = supports[0][3]
        kinds = session.scalars(select(Support.kind).join(SupportedFirm, Support.firm_id == SupportedFirm.id)
                                .where(SupportedFirm.siren == firm_siren)).all()
        assert sorted(kinds) == ["crowdfunding", "matchfunding"]


def test_a_failed_or_cancelled_campaign_releases_everything_once(grants_app, grants, headers, a_fund):
    _linked_campaigns(grants_app, grants, headers, a_fund["id"], [7])
    handle(grants_app, requested(1, 7, 5_000))
    handle(grants_app, requested(2, 7, 3_000))
    handle(grants_app, closed("campaign.succeeded", 7))
    handle(grants_app, closed("campaign.cancelled", 7))
    handle(grants_app, closed("campaign.succeeded", 7))  # an older step, read late: nothing
    assert sorted((p["pledge_id"], p["released_cents"]) for p in _outbox(grants_app, "match.released")) == [
        (1, 5_000), (2, 3_000)]
    payouts = grants.get(f"/api/manage/funds/{a_fund['id']}/match-payouts", headers=headers).get_json()
    assert [(p["amount_cents"], p["status"]) for p in payouts] == [(0, "cancelled")]
    handle(grants_app, requested(3, 7, 5_000))  # a pledge read after the cancellation
    assert _outbox(grants_app, "match.refused")[-1]["reason"] == "not_qualifying"


def test_an_award_granted_to_an_application_does_not_qualify_once_cancelled(grants_app, grants):
    call, award, ana = accepted_award(grants_app, 800_000)
    headers = manager_headers(grants_app)
    pot = _pot(grants, headers, award["fund_id"]).get_json()
    handle(grants_app, published(42))
    assert grants.post(f"/api/manage/match-pots/{pot['id']}/campaigns", json={
        "campaign_id": 42, "award_id": award["id"]}, headers=headers).status_code == 200
    handle(grants_app, requested(1, 42, 5_000))
    assert grants.post(f"/api/manage/awards/{award['id']}/cancel", json={"reason": "Projet abandonné"},
                       headers=headers).status_code == 200
    handle(grants_app, requested(2, 42, 5_000))
    assert [p["pledge_id"] for p in _outbox(grants_app, "match.reserved")] == [1]
    assert _outbox(grants_app, "match.refused")[-1] == {**_outbox(grants_app, "match.refused")[-1],
                                                        "pledge_id": 2, "reason": "not_qualifying"}
    assert grant  # (the award setup grants through the API)
