"""The notifications API: the delivery log for admins, my messages and my preferences."""
import pytest
from sqlalchemy import select

from services.notifications.deliveries import HANDLERS, RESEND_REQUESTED
from services.notifications.models import Delivery, Preference
from shared.accounts.models import Account, create_account
from shared.accounts.auth import issue_token
from shared.core.consumer import consume
from shared.core.outbox import OutboxMessage

from . import envelopes


@pytest.fixture
def sign_in(notifications_app):
    settings = notifications_app.config["SETTINGS"]

    def make(email, roles=("applicant",), confirmed=True):
        with notifications_app.extensions["db"].unit_of_work() as session:
            account = create_account(
                session, settings, email=email, name=email.split("@")[0], password="a long password",
                roles=list(roles), confirmed=confirmed,
            )
        token = issue_token(settings.secret_key, settings.token_audience, account.id, roles, 600)
        return {"Authorization": f"Bearer {token}"}

    return make


def _deliver(app, envelope, status="sent", last_error=None):
    db = app.extensions["db"]
    consume(db, HANDLERS, envelope)
    with db.unit_of_work() as session:
        row = session.scalars(select(Delivery).where(Delivery.event_id == envelope["id"])).one()
        row.status, row.last_error, row.attempts = status, last_error, 1
        return row.id


@pytest.fixture
def log(notifications_app):
    """Three deliveries: sent to ana, failed to bob, sent to bob (a reminder)."""
    events = [envelopes.password_reset("ana@example.org"), envelopes.account_registered("bob@example.org"),
              envelopes.submitted(email="bob@example.org")]
    ids = [
        _deliver(notifications_app, events[0]),
        _deliver(notifications_app, events[1], "failed", "recipient refused: 550 no such user"),
        _deliver(notifications_app, events[2]),
    ]
    return {"ids": ids, "events": events}


def test_admin_lists_failed_deliveries_with_their_reason(client, sign_in, log):
    admin = sign_in("admin@example.org", roles=("admin",))

    response = client.get("/api/deliveries?status=failed", headers=admin)

    assert response.status_code == 200
    [failed] = response.get_json()
    assert failed["id"] == log["ids"][1]
    assert failed["recipient_email"] == "bob@example.org"
    assert failed["status"] == "failed" and failed["attempts"] == 1
    assert failed["last_error"] == "recipient refused: 550 no such user"
    assert failed["event_name"] == "account.registered"


def test_admin_sees_status_per_event_and_per_recipient(client, sign_in, log):
    admin = sign_in("admin@example.org", roles=("admin",))

    by_event = client.get(f"/api/deliveries?event_id={log['events'][2]['id']}", headers=admin).get_json()
    by_recipient = client.get("/api/deliveries?recipient=BOB@example.org", headers=admin).get_json()
    everything = client.get("/api/deliveries?page_size=2", headers=admin)
    one = client.get(f"/api/deliveries/{log['ids'][0]}", headers=admin)

    assert [(d["kind"], d["status"]) for d in by_event] == [("application_received", "sent")]
    assert [d["id"] for d in by_recipient] == [log["ids"][2], log["ids"][1]]  # newest first
    assert len(everything.get_json()) == 2
    assert '"total": 3' in everything.headers["X-Pagination"]
    assert one.get_json()["recipient_email"] == "ana@example.org"
    assert client.get("/api/deliveries/999", headers=admin).status_code == 404
    bad = client.get("/api/deliveries?status=lost", headers=admin)
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]["query"]


def test_admin_resends_a_failed_delivery_through_the_outbox(notifications_app, client, sign_in, log):
    admin = sign_in("admin@example.org", roles=("admin",))
    failed_id = log["ids"][1]

    response = client.post(f"/api/deliveries/{failed_id}/resend", headers=admin)

    assert response.status_code == 202
    assert (response.get_json()["status"], response.get_json()["attempts"]) == ("queued", 0)
    with notifications_app.extensions["db"].unit_of_work() as session:
        events = session.scalars(select(OutboxMessage).where(OutboxMessage.name == RESEND_REQUESTED)).all()
    assert [event.payload for event in events] == [{"delivery_id": failed_id}]
    # Only a failed delivery can be sent again.
    again = client.post(f"/api/deliveries/{failed_id}/resend", headers=admin)
    assert again.status_code == 409
    assert "queued" in again.get_json()["message"]
    assert client.post(f"/api/deliveries/{log['ids'][0]}/resend", headers=admin).status_code == 409
    assert client.post("/api/deliveries/999/resend", headers=admin).status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [("get", "/api/deliveries"), ("get", "/api/deliveries/1"), ("post", "/api/deliveries/1/resend")],
)
def test_delivery_log_is_for_admins_only(notifications_app, client, sign_in, log, method, path):
    applicant = sign_in("ana@example.org", roles=("applicant",))
    backer = sign_in("carl@example.org", roles=("backer",))
    other_service = issue_token(notifications_app.config["SETTINGS"].secret_key, "tremplin:grants", 1, ["admin"], 600)

    assert getattr(client, method)(path).status_code == 401
    assert getattr(client, method)(path, headers={"Authorization": f"Bearer {other_service}"}).status_code == 401
    for person in (applicant, backer):
        refused = getattr(client, method)(path, headers=person)
        assert refused.status_code == 403
        assert refused.get_json()["message"] == "Your role does not allow this action."
    with notifications_app.extensions["db"].unit_of_work() as session:
        assert session.get(Delivery, log["ids"][1]).status == "failed"  # a refused resend changed nothing


def test_my_messages_are_mine_only(client, sign_in, log):
    ana = sign_in("ana@example.org")
    bob = sign_in("bob@example.org", roles=("backer",))

    mine = client.get("/api/me/messages", headers=ana)
    bobs = client.get("/api/me/messages", headers=bob)

    assert mine.status_code == 200
    assert [(m["kind"], m["status"]) for m in mine.get_json()] == [("password_reset", "sent")]
    assert [m["kind"] for m in bobs.get_json()] == ["application_received", "account_confirmation"]
    assert "context" not in mine.get_json()[0]  # links in messages are not shown again
    assert client.get("/api/me/messages").status_code == 401


def test_unconfirmed_address_has_no_history(notifications_app, client, sign_in, log):
    ana = sign_in("ana@example.org")
    with notifications_app.extensions["db"].unit_of_work() as session:
        session.scalars(select(Account).where(Account.email == "ana@example.org")).one().confirmed_at = None

    response = client.get("/api/me/messages", headers=ana)

    assert response.status_code == 403
    assert client.get("/api/me/preferences", headers=ana).status_code == 403


def test_preferences_are_kept_per_address(notifications_app, client, sign_in):
    ana = sign_in("ana@example.org")
    bob = sign_in("bob@example.org")

    assert client.get("/api/me/preferences", headers=ana).get_json() == {"reminders": True, "campaign_news": True}
    changed = client.patch("/api/me/preferences", json={"reminders": False}, headers=ana)

    assert changed.status_code == 200
    assert changed.get_json() == {"reminders": False, "campaign_news": True}
    assert client.get("/api/me/preferences", headers=ana).get_json()["reminders"] is False
    assert client.get("/api/me/preferences", headers=bob).get_json()["reminders"] is True
    assert client.patch("/api/me/preferences", json={"reminders": True}, headers=ana).get_json()["reminders"] is True


def test_bad_preference_changes_nothing(notifications_app, client, sign_in):
    ana = sign_in("ana@example.org")

    unknown = client.patch("/api/me/preferences", json={"receipts": False}, headers=ana)
    not_boolean = client.patch("/api/me/preferences", json={"reminders": "sometimes"}, headers=ana)
    anonymous = client.patch("/api/me/preferences", json={"reminders": False})

    assert unknown.status_code == 422 and "receipts" in unknown.get_json()["errors"]["json"]
    assert not_boolean.status_code == 422
    assert anonymous.status_code == 401
    with notifications_app.extensions["db"].unit_of_work() as session:
        assert session.scalars(select(Preference)).all() == []


def test_everything_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]

    assert {"get"} <= set(paths["/api/deliveries"])
    assert {"get"} <= set(paths["/api/deliveries/{delivery_id}"])
    assert {"post"} <= set(paths["/api/deliveries/{delivery_id}/resend"])
    assert {"get"} <= set(paths["/api/me/messages"])
    assert {"get", "patch"} <= set(paths["/api/me/preferences"])
    assert {"get", "post"} <= set(paths["/unsubscribe/{token}"])
    assert paths["/api/deliveries"]["get"]["security"] == [{"bearerAuth": []}]
