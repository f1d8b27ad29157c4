"""An applicant's whole journey, through the API and through the pages: an open call, sign-up
confirmed by the link in the outbox event, the organisation, a draft, real PDFs, eligibility
failures named, submission, then the outbox relayed to Redis and the real notifications worker
sending the acknowledgement by SMTP, in the applicant's language. And the closing time, to the
second, for someone a moment too late."""
import io
import time
from datetime import datetime, timezone

from sqlalchemy import select

from services.notifications.models import Delivery
from shared.core.outbox import OutboxMessage, Relay
from tests.conftest import wait_until
from tests.integration.grants.applicant_setup import ANSWERS, PROFILE, a_call, applicant, in_seconds, set_closing_time, small_pdf
from tests.pages import post_form, text


def last_event(app, name) -> dict:
    with app.extensions["db"].unit_of_work() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.name == name).order_by(OutboxMessage.id.desc())).first()
        return row.payload


def acknowledgements(app, email):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(Delivery).where(Delivery.kind == "application_received",
                                                      Delivery.recipient_email == email)).all()


def sent_acknowledgement(app, email):
    rows = acknowledgements(app, email)
    return rows if rows and rows[0].status == "sent" else None


def relay_everything(grants_app, broker) -> int:
    relay = Relay(grants_app.extensions["db"], broker)
    total = 0
    while sent := relay.relay_batch():
        total += sent
    return total


def upload(client, headers, application_id, code):
    return client.put(f"/api/applications/{application_id}/documents/{code}",
                      data={"file": (io.BytesIO(small_pdf(code)), f"{code}.pdf")},
                      headers=headers, content_type="multipart/form-data")


def test_journey_through_the_api_to_the_acknowledgement_email(
    grants_app, grants, notifications_app, notifications_worker, broker, inbox
):
    call = a_call(grants_app)

    signed_up = grants.post("/api/accounts", json={"email": "nora@example.org", "name": "Nora",
                                                   "password": "a long password", "language": "en"})
    assert signed_up.status_code == 201
    assert grants.post("/api/auth/token", json={"email": "nora@example.org", "password": "a long password"}).status_code == 403
    confirm_url = last_event(grants_app, "account.registered")["confirm_url"]
    assert grants.post("/api/accounts/confirm", json={"token": confirm_url.rsplit("/", 1)[1]}).status_code == 200
    token = grants.post("/api/auth/token", json={"email": "nora@example.org", "password": "a long password"})
    headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}

    assert grants.put("/api/profile", json={**PROFILE, "postal_code": "75011"}, headers=headers).status_code == 200
    draft = grants.post("/api/applications", json={"call_id": call["id"], "project_title": "Volcano Tour"}, headers=headers)
    assert draft.status_code == 201
    application_id = draft.get_json()["id"]
    assert grants.patch(f"/api/applications/{application_id}", json={**ANSWERS, "project_title": "Volcano Tour"},
                        headers=headers).status_code == 200
    assert upload(grants, headers, application_id, "budget").status_code == 200

    # Outside the territory and a document missing: both named, nothing submitted.
    refused = grants.post(f"/api/applications/{application_id}/submit", headers=headers)
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]["json"]["rules"]) == {"territory", "documents"}

    assert grants.put("/api/profile", json=PROFILE, headers=headers).status_code == 200
    assert upload(grants, headers, application_id, "presentation").status_code == 200
    submitted = grants.post(f"/api/applications/{application_id}/submit", headers=headers)
    assert submitted.status_code == 200
    receipt = submitted.get_json()["receipt_number"]

    # Someone else, a moment too late.
    _, late_headers = applicant(grants_app, "bob@example.org", "Bob")
    late = grants.post("/api/applications", json={"call_id": call["id"], **ANSWERS}, headers=late_headers).get_json()
    for code in ("budget", "presentation"):
        assert upload(grants, late_headers, late["id"], code).status_code == 200
    closes_at = in_seconds(1)
    set_closing_time(grants_app, call["id"], closes_at)
    time.sleep(max((closes_at - datetime.now(timezone.utc)).total_seconds(), 0) + 0.05)
    too_late = grants.post(f"/api/applications/{late['id']}/submit", headers=late_headers)
    assert too_late.status_code == 409 and too_late.get_json()["message"].startswith("The call closed on ")

    assert relay_everything(grants_app, broker) >= 4  # registered, 2 drafts started, submitted
    [delivery] = wait_until(lambda: sent_acknowledgement(notifications_app, "nora@example.org"),
                            message="the acknowledgement email")
    assert delivery.language == "en" and delivery.context["receipt_number"] == receipt
    [message] = [m for m in inbox.messages if "Application received" in m["Subject"]]
    assert message["To"] == "Nora <nora@example.org>"
    assert message["Subject"] == f"Application received: Creation grant 2026 (no. {receipt})"
    assert "Volcano Tour" in message.get_body(("plain",)).get_content()
    assert acknowledgements(notifications_app, "bob@example.org") == []


def test_journey_through_the_pages_to_the_acknowledgement_email(
    grants_app, notifications_app, notifications_worker, broker, inbox
):
    call = a_call(grants_app)
    client = grants_app.test_client()

    signed_up = post_form(client, "/signup", {"name": "Ana", "email": "ana@example.org",
                                              "password": "a long password", "language": "fr"})
    assert signed_up.status_code == 302
    confirm_url = last_event(grants_app, "account.registered")["confirm_url"]
    # The link names the public address (the proxy, the grants' path); the test client is the app itself.
    confirm_path = confirm_url.removeprefix(grants_app.config["SETTINGS"].public_url)
    assert "Votre adresse e-mail est confirmée" in text(client.get(confirm_path, follow_redirects=True))
    assert post_form(client, "/signin", {"email": "ana@example.org", "password": "a long password"}).status_code == 302

    # The call's Apply link: the profile comes first, then back to the call.
    apply = client.get(f"/applications/new?call={call['id']}")
    assert apply.status_code == 302
    profile_form = {**{k: v for k, v in PROFILE.items() if v is not None}, "head_count": "4"}
    back = post_form(client, apply.headers["Location"], profile_form)
    assert back.headers["Location"] == f"/applications/new?call={call['id']}"
    started = post_form(client, back.headers["Location"], {})
    assert started.status_code == 302
    page = started.headers["Location"]

    form = {"project_title": "Tournée des Volcans", "summary": "Douze dates.", "description": "Concerts et ateliers.",
            "timeline": "2027", "jobs_expected": "2", "requested_euros": "8000", "total_budget_euros": "20000",
            "source_kind": ["own_funds", ""], "source_amount": ["12000", ""], "source_description": ["", ""]}
    assert post_form(client, page, {**form, "action": "save"}).status_code == 302
    for code in ("budget", "presentation"):
        uploaded = post_form(client, f"{page}/documents/{code}", {"file": (io.BytesIO(small_pdf(code)), f"{code}.pdf")},
                             form_path=page, content_type="multipart/form-data")
        assert uploaded.status_code == 302
    submitted = post_form(client, page, {**form, "action": "submit"}, follow_redirects=True)
    assert submitted.status_code == 200 and "Votre candidature est déposée" in text(submitted)
    receipt = last_event(grants_app, "application.submitted")["receipt_number"]
    assert receipt in text(client.get("/applications"))

    relay_everything(grants_app, broker)
    [delivery] = wait_until(lambda: sent_acknowledgement(notifications_app, "ana@example.org"),
                            message="the acknowledgement email")
    assert delivery.language == "fr"
    [message] = [m for m in inbox.messages if m["To"] == "Ana <ana@example.org>" and receipt in m["Subject"]]
    assert message["Subject"] == f"Candidature reçue : Aide à la création 2026 (n° {receipt})"
    assert "Tournée des Volcans" in message.get_body(("plain",)).get_content()
