"""The fund manager's eligibility filter follows drafts as applicants fill them in."""
import io


from tests.integration.grants.applicant_setup import ANSWERS, PROFILE, a_call, applicant, manager, small_pdf


def _eligible_ids(app, call_id, value):
    response = app.test_client().get(
        f"/api/manage/calls/{call_id}/applications?eligible={value}", headers=manager(app)
    )
    assert response.status_code == 200, response.get_json()
    return sorted(item["id"] for item in response.get_json())


def test_drafts_are_filtered_by_whether_they_meet_the_rules_now(grants_app):
    call = a_call(grants_app)
    client = grants_app.test_client()
    _, ana = applicant(grants_app)
    _, bob = applicant(grants_app, email="bob@example.org", name="Bob",
                       profile={**PROFILE, "legal_name": "Bob Films", "postal_code": "75011"})  # outside the territory
    ana_draft = client.post("/api/applications", json={"call_id": call["id"], **ANSWERS}, headers=ana).get_json()
    bob_draft = client.post("/api/applications", json={"call_id": call["id"], **ANSWERS}, headers=bob).get_json()

    # Ana's draft lacks only its documents (a rule); Bob's is also outside the territory.
    assert _eligible_ids(grants_app, call["id"], "false") == sorted([ana_draft["id"], bob_draft["id"]])

    # Bob moves to the metropolis: his draft is re-checked with his new profile.
    moved = client.put("/api/profile", json={**PROFILE, "legal_name": "Bob Films"}, headers=bob)
    assert moved.status_code == 200
    # Ana asks for more than the call's maximum award, then brings it back within the rules.
    client.patch(f"/api/applications/{ana_draft['id']}", json={"requested_cents": 99_000_000}, headers=ana)
    assert ana_draft["id"] in _eligible_ids(grants_app, call["id"], "false")
    assert _eligible_ids(grants_app, call["id"], "true") == []

    # Bob attaches the documents the call requires: his draft now meets every rule.
    for code in ("budget", "presentation"):
        uploaded = client.put(
            f"/api/applications/{bob_draft['id']}/documents/{code}",
            data={"file": (io.BytesIO(small_pdf(code)), f"{code}.pdf")},
            content_type="multipart/form-data", headers=bob,
        )
        assert uploaded.status_code == 200, uploaded.get_json()
    assert _eligible_ids(grants_app, call["id"], "true") == [bob_draft["id"]]
    assert _eligible_ids(grants_app, call["id"], "false") == [ana_draft["id"]]
