"""The jury's refusals not met in the other tests, each with its status and nothing changed."""
from sqlalchemy import func, select

from services.grants.models import Assignment, JuryLogEntry, PanelMember
from tests.integration.grants.applicant_setup import a_draft_call, manager
from tests.integration.grants.jury_setup import Jurors, call_in_review, juror, scores


def _count(app, model):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_refusals_of_the_fund_managers_routes(grants_app, grants):
    call_id, (first, second) = call_in_review(grants_app, ["Tournée des Volcans", "Ciné-plein-air"])
    headers = manager(grants_app)
    base = f"/api/manage/calls/{call_id}"
    assert grants.post(f"{base}/assignments/automatic", headers=headers).status_code == 409  # no panel yet
    lea, nina = juror(grants_app, "lea@example.com", "Léa"), juror(grants_app, "nina@example.fr", "Nina")
    grants.post(f"{base}/jury/members", json={"juror_id": lea.id}, headers=headers)
    # By hand: an application of no call of ours, a juror off the panel.
    unknown = grants.post(f"{base}/assignments", json={"application_id": 999999, "juror_id": lea.id}, headers=headers)
    assert unknown.status_code == 422 and "application_id" in unknown.get_json()["errors"]["json"]
    off = grants.post(f"{base}/assignments", json={"application_id": first, "juror_id": nina.id}, headers=headers)
    assert off.status_code == 422 and "juror_id" in off.get_json()["errors"]["json"]
    assert grants.delete(f"{base}/jury/members/{nina.id}", headers=headers).status_code == 404
    for path in ("/api/manage/assignments/999999", ):
        assert grants.delete(path, headers=headers).status_code == 404
    for path in ("/api/manage/declarations/999999/reopen", "/api/manage/reviews/999999/reopen"):
        assert grants.post(path, headers=headers).status_code == 404
    assert grants.post("/api/manage/flags/999999", json={"decision": "confirm"}, headers=headers).status_code == 404
    assert grants.post("/api/manage/flags/1", json={"decision": "maybe"}, headers=headers).status_code == 422

    grants.patch(f"{base}/jury", json={"reviews_per_application": 1}, headers=headers)
    grants.post(f"{base}/assignments/automatic", headers=headers)
    client = Jurors(grants, lea)
    assert client.declare(first).status_code == 201
    assert client.score(first, scores(3, 2)).status_code == 200
    [submitted] = [a for a in grants.get(f"{base}/assignments", headers=headers).get_json()
                   if a["application_id"] == first][0]["assignments"]
    # A submitted review keeps its assignment and its juror on the panel.
    assert grants.delete(f"/api/manage/assignments/{submitted['id']}", headers=headers).status_code == 409
    assert grants.delete(f"{base}/jury/members/{lea.id}", headers=headers).status_code == 409
    assert (_count(grants_app, Assignment), _count(grants_app, PanelMember)) == (2, 1)

    # The juror: a review never saved, a document the call never asked for.
    assert client.declare(second).status_code == 201
    assert client.get(f"/applications/{second}/review").status_code == 404
    assert client.get(f"/applications/{second}/documents/statutes").status_code == 404

    # Once decided (with a review missing: the fund manager says so), the jury's work is over.
    assert grants.post(f"/api/manage/calls/{call_id}/decision", json={"with_reviews_missing": True},
                       headers=headers).status_code == 200
    logged = _count(grants_app, JuryLogEntry)
    assert grants.patch(f"{base}/jury", json={"reviews_per_application": 2}, headers=headers).status_code == 409
    assert grants.post(f"{base}/jury/members", json={"juror_id": nina.id}, headers=headers).status_code == 409
    assert grants.post(f"{base}/deliberation", headers=headers).status_code == 409
    assert grants.post(f"/api/manage/reviews/{submitted['review_id']}/reopen", headers=headers).status_code == 409
    assert client.put(f"/applications/{second}/review", scores(1, 1)).status_code == 409
    assert client.get(f"/applications/{first}/submitted").status_code == 200  # still readable
    assert _count(grants_app, JuryLogEntry) == logged


def test_a_draft_call_has_no_jury_yet(grants_app, grants):
    call = a_draft_call(grants_app)
    headers = manager(grants_app)
    someone = juror(grants_app, "lea@example.com", "Léa")
    refused = grants.post(f"/api/manage/calls/{call['id']}/jury/members", json={"juror_id": someone.id}, headers=headers)
    assert refused.status_code == 409 and "draft" in refused.get_json()["message"]
    assert _count(grants_app, PanelMember) == 0


def test_an_application_withdrawn_during_the_review_leaves_its_jurors(grants_app, grants):
    from services.grants import jury
    from shared.core.outbox import OutboxMessage
    from tests.integration.grants.applicant_setup import applicant

    call_id, (first, second) = call_in_review(grants_app, ["Tournée des Volcans", "Ciné-plein-air"])
    headers = manager(grants_app)
    lea = juror(grants_app, "lea@example.com", "Léa")
    base = f"/api/manage/calls/{call_id}"
    grants.post(f"{base}/jury/members", json={"juror_id": lea.id}, headers=headers)
    grants.patch(f"{base}/jury", json={"reviews_per_application": 1, "review_deadline": "2099-12-18T18:00"},
                 headers=headers)
    grants.post(f"{base}/assignments/automatic", headers=headers)
    client = Jurors(grants, lea)
    assert client.declare(first).status_code == 201

    _, own = applicant(grants_app, email="applicant0@example.org", name="Applicant 0", profile=None)
    assert grants.post(f"/api/applications/{first}/withdraw", headers=own).status_code == 200
    assert client.get(f"/applications/{first}").get_json()["stage"] == "withdrawn"
    assert client.get(f"/applications/{first}/submitted").status_code == 404
    assert client.score(first, scores(3, 2)).status_code == 404
    assert client.declare(second).status_code == 201
    assert client.score(second, scores(3, 2)).status_code == 200
    with grants_app.extensions["db"].unit_of_work() as session:
        assert jury.missing_reviews(session, call_id) == 0 and jury.reviews_complete(session, call_id)
        assert [row.application_id for row in jury.call_ranking(session, call_id).ranking.rows] == [second]
        pending = [row.payload for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.name == "jury.reviews_pending").order_by(OutboxMessage.id))]
    # Scheduled once, cancelled when the last review left was submitted.
    assert [(p["revision"], p["remind_at"] is not None) for p in pending] == [(1, True), (2, False)]
    assert Jurors(grants, lea).get(f"/calls/{call_id}/assignments").get_json()[0]["stage"] == "withdrawn"
