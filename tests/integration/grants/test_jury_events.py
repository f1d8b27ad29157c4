"""The jury across the services, through the real relays, Redis and dramatiq workers: a juror
invited by the fund manager gets the email from the real notifications worker and a real SMTP
server, and the grants service learns their organisation and SIREN from `invitation.accepted`;
nobody can sign up as a juror; the review deadline's reminder reaches the jurors who have
reviews left, in their language, and only them."""
from datetime import datetime, timedelta, timezone

import dramatiq
import pytest
from sqlalchemy import select

import services.grants.actors  # noqa: F401  (declares the grants queue, which invitation.accepted reaches)
from services.grants.models import JurorProfile
from services.notifications.models import Delivery
from shared.core.clock import format_paris
from shared.core.outbox import OutboxMessage, Relay
from tests.conftest import wait_until
from tests.integration.grants.applicant_setup import manager
from tests.integration.grants.jury_setup import Jurors, call_in_review, juror, scores
from tests.pages import post_form, text

PASSWORD = "a long password"


@pytest.fixture
def workers(broker, notifications_app):
    """A real dramatiq worker for the grants and notifications queues."""
    import services.notifications.actors  # noqa: F401

    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=2)
    worker.start()
    yield worker
    worker.stop()


def _token(accounts_app, email, password=PASSWORD):
    answer = accounts_app.test_client().post("/api/auth/token", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def _profile(grants_app, account_id):
    with grants_app.extensions["db"].unit_of_work() as session:
        profile = session.get(JurorProfile, account_id)
        return profile and (profile.name, profile.email, profile.organisation, profile.siren)


def test_a_juror_is_invited_by_email_and_grants_learns_their_organisation(
    accounts_app, grants_app, notifications_app, workers, broker, inbox
):
    from tests.people import person

    person(accounts_app, "manon@example.org", ["fund_manager"], "Manon")
    api = accounts_app.test_client()
    invited = api.post("/api/invitations", headers=_token(accounts_app, "manon@example.org"), json={
        "email": "jules@films-du-puy.fr", "name": "Jules Martin", "organisation": "Les Films du Puy",
        "siren": "552100554", "roles": ["juror"]})
    assert invited.status_code == 201
    relay = Relay(accounts_app.extensions["db"], broker)
    relay.relay_batch()

    # The email, by the real notifications worker, through a real SMTP server.
    [message] = wait_until(lambda: inbox.messages, message="the invitation email")
    assert message["To"] == "Jules Martin <jules@films-du-puy.fr>"
    body = message.get_body(("plain",)).get_content()
    assert "membre du jury" in body and "Les Films du Puy" in body and "Manon" in body
    accept_url = next(word for word in body.split() if "/invitations/" in word)

    # The newcomer chooses a password from the link, on the accounts service's page.
    browser = accounts_app.test_client()
    path = "/invitations/" + accept_url.rsplit("/", 1)[1]
    assert "jules@films-du-puy.fr" in text(browser.get(path))
    assert post_form(browser, path, {"password": "une phrase de juré du puy", "language": "fr"}).status_code == 302
    with accounts_app.extensions["db"].unit_of_work() as session:
        [accepted] = session.scalars(select(OutboxMessage).where(OutboxMessage.name == "invitation.accepted")).all()
        jules_id = accepted.payload["account_id"]
        assert accepted.payload["invited_roles"] == ["juror"] and accepted.payload["siren"] == "552100554"
    relay.relay_batch()

    # Grants keeps the juror's profile from the event (never from the accounts database).
    wait_until(lambda: _profile(grants_app, jules_id), message="the juror's profile in grants")
    assert _profile(grants_app, jules_id) == ("Jules Martin", "jules@films-du-puy.fr", "Les Films du Puy", "552100554")
    listed = grants_app.test_client().get("/api/manage/jurors", headers=manager(grants_app)).get_json()
    assert [(j["id"], j["organisation"]) for j in listed] == [(jules_id, "Les Films du Puy")]
    # Their own token works on the jury's routes.
    assert grants_app.test_client().get("/api/jury/calls", headers=_token(
        accounts_app, "jules@films-du-puy.fr", "une phrase de juré du puy")).status_code == 200


def test_nobody_can_sign_up_as_a_juror(accounts_app, grants_app):
    from services.accounts.models import Account
    from tests.people import person

    api = accounts_app.test_client()
    for role in ("juror", "fund_manager", "referent"):
        refused = api.post("/api/accounts", json={"email": "self@example.org", "name": "Self", "password": PASSWORD,
                                                  "role": role})
        assert refused.status_code == 422 and "role" in refused.get_json()["errors"]["json"]
    assert 'value="juror"' not in text(accounts_app.test_client().get("/signup?lang=en"))
    page = post_form(accounts_app.test_client(), "/signup", {"email": "self@example.org", "name": "Self",
                                                             "password": "une phrase assez longue", "role": "juror"})
    assert page.status_code == 422
    ana = person(accounts_app, "ana@example.org", ["applicant"], "Ana")
    taken = api.post("/api/accounts/me/roles", json={"role": "juror"}, headers=_token(accounts_app, "ana@example.org"))
    assert taken.status_code == 422
    with accounts_app.extensions["db"].unit_of_work() as session:
        assert [account.roles for account in session.scalars(select(Account))] == [["applicant"]]
        assert session.scalar(select(OutboxMessage.id).where(OutboxMessage.name == "invitation.accepted")) is None
    # Only an invitation makes a juror in grants: a token with the role and no profile is no juror.
    juror_by_token = person(grants_app, "forged@example.org", ["juror"], "Forged")
    headers = manager(grants_app)
    assert [j["id"] for j in grants_app.test_client().get("/api/manage/jurors", headers=headers).get_json()] == []
    assert ana.id != juror_by_token.id


def _reminders(notifications_app):
    with notifications_app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(Delivery).where(Delivery.kind == "review_reminder").order_by(Delivery.id)).all()


def test_the_reminder_reaches_jurors_with_reviews_left_in_their_language(
    grants_app, grants, notifications_app, workers, relay, inbox
):
    call_id, applications = call_in_review(grants_app, ["Tournée des Volcans", "Ciné-plein-air"])
    headers = manager(grants_app)
    lea = juror(grants_app, "lea@sono-mondes.fr", "Léa", "Sono Mondes", language="en")
    nina = juror(grants_app, "nina@studio-puy.fr", "Nina", "Studio Puy", language="fr")
    for someone in (lea, nina):
        grants.post(f"/api/manage/calls/{call_id}/jury/members", json={"juror_id": someone.id}, headers=headers)
    # The deadline, 3 days (the default lead time) and 4 seconds from now: the reminder is due in 4 s.
    deadline = datetime.now(timezone.utc) + timedelta(days=3, seconds=4)
    grants.patch(f"/api/manage/calls/{call_id}/jury", headers=headers,
                 json={"reviews_per_application": 2, "review_deadline": deadline.isoformat()})
    assert grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers).get_json()["added"] == 4
    # Nina is done before it is due: her reminder is cancelled.
    client = Jurors(grants, nina)
    for application_id in applications:
        assert client.declare(application_id).status_code == 201
        assert client.score(application_id, scores(3, 2)).status_code == 200
    relay.relay_batch()

    def to_jurors():
        return [m for m in inbox.messages if "sono-mondes" in m["To"] or "studio-puy" in m["To"]]

    [message] = wait_until(to_jurors, timeout=30, message="Léa's reminder")
    assert message["To"] == "Léa <lea@sono-mondes.fr>"
    shown = format_paris(deadline, "en")
    assert " ".join(message["Subject"].split()) == " ".join(
        f'Jury: your reviews for the call "Creation grant 2026" are due by {shown} (Paris time)'.split())
    assert f"/jury/calls/{call_id}" in message.get_body(("plain",)).get_content()
    rows = wait_until(lambda: (rows := _reminders(notifications_app)) and all(r.status != "queued" for r in rows) and rows,
                      message="every reminder settled")
    by_recipient = {}
    for row in rows:
        by_recipient.setdefault(row.recipient_email, []).append((row.context["revision"], row.status))
    assert by_recipient == {"lea@sono-mondes.fr": [(1, "sent")], "nina@studio-puy.fr": [(1, "cancelled"), (2, "cancelled")]}
    assert len(to_jurors()) == 1  # the applicants got their receipts, Nina nothing


def test_a_moved_deadline_moves_the_reminder(grants_app, grants, notifications_app, workers, relay):
    call_id, applications = call_in_review(grants_app, ["Tournée des Volcans"])
    headers = manager(grants_app)
    lea = juror(grants_app, "lea@sono-mondes.fr", "Léa", language="en")
    grants.post(f"/api/manage/calls/{call_id}/jury/members", json={"juror_id": lea.id}, headers=headers)
    grants.post(f"/api/manage/calls/{call_id}/assignments/automatic", headers=headers)
    grants.patch(f"/api/manage/calls/{call_id}/jury", json={"review_deadline": "2099-06-20T18:00"}, headers=headers)
    grants.patch(f"/api/manage/calls/{call_id}/jury", json={"review_deadline": "2099-06-27T18:00",
                                                            "reminder_days_before": 5}, headers=headers)
    grants.patch(f"/api/manage/calls/{call_id}/jury", json={"disagreement_threshold": 20}, headers=headers)  # no news
    relay.relay_batch()
    # The worker's two threads may take the two events in either order: the second reminder
    # alone stays queued (the first, handled later, finds it and changes nothing).
    [queued] = wait_until(lambda: [row for row in _reminders(notifications_app)
                                   if row.status == "queued" and row.context["revision"] == 2], message="the reminder")
    assert wait_until(lambda: len(_reminders(notifications_app)) in (1, 2), message="both events handled")
    assert [row.context["revision"] for row in _reminders(notifications_app) if row.status == "queued"] == [2]
    # 27 June 2099 18:00 in Paris (summer time, UTC+2), 5 days before.
    assert queued.due_at == datetime(2099, 6, 22, 16, 0, tzinfo=timezone.utc)
    assert queued.language == "en" and queued.context["call_title"] == "Creation grant 2026"
