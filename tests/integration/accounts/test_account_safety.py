"""Sessions and accounts that can be trusted: the probe's findings, each refused now."""
import re
import time

import pytest
from sqlalchemy import select

from services.accounts.accounts import create_account
from services.accounts.models import Account
from shared.core.outbox import OutboxMessage
from tests.conftest import free_port
from shared.accounts.auth import SESSION_COOKIE
from tests.pages import post_form, text
from tests.people import signer

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
    return client.get("/account").status_code == 200


def _platform_cookie(response) -> str:
    return next(value for value in response.headers.getlist("Set-Cookie") if value.startswith(f"{SESSION_COOKIE}="))


def _relay_to(app, source):
    """The accounts service's events, consumed by another service as its worker would."""
    from services.grants.actors import HANDLERS
    from shared.core.consumer import consume

    with source.extensions["db"].unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        envelopes = [row.envelope() for row in rows if row.name == "account.updated"]
    for envelope in envelopes:
        consume(app.extensions["db"], HANDLERS, envelope)


def _events(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return [row.payload for row in session.scalars(select(OutboxMessage).where(OutboxMessage.name == name))]


# --- Cookies -----------------------------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site_lax(accounts_app):
    _account(accounts_app)
    client = accounts_app.test_client()
    form = client.get("/signin")
    # The cookie that carries the form's CSRF token is HttpOnly and Lax too.
    flask_cookie = next(value for value in form.headers.getlist("Set-Cookie") if "session=" in value)
    assert "HttpOnly" in flask_cookie and "SameSite=Lax" in flask_cookie
    response = post_form(client, "/signin", {"email": "rita@example.org", "password": PASSWORD})
    cookie = _platform_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_behind_https():
    from services.accounts.app import create_app

    app = create_app({"TESTING": True, "SETTINGS_OVERRIDES": {"public_url": "https://tremplin.example.org"}})
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        _account(app)
        response = post_form(app.test_client(), "/signin", {"email": "rita@example.org", "password": PASSWORD})
        assert "Secure" in _platform_cookie(response)
    finally:
        app.extensions["db"].dispose()


# --- Sessions end --------------------------------------------------------------------------------


def test_a_copied_cookie_stops_working_after_sign_out_on_every_service(accounts_app, grants_app):
    _account(accounts_app)
    client = _signed_in(accounts_app)
    stolen = client.get_cookie(SESSION_COOKIE).value
    copy, elsewhere = accounts_app.test_client(), grants_app.test_client()
    copy.set_cookie(SESSION_COOKIE, stolen)
    elsewhere.set_cookie(SESSION_COOKIE, stolen)
    assert _is_signed_in(copy) and elsewhere.get("/applications").status_code == 200
    assert post_form(client, "/signout", {}).status_code == 302
    assert not _is_signed_in(copy)
    assert "/signin?next=" in copy.get("/account").headers["Location"]
    _relay_to(grants_app, accounts_app)  # grants learns of the sign-out from account.updated
    refused = elsewhere.get("/applications")
    assert refused.status_code == 302 and "/signin?next=" in refused.headers["Location"]


def test_a_password_reset_ends_the_old_cookie_and_the_old_token(accounts_app):
    _account(accounts_app)
    client = _signed_in(accounts_app)
    token = _token(accounts_app)
    assert accounts_app.test_client().get("/api/accounts/me", headers=token).status_code == 200

    assert accounts_app.test_client().post("/api/accounts/password-reset", json={"email": "rita@example.org"}).status_code == 202
    reset_url = _events(accounts_app, "account.password_reset_requested")[-1]["reset_url"]
    reset_token = reset_url.rsplit("/", 1)[1]
    done = accounts_app.test_client().post("/api/accounts/password", json={"token": reset_token, "password": "une toute autre phrase"})
    assert done.status_code == 200

    assert not _is_signed_in(client)
    assert accounts_app.test_client().get("/api/accounts/me", headers=token).status_code == 401
    assert _token(accounts_app, password="une toute autre phrase")


def test_signing_out_through_the_api_ends_the_token(accounts_app):
    _account(accounts_app)
    token = _token(accounts_app)
    api = accounts_app.test_client()
    assert api.post("/api/auth/sign-out", headers=token).status_code == 204
    assert api.get("/api/accounts/me", headers=token).status_code == 401
    assert api.post("/api/auth/sign-out", headers=token).status_code == 401


def test_changing_the_password_ends_older_tokens_and_gives_a_new_one(accounts_app):
    _account(accounts_app)
    old = _token(accounts_app)
    api = accounts_app.test_client()
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


def test_an_idle_session_ends_and_so_does_an_old_one(accounts_app):
    settings = accounts_app.config["SETTINGS"]
    _account(accounts_app)
    with accounts_app.extensions["db"].unit_of_work() as session:
        rita = session.scalars(select(Account)).one()
    idle = accounts_app.test_client()
    idle.set_cookie(SESSION_COOKIE, signer().mint(rita, "session", -1))  # its idle time is up
    assert not _is_signed_in(idle)

    old = accounts_app.test_client()
    signed_in_at = int(time.time()) - settings.session_lifetime_seconds - 5
    old.set_cookie(SESSION_COOKIE, signer().mint(rita, "session", 600, auth_time=signed_in_at))
    assert not _is_signed_in(old)

    active = accounts_app.test_client()
    active.set_cookie(SESSION_COOKIE, signer().mint(rita, "session", settings.session_idle_seconds // 4))
    renewed = active.get("/account")  # less than half the idle time left: renewed in place
    assert renewed.status_code == 200 and "Max-Age=1800" in _platform_cookie(renewed)


def test_another_service_sends_a_due_session_to_the_accounts_service_for_renewal(accounts_app, grants_app):
    _account(accounts_app)
    with accounts_app.extensions["db"].unit_of_work() as session:
        rita = session.scalars(select(Account)).one()
    browser = grants_app.test_client()
    browser.set_cookie(SESSION_COOKIE, signer().mint(rita, "session", 300))
    due = browser.get("/applications", headers={"Accept": "text/html"})
    assert due.status_code == 302
    assert due.headers["Location"].startswith("http://127.0.0.1:8000/comptes/session?next=")
    at_accounts = accounts_app.test_client()
    at_accounts.set_cookie(SESSION_COOKIE, browser.get_cookie(SESSION_COOKIE).value)
    back = at_accounts.get(due.headers["Location"].split("127.0.0.1:8000/comptes", 1)[1])
    assert back.status_code == 302 and back.headers["Location"].endswith("/applications")
    assert "Max-Age=1800" in _platform_cookie(back)


# --- Passwords, names, addresses ------------------------------------------------------------------


@pytest.mark.parametrize("password", [" " * 10, "aaaaaaaaaa", "password12", "1234567890", "\x00" * 10])
def test_weak_and_well_known_passwords_are_refused(accounts, password):
    response = accounts.post("/api/accounts", json={"email": "p@example.org", "name": "P", "password": password})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == {"password"}


def test_a_weak_password_is_explained_in_french_and_english(accounts_app):
    client = accounts_app.test_client()
    french = post_form(client, "/signup", {"name": "Paul", "email": "paul@example.org", "password": "password12"})
    assert french.status_code == 422 and "Ce mot de passe est trop facile à deviner" in text(french)
    client.get("/signup?lang=en")
    english = post_form(client, "/signup", {"name": "Paul", "email": "paul@example.org", "password": "password12"})
    assert "This password is too easy to guess" in text(english)
    with accounts_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(Account).where(Account.email == "paul@example.org")) is None


def test_control_characters_are_cleaned_out_of_names(accounts, accounts_app):
    response = accounts.post("/api/accounts", json={"email": "crlf@example.org", "name": "Eve\r\nBcc: all@example.org\u200b",
                                                  "password": PASSWORD})
    assert response.status_code == 202
    assert _events(accounts_app, "account.registered")[-1]["name"] == "Eve Bcc: all@example.org"
    only_controls = accounts.post("/api/accounts", json={"email": "ctl@example.org", "name": "\r\n\t", "password": PASSWORD})
    assert only_controls.status_code == 422 and "name" in only_controls.get_json()["errors"]["json"]


def test_addresses_must_be_deliverable_without_smtputf8(accounts, accounts_app):
    refused = accounts.post("/api/accounts", json={"email": "usér@exämple.org", "name": "U", "password": PASSWORD})
    assert refused.status_code == 422
    assert "internationalised" in refused.get_json()["errors"]["json"]["email"][0]
    idn = accounts.post("/api/accounts", json={"email": "user@exämple.org", "name": "U", "password": PASSWORD})
    assert idn.status_code == 202 and idn.get_json()["email"] == "user@xn--exmple-cua.org"
    assert _events(accounts_app, "account.registered")[-1]["email"] == "user@xn--exmple-cua.org"


# --- Limits that fail closed ----------------------------------------------------------------------


def test_sign_in_answers_503_when_the_limits_store_is_down():
    from services.accounts.app import create_app

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


def test_reset_emails_are_limited_per_address_with_retry_after(accounts_app):
    _account(accounts_app)
    api = accounts_app.test_client()
    statuses = [api.post("/api/accounts/password-reset", json={"email": "rita@example.org"}).status_code
                for _ in range(5)]
    assert statuses == [202, 202, 202, 429, 429]
    refused = api.post("/api/accounts/password-reset", json={"email": "rita@example.org"})
    assert 3000 < int(refused.headers["Retry-After"]) <= 3600
    assert len(_events(accounts_app, "account.password_reset_requested")) == 3
    # Another address from another client is not held back by them.
    other = accounts_app.test_client().post("/api/accounts/password-reset", json={"email": "someone@example.org"},
                                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 202


def test_confirmation_emails_are_limited_per_client(accounts):
    statuses = [accounts.post("/api/accounts", json={"email": f"n{number}@example.org", "name": "N",
                                                    "password": PASSWORD}).status_code for number in range(22)]
    assert statuses[:20] == [202] * 20 and statuses[20:] == [429, 429]
