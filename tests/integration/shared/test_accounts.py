"""Accounts: sign-up writes its event in the same commit; tokens are per service; roles are checked."""
import re

import pytest
from flask_smorest import Blueprint
from sqlalchemy import func, select

from shared.accounts.models import Account
from shared.accounts.auth import require_roles
from shared.core.outbox import OutboxMessage

SIGN_UP = {"email": "Lea@Example.org", "name": "Léa Martin", "password": "a long password", "language": "en"}


def _count(app, model):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_sign_up_writes_account_and_event_in_one_commit(grants_app, grants):
    response = grants.post("/api/accounts", json=SIGN_UP, headers={"X-Request-ID": "req42"})
    assert response.status_code == 201
    assert response.get_json() == {
        "id": 1, "email": "lea@example.org", "name": "Léa Martin",
        "roles": ["applicant"], "language": "en", "confirmed": False,
    }
    with grants_app.extensions["db"].unit_of_work() as session:
        event = session.scalars(select(OutboxMessage)).one()
    assert (event.name, event.version, event.producer) == ("account.registered", 1, "grants")
    assert event.request_id == "req42"
    assert event.payload["email"] == "lea@example.org" and event.payload["language"] == "en"
    # The one address (the proxy) and the service's path under it.
    assert re.match(r"http://127\.0\.0\.1:8000/subventions/accounts/confirm/\S+$", event.payload["confirm_url"])
    assert event.sent_at is None


def test_refused_sign_up_changes_nothing(grants_app, grants):
    assert grants.post("/api/accounts", json=SIGN_UP).status_code == 201
    duplicate = grants.post("/api/accounts", json={**SIGN_UP, "email": "LEA@example.org"})
    assert duplicate.status_code == 409
    assert duplicate.get_json()["errors"] == {"json": {"email": ["An account already uses this email address."]}}
    wrong_role = grants.post("/api/accounts", json={**SIGN_UP, "email": "b@example.org", "role": "fund_manager"})
    assert wrong_role.status_code == 422
    assert "role" in wrong_role.get_json()["errors"]["json"]
    assert _count(grants_app, Account) == 1
    assert _count(grants_app, OutboxMessage) == 1


def test_confirm_then_sign_in(grants_app, grants):
    grants.post("/api/accounts", json=SIGN_UP)
    credentials = {"email": "lea@example.org", "password": SIGN_UP["password"]}
    unconfirmed = grants.post("/api/auth/token", json=credentials)
    assert unconfirmed.status_code == 403

    with grants_app.extensions["db"].unit_of_work() as session:
        url = session.scalars(select(OutboxMessage)).one().payload["confirm_url"]
    token = url.rsplit("/", 1)[1]
    assert grants.post("/api/accounts/confirm", json={"token": token + "x"}).status_code == 404
    assert grants.post("/api/accounts/confirm", json={"token": token}).get_json()["confirmed"] is True

    signed_in = grants.post("/api/auth/token", json=credentials)
    assert signed_in.status_code == 200
    access = signed_in.get_json()["access_token"]
    me = grants.get("/api/accounts/me", headers={"Authorization": f"Bearer {access}"})
    assert me.get_json()["email"] == "lea@example.org"

    wrong = grants.post("/api/auth/token", json={**credentials, "password": "not the password"})
    assert wrong.status_code == 401
    unknown = grants.post("/api/auth/token", json={**credentials, "email": "nobody@example.org"})
    assert unknown.status_code == 401
    assert wrong.get_json()["message"] == unknown.get_json()["message"]


def test_create_user_from_the_command_line(grants_app):
    runner = grants_app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "--email", "manager@example.org", "--name", "Fund Manager",
              "--role", "fund_manager", "--password", "manager password"]
    )
    assert result.exit_code == 0, result.output
    assert "fund_manager" in result.output
    again = runner.invoke(
        args=["create-user", "--email", "manager@example.org", "--name", "X", "--role", "fund_manager",
              "--password", "manager password"]
    )
    assert again.exit_code != 0 and "already" in again.output
    bad_role = runner.invoke(
        args=["create-user", "--email", "x@example.org", "--name", "X", "--role", "wizard", "--password", "pw pw pw pw"]
    )
    assert bad_role.exit_code != 0 and "Unknown role" in bad_role.output

    client = grants_app.test_client()
    token = client.post("/api/auth/token", json={"email": "manager@example.org", "password": "manager password"})
    assert token.status_code == 200


def _token(app, email, roles):
    from shared.accounts.models import create_account

    with app.extensions["db"].unit_of_work() as session:
        create_account(session, app.config["SETTINGS"], email=email, name=email, password="role check passphrase",
                       roles=roles, confirmed=True)
    response = app.test_client().post("/api/auth/token", json={"email": email, "password": "role check passphrase"})
    return response.get_json()["access_token"]


@pytest.fixture
def guarded_grants_app(grants_app):
    blp = Blueprint("guarded", __name__, url_prefix="/api/guarded")

    @blp.route("/managers")
    @require_roles("fund_manager")
    def managers_only():
        return {"ok": True}

    grants_app.register_blueprint(blp)
    return grants_app


def test_role_checks_and_audience(guarded_grants_app, crowdfunding_app):
    client = guarded_grants_app.test_client()
    manager = _token(guarded_grants_app, "m@example.org", ["fund_manager"])
    applicant = _token(guarded_grants_app, "a@example.org", ["applicant"])
    assert client.get("/api/guarded/managers").status_code == 401
    assert client.get("/api/guarded/managers", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    refused = client.get("/api/guarded/managers", headers={"Authorization": f"Bearer {applicant}"})
    assert refused.status_code == 403 and refused.get_json()["code"] == 403
    assert client.get("/api/guarded/managers", headers={"Authorization": f"Bearer {manager}"}).status_code == 200
    # A token for the grants service is refused by the crowdfunding service.
    other = crowdfunding_app.test_client().get("/api/accounts/me", headers={"Authorization": f"Bearer {manager}"})
    assert other.status_code == 401
