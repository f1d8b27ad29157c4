"""Funds and calls through the API: validation per field, Paris time, transitions, safe edits."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from services.grants.models import Call, Fund
from tests.integration.grants.grants_manager_setup import account, call_payload, fund, iso, open_call


@pytest.fixture
def applicant(grants_app):
    return account(grants_app, "applicant@example.org", ["applicant"], "Ana")[1]


def _count(app, model):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_fund_objective_is_5_the_first_year_then_10_unless_given(grants, manager):
    first = fund(grants, manager, year=2026)
    assert first["grants_objective"] == 5 and first["envelope_cents"] == 5_000_000
    assert fund(grants, manager, year=2027)["grants_objective"] == 10
    assert fund(grants, manager, name="Autre fonds", year=2027)["grants_objective"] == 5
    assert fund(grants, manager, year=2028, grants_objective=7)["grants_objective"] == 7
    listed = grants.get("/api/funds", headers=manager).get_json()
    assert [f["year"] for f in listed] == [2028, 2027, 2027, 2026]


def test_bad_fund_is_refused_field_by_field_and_nothing_is_saved(grants_app, grants, manager):
    response = grants.post("/api/funds", json={"year": "soon", "envelope_cents": -5, "grants_objective": 0},
                           headers=manager)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert set(errors) == {"name", "year", "envelope_cents", "grants_objective"}
    assert _count(grants_app, Fund) == 0

    fund(grants, manager)
    duplicate = grants.post("/api/funds", json={"name": "Fonds réactif", "year": 2026, "envelope_cents": 1},
                            headers=manager)
    assert duplicate.status_code == 409 and "year" in duplicate.get_json()["errors"]["json"]
    assert _count(grants_app, Fund) == 1


def test_a_call_is_created_in_draft_with_its_rules(grants, manager):
    fund_id = fund(grants, manager)["id"]
    response = grants.post("/api/calls", json=call_payload(fund_id), headers=manager)
    assert response.status_code == 201
    call = response.get_json()
    assert call["status"] == "draft" and call["accepting_applications"] is False
    assert call["postal_codes"] == ["63000", "63100"]
    assert [d["code"] for d in call["required_documents"]] == ["budget", "presentation"]
    assert call["scoring_grid"][0]["weight"] == 3
    # A draft is the fund manager's own: nobody else sees it.
    assert grants.get(f"/api/calls/{call['id']}").status_code == 404
    assert grants.get(f"/api/calls/{call['id']}", headers=manager).status_code == 200
    assert grants.get("/api/calls").get_json() == []
    assert [c["id"] for c in grants.get("/api/manage/calls?status=draft", headers=manager).get_json()] == [call["id"]]


def test_bad_call_is_refused_field_by_field_and_nothing_is_saved(grants_app, grants, manager):
    fund_id = fund(grants, manager)["id"]
    payload = call_payload(
        fund_id,
        title_fr="",
        postal_codes=["63000", "6300"],
        sectors=["music", "knitting"],
        organisation_kinds=["company", "company"],
        min_other_funding_share_percent=120,
        max_award_cents=-1,
        opens_at="next monday",
        required_documents=[{"code": "Budget!", "label_fr": "Budget"}],
        scoring_grid=[{"code": "quality", "label_fr": "Qualité", "weight": -2, "levels": []}],
    )
    del payload["description_fr"]
    response = grants.post("/api/calls", json=payload, headers=manager)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert set(errors) == {
        "title_fr", "description_fr", "postal_codes", "sectors", "organisation_kinds",
        "min_other_funding_share_percent", "max_award_cents", "opens_at", "required_documents", "scoring_grid",
    }
    closes_first = grants.post(
        "/api/calls", json=call_payload(fund_id, opens_at="2027-02-01T09:00", closes_at="2027-01-31T18:00"),
        headers=manager,
    )
    assert closes_first.status_code == 422
    assert closes_first.get_json()["errors"]["json"] == {"closes_at": ["The call must close after it opens."]}
    unknown_fund = grants.post("/api/calls", json=call_payload(fund_id + 1), headers=manager)
    assert unknown_fund.status_code == 422 and "fund_id" in unknown_fund.get_json()["errors"]["json"]
    assert _count(grants_app, Call) == 0


def test_paris_times_across_daylight_saving_changes(grants_app, grants, manager):
    fund_id = fund(grants, manager)["id"]
    # 02:30 on 28 March 2027 never shows on a Paris clock: summer time jumps from 02:00 to 03:00.
    gap = grants.post("/api/calls", json=call_payload(fund_id, opens_at="2027-03-01T09:00",
                                                      closes_at="2027-03-28T02:30"), headers=manager)
    assert gap.status_code == 422
    assert "does not exist in Europe/Paris" in gap.get_json()["errors"]["json"]["closes_at"][0]
    assert _count(grants_app, Call) == 0

    # 02:30 on 25 October 2026 happens twice; the first one (summer time, UTC+2) is taken.
    repeated = grants.post("/api/calls", json=call_payload(fund_id, opens_at="2026-10-01T09:00",
                                                           closes_at="2026-10-25T02:30"), headers=manager)
    assert repeated.status_code == 201
    call = repeated.get_json()
    assert call["closes_at"] == "2026-10-25T00:30:00+00:00"
    assert call["closes_at_paris"] == "2026-10-25T02:30:00+02:00"
    assert call["opens_at"] == "2026-10-01T07:00:00+00:00"
    with grants_app.extensions["db"].unit_of_work() as session:
        stored = session.get(Call, call["id"]).closes_at
    assert stored == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)

    # An instant with its offset is taken as it is.
    winter = grants.post("/api/calls", json=call_payload(fund_id, opens_at="2026-12-01T09:00:00+01:00",
                                                         closes_at="2026-12-20T17:00:00Z"), headers=manager)
    assert winter.get_json()["closes_at_paris"] == "2026-12-20T18:00:00+01:00"


def test_opening_needs_a_complete_call(grants, manager):
    fund_id = fund(grants, manager, envelope_cents=500_000)["id"]
    draft = grants.post("/api/calls", json=call_payload(fund_id, max_award_cents=0, scoring_grid=[]),
                        headers=manager).get_json()
    refused = grants.post(f"/api/calls/{draft['id']}/status", json={"status": "open"}, headers=manager)
    assert refused.status_code == 409
    assert set(refused.get_json()["errors"]["json"]) == {"max_award_cents", "scoring_grid"}
    assert grants.get(f"/api/calls/{draft['id']}", headers=manager).get_json()["status"] == "draft"

    # A maximum award above the fund's envelope is refused when it is written, with the field named.
    above_envelope = grants.patch(f"/api/calls/{draft['id']}", headers=manager, json={
        "max_award_cents": 600_000, "scoring_grid": call_payload(fund_id)["scoring_grid"]})
    assert above_envelope.status_code == 422
    assert above_envelope.get_json()["errors"]["json"] == {
        "max_award_cents": ["The maximum award is above the fund's envelope."]}
    assert grants.get(f"/api/calls/{draft['id']}", headers=manager).get_json()["scoring_grid"] == []
    created_above = grants.post("/api/calls", json=call_payload(fund_id, max_award_cents=500_001), headers=manager)
    assert created_above.status_code == 422
    assert set(created_above.get_json()["errors"]["json"]) == {"max_award_cents"}

    past = grants.post("/api/calls", json=call_payload(fund_id, max_award_cents=100, opens_at="2026-10-01T09:00",
                                                       closes_at="2026-10-25T02:30"), headers=manager).get_json()
    refused = grants.post(f"/api/calls/{past['id']}/status", json={"status": "open"}, headers=manager)
    assert refused.status_code == 409 and "closes_at" in refused.get_json()["errors"]["json"]


def test_a_call_moves_draft_open_closed_review_decided(grants_app, grants, manager):
    fund_id = fund(grants, manager)["id"]
    call = open_call(grants, manager, fund_id)
    assert call["status"] == "open" and call["accepting_applications"] is True
    assert [c["id"] for c in grants.get("/api/calls").get_json()] == [call["id"]]
    public = grants.get(f"/api/calls/{call['id']}")
    assert public.status_code == 200 and public.get_json()["title_fr"] == "Aide à la création 2026"

    status = f"/api/calls/{call['id']}/status"
    again = grants.post(status, json={"status": "open"}, headers=manager)
    assert again.status_code == 409 and again.get_json()["errors"]["json"]["status"]
    early = grants.post(status, json={"status": "closed"}, headers=manager)
    assert early.status_code == 409
    assert grants.post(status, json={"status": "decided"}, headers=manager).status_code == 409
    assert grants.post(status, json={"status": "draft"}, headers=manager).status_code == 422

    # The closing time passes: applicants are shut out at once, before anyone presses "close".
    with grants_app.extensions["db"].unit_of_work() as session:
        session.execute(update(Call).values(closes_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    still_open = grants.get(f"/api/calls/{call['id']}").get_json()
    assert still_open["status"] == "open" and still_open["accepting_applications"] is False
    assert grants.get("/api/calls").get_json() == []

    for step in ("closed", "in_review", "decided"):
        moved = grants.post(status, json={"status": step}, headers=manager)
        assert moved.status_code == 200 and moved.get_json()["status"] == step
    assert grants.post(status, json={"status": "in_review"}, headers=manager).status_code == 409


def test_an_open_call_changes_only_in_ways_that_do_not_hurt_applicants(grants, manager):
    fund_id = fund(grants, manager)["id"]
    call = open_call(grants, manager, fund_id)
    path = f"/api/calls/{call['id']}"
    closes_at = datetime.fromisoformat(call["closes_at"])

    earlier = grants.patch(path, json={"closes_at": iso(closes_at - timedelta(days=1))}, headers=manager)
    assert earlier.status_code == 409
    assert list(earlier.get_json()["errors"]["json"]) == ["closes_at"]
    fewer_codes = grants.patch(path, json={"postal_codes": ["63000"], "title_fr": "Nouveau titre"}, headers=manager)
    assert fewer_codes.status_code == 409 and list(fewer_codes.get_json()["errors"]["json"]) == ["postal_codes"]
    harsher = grants.patch(path, headers=manager, json={
        "sectors": ["music"], "organisation_kinds": ["company"], "min_other_funding_share_percent": 30,
        "max_award_cents": 900_000, "scoring_grid": [], "required_documents": call["required_documents"] + [
            {"code": "cv", "label_fr": "CV"}]})
    assert harsher.status_code == 409
    assert set(harsher.get_json()["errors"]["json"]) == {
        "sectors", "organisation_kinds", "min_other_funding_share_percent", "max_award_cents", "scoring_grid",
        "required_documents"}
    unchanged = grants.get(path).get_json()
    assert unchanged == {**call, "accepting_applications": True}

    kinder = grants.patch(path, headers=manager, json={
        "closes_at": iso(closes_at + timedelta(days=7)),
        "postal_codes": ["63000", "63100", "63110"],
        "sectors": [],  # no restriction: every sector
        "min_other_funding_share_percent": 10,
        "max_award_cents": 1_200_000,
        "required_documents": call["required_documents"][:1],
        "title_fr": "Aide à la création (prolongé)",
        "scoring_grid": call["scoring_grid"],  # sent back unchanged
    })
    assert kinder.status_code == 200, kinder.get_json()
    body = kinder.get_json()
    assert datetime.fromisoformat(body["closes_at"]) == closes_at + timedelta(days=7)
    assert body["postal_codes"] == ["63000", "63100", "63110"] and body["sectors"] == []
    assert body["title_fr"] == "Aide à la création (prolongé)" and body["max_award_cents"] == 1_200_000


def test_a_draft_can_change_anything(grants, manager):
    fund_id = fund(grants, manager)["id"]
    draft = grants.post("/api/calls", json=call_payload(fund_id), headers=manager).get_json()
    changed = grants.patch(f"/api/calls/{draft['id']}", headers=manager,
                           json={"postal_codes": [], "max_award_cents": 10, "scoring_grid": []})
    assert changed.status_code == 200 and changed.get_json()["max_award_cents"] == 10
    bad = grants.patch(f"/api/calls/{draft['id']}", headers=manager,
                       json={"closes_at": "2020-01-01T00:00", "sectors": ["nope"]})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]["json"]) == {"sectors"}
    before_opening = grants.patch(f"/api/calls/{draft['id']}", headers=manager, json={"closes_at": "2020-01-01T00:00"})
    assert before_opening.status_code == 422 and "closes_at" in before_opening.get_json()["errors"]["json"]


def test_the_openapi_document_describes_the_routes_and_their_security(grants):
    spec = grants.get("/openapi.json").get_json()
    for path in ("/api/funds", "/api/calls", "/api/calls/{call_id}", "/api/calls/{call_id}/status",
                 "/api/manage/calls", "/api/manage/calls/{call_id}/applications",
                 "/api/manage/calls/{call_id}/applications.csv", "/api/manage/applications/{application_id}"):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/calls"]["post"]["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/api/calls"]["get"]
    assert "text/csv" in spec["paths"]["/api/manage/calls/{call_id}/applications.csv"]["get"]["responses"]["200"]["content"]
