"""The applicant's applications through the API: drafts, submission with every failing rule named,
the snapshot and receipt, withdrawal, the closing time to the second, and who may do what."""
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from services.grants.models import Application, Call
from shared.core.clock import PARIS
from shared.core.outbox import OutboxMessage
from tests.conftest import recorded_statements
from tests.integration.grants.applicant_setup import (
    ANSWERS,
    PROFILE,
    a_call,
    a_draft_call,
    applicant,
    in_seconds,
    manager,
    set_closing_time,
    small_pdf,
)


def events(app, name):
    with app.extensions["db"].unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.name == name).order_by(OutboxMessage.id))
        return [row.payload for row in rows]


def count_applications(app) -> int:
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Application))


def start(client, headers, call_id, **answers):
    response = client.post("/api/applications", json={"call_id": call_id, **answers}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def upload(client, headers, application_id, code, content=None, filename="file.pdf"):
    import io

    return client.put(
        f"/api/applications/{application_id}/documents/{code}",
        data={"file": (io.BytesIO(content if content is not None else small_pdf(code)), filename)},
        headers=headers, content_type="multipart/form-data",
    )


def complete_draft(client, headers, call_id) -> dict:
    draft = start(client, headers, call_id, **ANSWERS)
    for code in ("budget", "presentation"):
        assert upload(client, headers, draft["id"], code).status_code == 200
    return draft


def test_a_draft_is_saved_in_parts_and_announced_once(grants_app, grants):
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    draft = start(grants, headers, call["id"])
    assert draft["status"] == "draft" and draft["editable"] is True
    assert draft["project_title"] == "" and draft["requested_cents"] is None and draft["funding_sources"] == []
    assert [d["code"] for d in draft["required_documents"]] == ["budget", "presentation"]

    saved = grants.patch(f"/api/applications/{draft['id']}", json={"project_title": "Tournée", "requested_cents": 500_000,
                                                                    "funding_sources": ANSWERS["funding_sources"]}, headers=headers)
    assert saved.status_code == 200
    body = saved.get_json()
    assert (body["project_title"], body["requested_cents"], body["summary"]) == ("Tournée", 500_000, "")
    assert [s["kind"] for s in body["funding_sources"]] == ["own_funds", "bank_loan"]

    # The list is replaced, not added to; other answers stay.
    replaced = grants.patch(f"/api/applications/{draft['id']}",
                            json={"funding_sources": [{"kind": "crowdfunding", "amount_cents": 100_000}]}, headers=headers)
    body = replaced.get_json()
    assert body["funding_sources"] == [{"kind": "crowdfunding", "amount_cents": 100_000, "description": ""}]
    assert body["project_title"] == "Tournée" and body["requested_cents"] == 500_000

    mine = grants.get("/api/applications", headers=headers).get_json()
    assert [(a["id"], a["status"], a["project_title"]) for a in mine] == [(draft["id"], "draft", "Tournée")]

    started = events(grants_app, "application.draft_started")
    assert len(started) == 1
    assert started[0]["email"] == "ana@example.org" and started[0]["language"] == "fr"
    assert started[0]["closes_at"] == call["closes_at"]
    assert started[0]["application_url"] == f"http://127.0.0.1:8000/subventions/applications/{draft['id']}"
    assert started[0]["call_title"] == "Aide à la création 2026"


def test_a_draft_save_reads_in_two_statements_and_writes_in_one(grants_app, grants):
    """The person, then the application with its call, lists and organisation in one locked read;
    no lazy load and no query of its own for the organisation the call's rules are checked against."""
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    draft = complete_draft(grants, headers, call["id"])
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.get(Application, draft["id"]).eligible is True
    with recorded_statements(grants_app.extensions["db"].engine) as statements:
        saved = grants.patch(f"/api/applications/{draft['id']}", json={"requested_cents": 5_000_000}, headers=headers)
    assert saved.status_code == 200, saved.get_json()
    assert [statement.split(None, 1)[0] for statement in statements] == ["SELECT", "SELECT", "UPDATE"]
    assert "FROM accounts" in statements[0]
    assert "organisations" in statements[1] and "FOR UPDATE OF applications" in statements[1]
    # Still checked against the call's rules with the organisation (without it, eligibility is
    # unknown: None): above the call's maximum award, the draft is no longer eligible.
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.get(Application, draft["id"]).eligible is False


def test_bad_answers_get_a_message_each_and_change_nothing(grants_app, grants):
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    draft = start(grants, headers, call["id"], project_title="Avant")
    response = grants.patch(f"/api/applications/{draft['id']}", headers=headers, json={
        "project_title": "Après", "requested_cents": -5, "total_budget_cents": 12.5, "jobs_expected": "many",
        "funding_sources": [{"kind": "lottery", "amount_cents": 10}],
    })
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors["requested_cents"] == ["Amounts cannot be negative."]
    assert set(errors) == {"requested_cents", "total_budget_cents", "jobs_expected", "funding_sources"}
    assert "kind" in errors["funding_sources"]["0"]
    assert grants.get(f"/api/applications/{draft['id']}", headers=headers).get_json()["project_title"] == "Avant"


def test_one_application_per_call_and_a_profile_first(grants_app, grants):
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    start(grants, headers, call["id"])
    second = grants.post("/api/applications", json={"call_id": call["id"]}, headers=headers)
    assert second.status_code == 409 and second.get_json()["message"] == "You already have an application to this call."

    _, without_profile = applicant(grants_app, "bob@example.org", "Bob", profile=None)
    refused = grants.post("/api/applications", json={"call_id": call["id"]}, headers=without_profile)
    assert refused.status_code == 409
    assert refused.get_json()["message"] == "Fill in your organisation's profile first."

    unknown = grants.post("/api/applications", json={"call_id": 9999}, headers=headers)
    assert unknown.status_code == 422 and unknown.get_json()["errors"]["json"] == {"call_id": ["There is no such call."]}
    assert count_applications(grants_app) == 1
    assert len(events(grants_app, "application.draft_started")) == 1


def test_a_call_not_yet_open_or_in_draft_takes_no_application(grants_app, grants):
    later = a_call(grants_app)
    with grants_app.extensions["db"].unit_of_work() as session:
        session.execute(update(Call).where(Call.id == later["id"]).values(opens_at=in_seconds(3600)))
    draft_call = a_draft_call(grants_app)
    _, headers = applicant(grants_app)
    not_yet = grants.post("/api/applications", json={"call_id": later["id"]}, headers=headers)
    assert not_yet.status_code == 409 and not_yet.get_json()["message"].startswith("The call opens on ")
    assert not_yet.get_json()["message"].endswith("(Paris time).")
    hidden = grants.post("/api/applications", json={"call_id": draft_call["id"]}, headers=headers)
    assert hidden.status_code == 422 and hidden.get_json()["errors"]["json"] == {"call_id": ["There is no such call."]}
    assert count_applications(grants_app) == 0


def test_submission_names_every_missing_field_and_document(grants_app, grants):
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    draft = start(grants, headers, call["id"], project_title="Tournée")
    response = grants.post(f"/api/applications/{draft['id']}/submit", headers=headers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    for field in ("summary", "description", "requested_cents", "total_budget_cents", "jobs_expected", "timeline"):
        assert errors[field] == ["Required before submitting."], field
    assert "project_title" not in errors
    # Amount rules wait for the amounts; the missing documents are named by their label, not their code.
    assert errors["rules"] == {"documents": ["A required document is missing: Provisional budget.",
                                             "A required document is missing: Project presentation."]}
    assert grants.get(f"/api/applications/{draft['id']}", headers=headers).get_json()["status"] == "draft"
    assert events(grants_app, "application.submitted") == []


def test_every_failing_eligibility_rule_is_named(grants_app, grants):
    call = a_call(grants_app)
    outsider = {**PROFILE, "kind": "sole_trader", "postal_code": "75011", "sector": "video_games"}
    _, headers = applicant(grants_app, profile=outsider)
    draft = start(grants, headers, call["id"], **{
        **ANSWERS, "requested_cents": 1_500_000, "total_budget_cents": 2_000_000,
        "funding_sources": [{"kind": "private_sponsor", "amount_cents": 100_000}],
    })
    response = grants.post(f"/api/applications/{draft['id']}/submit", headers=headers)
    assert response.status_code == 422
    body = response.get_json()
    rules = body["errors"]["json"]["rules"]
    assert set(rules) == {"territory", "sector", "organisation_kind", "max_award", "budget_balanced",
                          "min_other_funding_share", "documents"}
    assert rules["min_other_funding_share"] == ["Other funding must cover at least 20% of the project's total budget."]
    assert set(body["errors"]["json"]) == {"rules"}

    over_budget = grants.patch(f"/api/applications/{draft['id']}", headers=headers,
                               json={"requested_cents": 900_000, "total_budget_cents": 800_000})
    assert over_budget.status_code == 200
    rules = grants.post(f"/api/applications/{draft['id']}/submit", headers=headers).get_json()["errors"]["json"]["rules"]
    assert "requested_within_budget" in rules and "max_award" not in rules
    with grants_app.extensions["db"].unit_of_work() as session:
        application = session.get(Application, draft["id"])
        assert (application.status, application.snapshot, application.receipt_number) == ("draft", None, None)


def test_submission_freezes_a_snapshot_with_a_receipt_and_announces_it(grants_app, grants):
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    draft = complete_draft(grants, headers, call["id"])
    response = grants.post(f"/api/applications/{draft['id']}/submit", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    year = datetime.now(PARIS).year
    assert body["status"] == "submitted" and body["eligible"] is True and body["editable"] is False
    assert body["receipt_number"] == f"TR-{year}-{draft['id']:06d}"
    snapshot = body["snapshot"]
    assert snapshot["receipt_number"] == body["receipt_number"]
    assert snapshot["organisation"]["legal_name"] == "Label Dôme SARL"
    assert snapshot["organisation"]["siret"] == "73282932000074"
    assert snapshot["requested_cents"] == 800_000 and snapshot["other_funding_cents"] == 1_200_000
    assert [s["kind"] for s in snapshot["funding_sources"]] == ["own_funds", "bank_loan"]
    assert {d["kind"]: d["sha256"] for d in snapshot["documents"]} == {
        d["code"]: d["sha256"] for d in body["documents"]}
    assert all(len(d["sha256"]) == 64 for d in snapshot["documents"])

    [submitted] = events(grants_app, "application.submitted")
    assert submitted["receipt_number"] == body["receipt_number"]
    assert (submitted["email"], submitted["name"], submitted["language"]) == ("ana@example.org", "Ana", "fr")
    assert submitted["project_title"] == "Tournée des Volcans"
    assert submitted["application_url"].endswith(f"/applications/{draft['id']}")

    # Frozen: no change, no new document, no second submission; the profile may move on.
    assert grants.patch(f"/api/applications/{draft['id']}", json={"project_title": "Autre"}, headers=headers).status_code == 409
    assert upload(grants, headers, draft["id"], "budget").status_code == 409
    again = grants.post(f"/api/applications/{draft['id']}/submit", headers=headers)
    assert again.status_code == 409 and again.get_json()["message"] == "This application is already submitted."
    assert grants.put("/api/profile", json={**PROFILE, "legal_name": "Nouveau nom"}, headers=headers).status_code == 200
    later = grants.get(f"/api/applications/{draft['id']}", headers=headers).get_json()
    assert later["snapshot"] == snapshot and later["project_title"] == "Tournée des Volcans"
    assert len(events(grants_app, "application.submitted")) == 1


def test_withdrawal_before_a_decision(grants_app, grants):
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    draft = complete_draft(grants, headers, call["id"])
    grants.post(f"/api/applications/{draft['id']}/submit", headers=headers)
    withdrawn = grants.post(f"/api/applications/{draft['id']}/withdraw", headers=headers)
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["status"] == "withdrawn" and withdrawn.get_json()["withdrawn_at"]
    [event] = events(grants_app, "application.withdrawn")
    assert event["application_id"] == draft["id"] and event["email"] == "ana@example.org"
    assert grants.post(f"/api/applications/{draft['id']}/withdraw", headers=headers).status_code == 409
    assert grants.patch(f"/api/applications/{draft['id']}", json={"summary": "x"}, headers=headers).status_code == 409

    _, other = applicant(grants_app, "bob@example.org", "Bob")
    decided = start(grants, other, call["id"])
    with grants_app.extensions["db"].unit_of_work() as session:
        session.execute(update(Call).where(Call.id == call["id"]).values(status="decided"))
    late = grants.post(f"/api/applications/{decided['id']}/withdraw", headers=other)
    assert late.status_code == 409 and "decision" in late.get_json()["message"]
    assert len(events(grants_app, "application.withdrawn")) == 1


def test_the_closing_time_is_enforced_to_the_second(grants_app, grants):
    call = a_call(grants_app)
    _, first = applicant(grants_app)
    _, second = applicant(grants_app, "bob@example.org", "Bob")
    on_time = complete_draft(grants, first, call["id"])
    too_late = complete_draft(grants, second, call["id"])

    closes_at = in_seconds(1.5)
    set_closing_time(grants_app, call["id"], closes_at)
    assert grants.post(f"/api/applications/{on_time['id']}/submit", headers=first).status_code == 200
    time.sleep(max((closes_at - datetime.now(timezone.utc)).total_seconds(), 0) + 0.05)

    refused = grants.post(f"/api/applications/{too_late['id']}/submit", headers=second)
    assert refused.status_code == 409
    paris = closes_at.astimezone(PARIS)
    assert refused.get_json()["message"].startswith(f"The call closed on {paris.day} {paris:%b %Y, %H:%M} (Paris time)")
    assert "(Paris time)" in refused.get_json()["message"]
    assert grants.patch(f"/api/applications/{too_late['id']}", json={"summary": "x"}, headers=second).status_code == 409
    assert upload(grants, second, too_late["id"], "budget").status_code == 409
    _, third = applicant(grants_app, "cleo@example.org", "Cléo")
    assert grants.post("/api/applications", json={"call_id": call["id"]}, headers=third).status_code == 409
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.get(Application, too_late["id"]).status == "draft"
    # Withdrawing stays possible until the decision.
    assert grants.post(f"/api/applications/{too_late['id']}/withdraw", headers=second).status_code == 200


def test_a_second_ago_is_too_late(grants_app, grants):
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    draft = complete_draft(grants, headers, call["id"])
    set_closing_time(grants_app, call["id"], datetime.now(timezone.utc) - timedelta(seconds=1))
    assert grants.post(f"/api/applications/{draft['id']}/submit", headers=headers).status_code == 409
    assert grants.get(f"/api/applications/{draft['id']}", headers=headers).get_json()["editable"] is False


def test_another_applicants_application_does_not_exist_for_you(grants_app, grants):
    call = a_call(grants_app)
    _, owner = applicant(grants_app)
    _, intruder = applicant(grants_app, "eve@example.org", "Eve")
    draft = complete_draft(grants, owner, call["id"])
    base = f"/api/applications/{draft['id']}"
    assert grants.get(base, headers=intruder).status_code == 404
    assert grants.patch(base, json={"project_title": "Volé"}, headers=intruder).status_code == 404
    assert grants.post(f"{base}/submit", headers=intruder).status_code == 404
    assert grants.post(f"{base}/withdraw", headers=intruder).status_code == 404
    assert upload(grants, intruder, draft["id"], "budget").status_code == 404
    assert grants.get(f"{base}/documents/budget", headers=intruder).status_code == 404
    assert grants.get("/api/applications", headers=intruder).get_json() == []
    body = grants.get(base, headers=owner).get_json()
    assert body["project_title"] == "Tournée des Volcans" and body["status"] == "draft"
    assert grants.get(base).status_code == 401


def test_roles_applicant_and_fund_manager_routes(grants_app, grants):
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    assert grants.post("/api/funds", json={"name": "Mon fonds", "year": 2026, "envelope_cents": 1}, headers=headers).status_code == 403
    assert grants.get("/api/manage/calls", headers=headers).status_code == 403
    assert grants.get(f"/api/manage/calls/{call['id']}/applications", headers=headers).status_code == 403
    assert grants.post(f"/api/calls/{call['id']}/status", json={"status": "closed"}, headers=headers).status_code == 403
    # And the other way round: a fund manager does not apply.
    assert grants.post("/api/applications", json={"call_id": call["id"]}, headers=manager(grants_app)).status_code == 403
