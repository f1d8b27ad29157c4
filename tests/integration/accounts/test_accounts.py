"""The platform's accounts: sign-up writes its events in the same commit; nobody learns who has an
account; tokens signed by accounts work on every service; roles are checked."""
import re

import pytest
from flask_smorest import Blueprint
from sqlalchemy import func, select

from services.accounts.accounts import create_account
from services.accounts.models import Account
from shared.accounts.auth import require_roles
from shared.core.outbox import OutboxMessage

SIGN_UP = {"email": "Lea@Example.org", "name": "Léa Martin", "password": "a long password", "language": "en"}


def _count(app, model):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


def _events(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.name == name).order_by(OutboxMessage.id)).all()


def test_sign_up_writes_account_and_event_in_one_commit(accounts_app, accounts):
    response = accounts.post("/api/accounts", json=SIGN_UP, headers={"X-Request-ID": "req42"})
    assert response.status_code == 202
    assert response.get_json()["email"] == "lea@example.org"
    [event] = _events(accounts_app, "account.registered")
    [updated] = _events(accounts_app, "account.updated")
    assert updated.payload == {"account_id": 1, "email": "lea@example.org", "name": "Léa Martin", "language": "en",
                               "roles": ["applicant"], "session_version": 0}
    assert (event.name, event.version, event.producer) == ("account.registered", 1, "accounts")
    assert event.request_id == "req42"
    assert event.payload["email"] == "lea@example.org" and event.payload["language"] == "en"
    assert re.match(r"http://127\.0\.0\.1:8000/comptes/accounts/confirm/\S+$", event.payload["confirm_url"])
    assert event.sent_at is None


def test_a_known_address_gets_the_same_answer_and_its_owner_an_email(accounts_app, accounts):
    first = accounts.post("/api/accounts", json=SIGN_UP)
    again = accounts.post("/api/accounts", json={**SIGN_UP, "email": "LEA@example.org", "password": "another long one"})
    assert (first.status_code, first.get_json()) == (again.status_code, again.get_json()) == (202, first.get_json())
    assert _count(accounts_app, Account) == 1
    [told] = _events(accounts_app, "account.sign_up_attempted")
    assert told.payload["email"] == "lea@example.org" and told.payload["reset_url"].endswith("/accounts/reset")
    assert len(_events(accounts_app, "account.registered")) == 1


def test_refused_sign_up_changes_nothing(accounts_app, accounts):
    wrong_role = accounts.post("/api/accounts", json={**SIGN_UP, "email": "b@example.org", "role": "fund_manager"})
    assert wrong_role.status_code == 422
    assert "role" in wrong_role.get_json()["errors"]["json"]
    assert _count(accounts_app, Account) == 0
    assert _count(accounts_app, OutboxMessage) == 0


def test_confirm_then_sign_in(accounts_app, accounts):
    accounts.post("/api/accounts", json=SIGN_UP)
    credentials = {"email": "lea@example.org", "password": SIGN_UP["password"]}
    unconfirmed = accounts.post("/api/auth/token", json=credentials)
    assert unconfirmed.status_code == 403

    url = _events(accounts_app, "account.registered")[0].payload["confirm_url"]
    token = url.rsplit("/", 1)[1]
    assert accounts.post("/api/accounts/confirm", json={"token": token + "x"}).status_code == 404
    assert accounts.post("/api/accounts/confirm", json={"token": token}).get_json()["confirmed"] is True

    signed_in = accounts.post("/api/auth/token", json=credentials)
    assert signed_in.status_code == 200
    access = signed_in.get_json()["access_token"]
    me = accounts.get("/api/accounts/me", headers={"Authorization": f"Bearer {access}"})
    assert me.get_json()["email"] == "lea@example.org"

    wrong = accounts.post("/api/auth/token", json={**credentials, "password": "not the password"})
    assert wrong.status_code == 401
    unknown = accounts.post("/api/auth/token", json={**credentials, "email": "nobody@example.org"})
    assert unknown.status_code == 401
    assert wrong.get_json()["message"] == unknown.get_json()["message"]


def test_create_user_from_the_command_line(accounts_app):
    runner = accounts_app.test_cli_runner()
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

    client = accounts_app.test_client()
    token = client.post("/api/auth/token", json={"email": "manager@example.org", "password": "manager password"})
    assert token.status_code == 200


@pytest.fixture
def guarded_grants_app(grants_app):
    blp = Blueprint("guarded", __name__, url_prefix="/api/guarded")

    @blp.route("/managers")
    @require_roles("fund_manager")
    def managers_only():
        return {"ok": True}

    grants_app.register_blueprint(blp)
    return grants_app


def _token(app, email, password="role check passphrase"):
    response = app.test_client().post("/api/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def test_a_token_from_accounts_works_on_every_service_and_roles_are_checked(accounts_app, guarded_grants_app, crowdfunding_app):
    for email, roles in (("m@example.org", ["fund_manager"]), ("a@example.org", ["applicant"])):
        with accounts_app.extensions["db"].unit_of_work() as session:
            create_account(session, accounts_app.config["SETTINGS"], email=email, name=email,
                           password="role check passphrase", roles=roles, confirmed=True)
    manager, applicant = _token(accounts_app, "m@example.org"), _token(accounts_app, "a@example.org")
    client = guarded_grants_app.test_client()
    assert client.get("/api/guarded/managers").status_code == 401
    assert client.get("/api/guarded/managers", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    refused = client.get("/api/guarded/managers", headers={"Authorization": f"Bearer {applicant}"})
    assert refused.status_code == 403 and refused.get_json()["code"] == 403
    assert client.get("/api/guarded/managers", headers={"Authorization": f"Bearer {manager}"}).status_code == 200
    # The grants service recorded the manager from the token, before any event arrived.
    with guarded_grants_app.extensions["db"].unit_of_work() as session:
        recorded = session.scalar(select(guarded_grants_app.extensions["people"]).where(
            guarded_grants_app.extensions["people"].email == "m@example.org"))
        assert recorded.roles == ["fund_manager"]


def test_the_public_keys_are_published_as_jwks(accounts):
    document = accounts.get("/.well-known/jwks.json")
    assert document.status_code == 200 and "max-age" in document.headers["Cache-Control"]
    [key] = document.get_json()["keys"]
    assert (key["kty"], key["crv"], key["alg"]) == ("OKP", "Ed25519", "EdDSA") and "d" not in key
