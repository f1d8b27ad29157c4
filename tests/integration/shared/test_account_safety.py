"""Sessions and accounts that can be trusted: the probe's findings, each refused now."""
import re
import time

import pytest
from sqlalchemy import select

from shared.accounts.models import Account, create_account
from shared.core.outbox import OutboxMessage
from tests.conftest import free_port
from tests.pages import post_form, text

PASSWORD = "a long password"


def _account(app, email="rita@example.org", name="Rita", password=PASSWORD, roles=("applicant",)):
    with app.extensions["db"].unit_of_work() as session:
        return create_account(session, app.config["SETTINGS"], email=email, name=name, password=password,
                              roles=list(roles), confirmed=True).id


def _signed_in(app, email="rita@example.org"):
    client = app.test_client()
    assert post_form(client, "/signin", {"email": email, "password": PASSWORD}).status_code == 302
    return client


def _token(app, email="rita@example.org", password=PASSWORD):
    response = app.test_client().post("/api/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _is_signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def _events(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return [row.payload for row in session.scalars(select(OutboxMessage).where(OutboxMessage.name == name))]


# --- Cookies -----------------------------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site_lax(grants_app):
    _account(grants_app)
    client = grants_app.test_client()
    response = post_form(client, "/signin", {"email": "rita@example.org", "password": PASSWORD})
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("tremplin_grants_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_behind_https():
    from services.grants.app import create_app

    app = create_app({"TESTING": True, "SETTINGS_OVERRIDES": {"public_url": "https://tremplin.example.org"}})
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        _account(app)
        response = post_form(app.test_client(), "/signin", {"email": "rita@example.org", "password": PASSWORD})
        cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("tremplin_grants_session="))
        assert "Secure" in cookie
    finally:
        app.extensions["db"].dispose()


# --- Sessions end --------------------------------------------------------------------------------


def test_a_copied_cookie_stops_working_after_sign_out(grants_app):
    _account(grants_app)
    client = _signed_in(grants_app)
    copy = grants_app.test_client()
    copy.set_cookie("tremplin_grants_session", client.get_cookie("tremplin_grants_session").value)
    assert _is_signed_in(copy)
    assert post_form(client, "/signout", {}, form_path="/profile").status_code == 302
    assert not _is_signed_in(copy)
    assert copy.get("/profile").headers["Location"].startswith("/signin")


def test_a_password_reset_ends_the_old_cookie_and_the_old_token(grants_app):
    _account(grants_app)
    client = _signed_in(grants_app)
    token = _token(grants_app)
    assert grants_app.test_client().get("/api/accounts/me", headers=token).status_code == 200

    assert grants_app.test_client().post("/api/accounts/password-reset", json={"email": "rita@example.org"}).status_code == 202
    reset_url = _events(grants_app, "account.password_reset_requested")[-1]["reset_url"]
    reset_token = reset_url.rsplit("/", 1)[1]
    done = grants_app.test_client().post("/api/accounts/password", json={"token": reset_token, "password": "une toute autre phrase"})
    assert done.status_code == 200

    assert not _is_signed_in(client)
    assert grants_app.test_client().get("/api/accounts/me", headers=token).status_code == 401
    assert _token(grants_app, password="une toute autre phrase")


def test_signing_out_through_the_api_ends_the_token(grants_app):
    _account(grants_app)
    token = _token(grants_app)
    api = grants_app.test_client()
    assert api.post("/api/auth/sign-out", headers=token).status_code == 204
    assert api.get("/api/accounts/me", headers=token).status_code == 401
    assert api.post("/api/auth/sign-out", headers=token).status_code == 401


def test_changing_the_password_ends_older_tokens_and_gives_a_new_one(grants_app):
    _account(grants_app)
    old = _token(grants_app)
    api = grants_app.test_client()
    wrong = api.post("/api/accounts/me/password", headers=old,
                     json={"current_password": "not it at all", "new_password": "une toute autre phrase"})
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["errors"]["json"]
    weak = api.post("/api/accounts/me/password", headers=old,
                    json={"current_password": PASSWORD, "new_password": "1234567890"})
    assert weak.status_code == 422 and "password" in weak.get_json()["errors"]["json"]
    changed = api.post("/api/accounts/me/password", headers=old,
                       json={"current_password": PASSWORD, "new_password": "une toute autre phrase"})
    assert changed.status_code == 200
    new = {"Authorization": f"Bearer {changed.get_json()['access_token']}"}
    assert api.get("/api/accounts/me", headers=old).status_code == 401
    assert api.get("/api/accounts/me", headers=new).status_code == 200


def test_an_idle_session_ends_and_so_does_an_old_one(grants_app):
    settings = grants_app.config["SETTINGS"]
    _account(grants_app)
    idle = _signed_in(grants_app)
    with idle.session_transaction() as cookie:
        cookie["account"]["seen"] = int(time.time()) - settings.session_idle_seconds - 5
    assert not _is_signed_in(idle)

    old = _signed_in(grants_app)
    with old.session_transaction() as cookie:
        cookie["account"]["issued"] = int(time.time()) - settings.session_lifetime_seconds - 5
    assert not _is_signed_in(old)

    active = _signed_in(grants_app)
    with active.session_transaction() as cookie:
        cookie["account"]["seen"] = int(time.time()) - 120  # used two minutes ago: still on
    assert _is_signed_in(active)
    assert grants_app.permanent_session_lifetime.total_seconds() == settings.session_lifetime_seconds


# --- Passwords, names, addresses ------------------------------------------------------------------


@pytest.mark.parametrize("password", [" " * 10, "aaaaaaaaaa", "password12", "1234567890", "\x00" * 10])
def test_weak_and_well_known_passwords_are_refused(grants, password):
    response = grants.post("/api/accounts", json={"email": "p@example.org", "name": "P", "password": password})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == {"password"}


def test_a_weak_password_is_explained_in_french_and_english(grants_app):
    client = grants_app.test_client()
    french = post_form(client, "/signup", {"name": "Paul", "email": "paul@example.org", "password": "password12"})
    assert french.status_code == 422 and "Ce mot de passe est trop facile à deviner" in text(french)
    client.get("/signup?lang=en")
    english = post_form(client, "/signup", {"name": "Paul", "email": "paul@example.org", "password": "password12"})
    assert "This password is too easy to guess" in text(english)
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(Account).where(Account.email == "paul@example.org")) is None


def test_control_characters_are_cleaned_out_of_names(grants, grants_app):
    response = grants.post("/api/accounts", json={"email": "crlf@example.org", "name": "Eve\r\nBcc: all@example.org\u200b",
                                                  "password": PASSWORD})
    assert response.status_code == 201
    assert response.get_json()["name"] == "Eve Bcc: all@example.org"
    assert _events(grants_app, "account.registered")[-1]["name"] == "Eve Bcc: all@example.org"
    only_controls = grants.post("/api/accounts", json={"email": "ctl@example.org", "name": "\r\n\t", "password": PASSWORD})
    assert only_controls.status_code == 422 and "name" in only_controls.get_json()["errors"]["json"]


def test_addresses_must_be_deliverable_without_smtputf8(grants, grants_app):
    refused = grants.post("/api/accounts", json={"email": "usér@exämple.org", "name": "U", "password": PASSWORD})
    assert refused.status_code == 422
    assert "internationalised" in refused.get_json()["errors"]["json"]["email"][0]
    idn = grants.post("/api/accounts", json={"email": "user@exämple.org", "name": "U", "password": PASSWORD})
    assert idn.status_code == 201 and idn.get_json()["email"] == "user@xn--exmple-cua.org"
    assert _events(grants_app, "account.registered")[-1]["email"] == "user@xn--exmple-cua.org"


# --- Limits that fail closed ----------------------------------------------------------------------


def test_sign_in_answers_503_when_the_limits_store_is_down():
    from services.grants.app import create_app

    app = create_app({"TESTING": True, "SETTINGS_OVERRIDES": {"redis_url": f"redis://127.0.0.1:{free_port()}/0"}})
    try:
        _account(app)
        api = app.test_client()
        statuses = {api.post("/api/auth/token", json={"email": "rita@example.org", "password": "wrong one"}).status_code
                    for _ in range(3)}
        assert statuses == {503}
        page = post_form(app.test_client(), "/signin", {"email": "rita@example.org", "password": PASSWORD})
        assert page.status_code == 503
    finally:
        app.extensions["db"].dispose()


def test_reset_emails_are_limited_per_address_with_retry_after(grants_app):
    _account(grants_app)
    api = grants_app.test_client()
    statuses = [api.post("/api/accounts/password-reset", json={"email": "rita@example.org"}).status_code
                for _ in range(5)]
    assert statuses == [202, 202, 202, 429, 429]
    refused = api.post("/api/accounts/password-reset", json={"email": "rita@example.org"})
    assert 3000 < int(refused.headers["Retry-After"]) <= 3600
    assert len(_events(grants_app, "account.password_reset_requested")) == 3
    # Another address from another client is not held back by them.
    other = grants_app.test_client().post("/api/accounts/password-reset", json={"email": "someone@example.org"},
                                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 202


def test_confirmation_emails_are_limited_per_client(grants):
    statuses = [grants.post("/api/accounts", json={"email": f"n{number}@example.org", "name": "N",
                                                    "password": PASSWORD}).status_code for number in range(22)]
    assert statuses[:20] == [201] * 20 and statuses[20:] == [429, 429]
