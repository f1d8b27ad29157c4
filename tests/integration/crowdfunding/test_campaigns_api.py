"""The owner's campaign from draft to live through the API: the organisation checked as the grants
check theirs, the draft, tiers and cover, submission, the fund manager's moderation (changes
requested, then approved), live at its start time; what no longer changes once approved; who may
do what."""
import io
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.crowdfunding import schedule
from services.crowdfunding.models import Campaign
from shared.core.outbox import OutboxMessage
from tests.integration.crowdfunding.campaign_setup import (
    ORGANISATION,
    TIER,
    backer,
    campaign_data,
    draft,
    image,
    live,
    manager,
    owner,
)
from tests.people import bearer, person


def _events(app, name=None):
    with app.extensions["db"].unit_of_work() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if name:
            query = query.where(OutboxMessage.name == name)
        return [(row.name, row.payload) for row in session.scalars(query)]


def test_an_owner_takes_a_campaign_from_draft_to_live(crowdfunding_app):
    client = crowdfunding_app.test_client()
    olga, headers = owner(crowdfunding_app)
    manon, manager_headers = manager(crowdfunding_app)

    # The organisation first, its identifiers checked and kept compact.
    assert client.post("/api/campaigns", json=campaign_data(), headers=headers).status_code == 409
    saved = client.put("/api/owner/organisation", json=ORGANISATION, headers=headers)
    assert saved.status_code == 200 and saved.get_json()["siret"] == "73282932000074"

    now = datetime.now(timezone.utc)
    starts = now + timedelta(days=2)
    created = client.post("/api/campaigns", json=campaign_data(starts_at=starts.isoformat(),
                                                              ends_at=(starts + timedelta(days=30)).isoformat()),
                          headers=headers)
    assert created.status_code == 201
    campaign = created.get_json()
    assert campaign["status"] == "draft" and campaign["organisation"] == "Label Dôme SARL"
    assert campaign["goal_cents"] == 500_000 and campaign["funding_model"] == "all_or_nothing"
    # Entered as instants, kept in UTC, shown in Paris time too.
    assert campaign["starts_at"] == starts.astimezone(timezone.utc).isoformat()
    assert campaign["starts_at_paris"].endswith(("+01:00", "+02:00"))
    campaign_id = campaign["id"]

    # Incomplete: the submission names what is missing.
    refused = client.post(f"/api/campaigns/{campaign_id}/submit", headers=headers)
    assert refused.status_code == 422 and set(refused.get_json()["errors"]["json"]) == {"cover"}

    tier = client.post(f"/api/campaigns/{campaign_id}/tiers", json=TIER, headers=headers)
    assert tier.status_code == 201
    assert tier.get_json()["delivery_month"] == "2027-06" and tier.get_json()["places_left"] == 10
    cover = client.put(f"/api/campaigns/{campaign_id}/cover", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(image(2400, 1200, "JPEG")), "photo.jpg"), "alt_fr": "Le groupe",
                             "alt_en": "The band"})
    assert cover.status_code == 200
    assert cover.get_json()["cover"]["widths"] == [480, 960, 1600]
    assert cover.get_json()["cover"]["urls"][0].endswith("-480.jpg")

    submitted = client.post(f"/api/campaigns/{campaign_id}/submit", headers=headers)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    [(_, event)] = _events(crowdfunding_app, "campaign.submitted")
    assert event["email"] == olga.email and event["moderators"] == [
        {"email": manon.email, "name": manon.name, "language": "fr"}]
    # While moderated, nothing changes.
    assert client.patch(f"/api/campaigns/{campaign_id}", json={"title_fr": "Autre"}, headers=headers).status_code == 409

    # Changes requested, with a reason; the owner edits and submits again.
    no_reason = client.post(f"/api/manage/campaigns/{campaign_id}/decision", json={"decision": "changes_requested"},
                            headers=manager_headers)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]["json"]
    asked = client.post(f"/api/manage/campaigns/{campaign_id}/decision",
                        json={"decision": "changes_requested", "reason": "Précisez le budget du pressage."},
                        headers=manager_headers)
    assert asked.status_code == 200 and asked.get_json()["status"] == "changes_requested"
    assert asked.get_json()["moderation_reason"] == "Précisez le budget du pressage."
    [(_, event)] = _events(crowdfunding_app, "campaign.changes_requested")
    assert event["reason"] == "Précisez le budget du pressage." and event["email"] == olga.email
    edited = client.patch(f"/api/campaigns/{campaign_id}", headers=headers, json={
        "budget": [{"label": "Studio", "amount_cents": 300_000}, {"label": "Pressage de 500 CD", "amount_cents": 200_000}]})
    assert edited.status_code == 200
    assert client.post(f"/api/campaigns/{campaign_id}/submit", headers=headers).status_code == 200

    approved = client.post(f"/api/manage/campaigns/{campaign_id}/decision", json={"decision": "approved"},
                           headers=manager_headers)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    assert [name for name, _ in _events(crowdfunding_app)][-1] == "campaign.approved"
    # Approved but not started: not public yet.
    assert client.get(f"/api/campaigns/{campaign_id}").status_code == 404
    assert client.get(f"/api/campaigns/{campaign_id}", headers=headers).get_json()["status"] == "approved"

    # Once approved, goal, dates and model no longer change; texts may.
    frozen = client.patch(f"/api/campaigns/{campaign_id}", json={"goal_cents": 100_000, "funding_model": "keep_it_all"},
                          headers=headers)
    assert frozen.status_code == 409 and set(frozen.get_json()["errors"]["json"]) == {"goal_cents", "funding_model"}
    assert client.patch(f"/api/campaigns/{campaign_id}", json={"pitch_en": "Our first album."},
                        headers=headers).status_code == 200

    # Its start time comes: live for everyone at once; the worker records it and tells the owner, once.
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert schedule.start_due(session, starts - timedelta(seconds=1)) == []
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert schedule.start_due(session, starts) == [campaign_id]
        assert session.get(Campaign, campaign_id).status == "live"
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        assert schedule.start_due(session, starts + timedelta(minutes=1)) == []
    [(_, published)] = _events(crowdfunding_app, "campaign.published")
    assert published["campaign_url"].endswith(f"/campaigns/{campaign_id}") and published["goal_cents"] == 500_000


def test_an_approved_campaign_whose_start_has_come_is_live_at_once_and_listed(crowdfunding_app):
    campaign = live(crowdfunding_app)
    client = crowdfunding_app.test_client()
    assert campaign["status"] == "live"
    assert [name for name, _ in _events(crowdfunding_app)][-2:] == ["campaign.approved", "campaign.published"]
    listed = client.get("/api/campaigns").get_json()
    assert [item["id"] for item in listed] == [campaign["id"]]
    assert client.get("/api/campaigns?sector=film").get_json() == []
    public = client.get(f"/api/campaigns/{campaign['id']}").get_json()
    assert public["progress"] == {"pledged_cents": 0, "goal_cents": 500_000, "percent": 0, "backers": 0,
                                  "days_left": public["progress"]["days_left"], "ended": False,
                                  "matched_cents": 0, "total_cents": 0}
    assert 29 <= public["progress"]["days_left"] <= 30


def test_rejection_is_final_and_its_reason_goes_to_the_owner(crowdfunding_app):
    client = crowdfunding_app.test_client()
    _olga, headers = owner(crowdfunding_app)
    _manon, manager_headers = manager(crowdfunding_app)
    campaign_id = draft(client, headers)
    assert client.post(f"/api/campaigns/{campaign_id}/submit", headers=headers).status_code == 200
    rejected = client.post(f"/api/manage/campaigns/{campaign_id}/decision",
                           json={"decision": "rejected", "reason": "Hors du territoire de la métropole."},
                           headers=manager_headers)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    [(_, event)] = _events(crowdfunding_app, "campaign.rejected")
    assert event["reason"] == "Hors du territoire de la métropole."
    assert client.patch(f"/api/campaigns/{campaign_id}", json={"title_fr": "Encore"}, headers=headers).status_code == 409
    assert client.post(f"/api/campaigns/{campaign_id}/submit", headers=headers).status_code == 409
    again = client.post(f"/api/manage/campaigns/{campaign_id}/decision", json={"decision": "approved"},
                        headers=manager_headers)
    assert again.status_code == 409


def test_refusals_of_a_campaigns_fields(crowdfunding_app):
    client = crowdfunding_app.test_client()
    _olga, headers = owner(crowdfunding_app)
    assert client.put("/api/owner/organisation", json=ORGANISATION, headers=headers).status_code == 200
    now = datetime.now(timezone.utc)

    def refused(**overrides):
        answer = client.post("/api/campaigns", json=campaign_data(**overrides), headers=headers)
        assert answer.status_code == 422, answer.get_json()
        return set(answer.get_json()["errors"]["json"])

    assert refused(ends_at=(now - timedelta(days=1)).isoformat()) == {"ends_at"}  # before its start
    too_long = refused(ends_at=(now + timedelta(days=61)).isoformat())
    assert too_long == {"ends_at"}
    assert refused(goal_cents=99) == {"goal_cents"}
    assert refused(goal_cents=1000.5) == {"goal_cents"}  # whole cents
    assert refused(funding_model="flexible") == {"funding_model"}
    assert refused(sector="cooking") == {"sector"}
    assert refused(starts_at="2026-12-01T10:00") == {"starts_at"}  # an instant needs its offset
    assert refused(grant_receipt_number="42") == {"grant_receipt_number"}
    assert refused(budget=[{"label": "Studio", "amount_cents": 0}]) == {"budget"}
    assert refused(title_fr="") == {"title_fr"}
    message = client.post("/api/campaigns", json=campaign_data(ends_at=(now + timedelta(days=61)).isoformat()),
                          headers=headers).get_json()
    assert message["errors"]["json"]["ends_at"] == ["A campaign runs at most 60 days."]
    linked = client.post("/api/campaigns", json=campaign_data(grant_receipt_number="TR-2026-000042"), headers=headers)
    assert linked.status_code == 201 and linked.get_json()["grant_receipt_number"] == "TR-2026-000042"


def test_the_organisation_is_checked_as_the_grants_check_theirs(crowdfunding_app):
    client = crowdfunding_app.test_client()
    _olga, headers = owner(crowdfunding_app)

    def errors(**changes):
        answer = client.put("/api/owner/organisation", json={**ORGANISATION, **changes}, headers=headers)
        assert answer.status_code == 422
        return answer.get_json()["errors"]["json"]

    assert set(errors(siret="732 829 320 00075")) == {"siret"}  # a wrong check digit
    assert set(errors(siret=None)) == {"siret"}  # a company has one
    assert set(errors(kind="association", siret=None)) == {"rna"}
    assert set(errors(kind="association", siret=None, rna="X123")) == {"rna"}
    assert set(errors(postal_code="00123")) == {"postal_code"}
    assert set(errors(sector="cooking")) == {"sector"}
    association = client.put("/api/owner/organisation", headers=headers, json={
        **ORGANISATION, "kind": "association", "siret": None, "rna": "w 123 456 789"})
    assert association.status_code == 200 and association.get_json()["rna"] == "W123456789"


def test_tiers_with_pledges_are_never_made_worse_for_their_backers(crowdfunding_app):
    campaign = live(crowdfunding_app)
    client = crowdfunding_app.test_client()
    headers, [tier_id] = campaign["owner_headers"], campaign["tier_ids"]
    address = f"/api/campaigns/{campaign['id']}/tiers/{tier_id}"
    # Nobody on it yet: anything goes.
    assert client.patch(address, json={"minimum_cents": 2_500}, headers=headers).status_code == 200

    for number in range(3):
        _someone, someone = backer(crowdfunding_app, f"b{number}@example.org")
        assert client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=someone, json={
            "amount_cents": 3_000, "tier_id": tier_id, "method": "transfer"}).status_code == 201

    worse = client.patch(address, headers=headers, json={
        "minimum_cents": 5_000, "quantity": 2, "delivery_month": "2027-09", "description_fr": "Un autocollant."})
    assert worse.status_code == 409
    assert set(worse.get_json()["errors"]["json"]) == {"minimum_cents", "quantity", "delivery_month", "description_fr"}
    better = client.patch(address, headers=headers, json={"minimum_cents": 1_500, "quantity": 20,
                                                           "delivery_month": "2027-03"})
    assert better.status_code == 200 and better.get_json()["places_left"] == 17
    assert client.patch(address, headers=headers, json={"quantity": None}).get_json()["places_left"] is None
    assert client.delete(address, headers=headers).status_code == 409
    spare = client.post(f"/api/campaigns/{campaign['id']}/tiers", headers=headers, json={**TIER, "title_fr": "Merci"})
    assert client.delete(f"/api/campaigns/{campaign['id']}/tiers/{spare.get_json()['id']}",
                         headers=headers).status_code == 204


def test_an_owner_edits_only_their_own_campaigns_and_moderation_is_the_fund_managers(crowdfunding_app):
    campaign = live(crowdfunding_app)
    client = crowdfunding_app.test_client()
    _other, other_headers = owner(crowdfunding_app, "otto@example.org", "Otto")
    assert client.put("/api/owner/organisation", json=ORGANISATION, headers=other_headers).status_code == 200
    campaign_id, [tier_id] = campaign["id"], campaign["tier_ids"]
    for method, address, body in (
        ("patch", f"/api/campaigns/{campaign_id}", {"title_fr": "Volé"}),
        ("post", f"/api/campaigns/{campaign_id}/tiers", TIER),
        ("patch", f"/api/campaigns/{campaign_id}/tiers/{tier_id}", {"title_fr": "Volé"}),
        ("post", f"/api/campaigns/{campaign_id}/submit", None),
        ("post", f"/api/campaigns/{campaign_id}/news", {"text": "Volé"}),
        ("get", f"/api/campaigns/{campaign_id}/pledges", None),
        ("get", f"/api/campaigns/{campaign_id}/pledges.csv", None),
    ):
        answer = getattr(client, method)(address, json=body, headers=other_headers)
        assert answer.status_code == 404, (method, address, answer.status_code)

    _bea, bea_headers = backer(crowdfunding_app, "bea@example.org")
    both = person(crowdfunding_app, "both@example.org", ["campaign_owner", "backer"], "Both")
    for headers, status in ((bea_headers, 403), ({}, 401), (campaign["owner_headers"], 403), (bearer(both), 403)):
        decision = client.post(f"/api/manage/campaigns/{campaign_id}/decision", json={"decision": "rejected",
                                                                                   "reason": "Non"}, headers=headers)
        assert decision.status_code == status
        assert client.get("/api/manage/campaigns", headers=headers).status_code == status
        assert client.get("/api/manage/transfers", headers=headers).status_code == status
    assert client.post("/api/campaigns", json=campaign_data(), headers=bea_headers).status_code == 403
    assert client.put("/api/owner/organisation", json=ORGANISATION, headers=bea_headers).status_code == 403
    _manon, manager_headers = manager(crowdfunding_app)
    listed = client.get("/api/manage/campaigns?status=live", headers=manager_headers).get_json()
    assert [item["id"] for item in listed] == [campaign_id]
    assert client.get("/api/manage/campaigns?status=draft", headers=manager_headers).get_json() == []
