"""A service behind the platform's proxy (TRUSTED_PROXY_COUNT=1) takes the client's address and
its own path from the proxy's headers; reached directly (the default), it ignores them, as any
client could send them. A `next=` address never leads off the site."""
import pytest

from services.accounts.accounts import create_account
from services.accounts.ratelimit import SIGN_IN_PER_CLIENT as PER_CLIENT
from shared.accounts.auth import SESSION_COOKIE
from tests.pages import post_form

BROWSER = {"Accept": "text/html"}
PLATFORM = "http://127.0.0.1:8000"


def _app(trusted_proxy_count: int, service: str = "accounts"):
    module = __import__(f"services.{service}.app", fromlist=["create_app"])
    return module.create_app({"TESTING": True, "SETTINGS_OVERRIDES": {"trusted_proxy_count": trusted_proxy_count}})


def _ana(app):
    with app.extensions["db"].unit_of_work() as session:
        create_account(session, app.config["SETTINGS"], email="ana@example.org", name="Ana",
                       password="a long password", roles=["applicant"], confirmed=True)


@pytest.fixture
def behind_proxy():
    app = _app(1)
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def reached_directly():
    app = _app(0)
    yield app
    app.extensions["db"].dispose()


def _attempts_from(client, address: str, count: int) -> list[int]:
    # A different unknown email each time: only the per-client limit can refuse.
    return [
        client.post(
            "/api/auth/token", json={"email": f"guess{address}-{n}@example.org", "password": "a wrong password"},
            headers={"X-Forwarded-For": address},
        ).status_code
        for n in range(count)
    ]


def test_behind_the_proxy_the_sign_in_limit_counts_each_client_apart(behind_proxy):
    client = behind_proxy.test_client()
    allowed = PER_CLIENT.amount

    assert set(_attempts_from(client, "203.0.113.7", allowed)) == {401}
    assert _attempts_from(client, "203.0.113.7", 1) == [429]
    # Another person behind the same proxy still signs in.
    assert _attempts_from(client, "198.51.100.4", 1) == [401]


def test_reached_directly_the_forwarded_address_is_ignored(reached_directly):
    client = reached_directly.test_client()
    allowed = PER_CLIENT.amount

    assert set(_attempts_from(client, "203.0.113.7", allowed)) == {401}
    # A made-up X-Forwarded-For does not open a new allowance.
    assert _attempts_from(client, "198.51.100.4", 1) == [429]


def test_behind_the_proxy_redirects_and_links_carry_the_service_path():
    app = _app(1, "grants")
    try:
        client = app.test_client()
        proxied = {**BROWSER, "X-Forwarded-Prefix": "/subventions"}
        redirected = client.get("/applications?status=draft", headers=proxied)
        assert redirected.status_code == 302
        # To the platform's sign-in (the accounts service's path), and back to this page after.
        assert redirected.headers["Location"] == (
            f"{PLATFORM}/comptes/signin?next=http%3A%2F%2F127.0.0.1%3A8000%2Fsubventions%2Fapplications%3Fstatus%3Ddraft")
        page = client.get("/", headers=proxied).get_data(as_text=True)
        assert f'href="{PLATFORM}/comptes/signup"' in page
        # The menu's link into this service follows the request; into another, its public address.
        assert 'href="/subventions/">' in page and f'href="{PLATFORM}/financement-participatif/"' in page
    finally:
        app.extensions["db"].dispose()


def test_the_accounts_pages_behind_the_proxy_link_under_their_own_path(behind_proxy):
    page = behind_proxy.test_client().get("/signin", headers={**BROWSER, "X-Forwarded-Prefix": "/comptes"})
    body = page.get_data(as_text=True)
    assert 'href="/comptes/signup"' in body and 'href="/comptes/accounts/reset"' in body


@pytest.mark.parametrize("target", [
    "//evil.example/", "/\\evil.example/", "/\t/evil.example/", "https://evil.example/", "evil.example",
    "/\r\n/evil.example", "", "http://127.0.0.1:8000@evil.example/",
])
def test_signing_in_never_leads_off_the_site(behind_proxy, target):
    _ana(behind_proxy)
    client = behind_proxy.test_client()
    signed_in = post_form(client, "/signin", {"email": "ana@example.org", "password": "a long password"},
                          query_string={"next": target}, headers={"X-Forwarded-Prefix": "/comptes"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == f"{PLATFORM}/subventions/"


def test_signing_in_goes_on_to_the_page_asked_for_anywhere_on_the_platform(behind_proxy):
    _ana(behind_proxy)
    client = behind_proxy.test_client()
    for target in (f"{PLATFORM}/subventions/applications", "/financement-participatif/"):
        signed_in = post_form(client, "/signin", {"email": "ana@example.org", "password": "a long password"},
                              query_string={"next": target}, headers={"X-Forwarded-Prefix": "/comptes"})
        assert signed_in.headers["Location"] == target


def test_the_platform_session_cookie_and_the_accounts_own_cookie_are_named_apart(behind_proxy):
    _ana(behind_proxy)
    signed_in = post_form(behind_proxy.test_client(), "/signin", {"email": "ana@example.org", "password": "a long password"})
    cookies = signed_in.headers.getlist("Set-Cookie")
    [platform] = [value for value in cookies if value.startswith(f"{SESSION_COOKIE}=")]
    attributes = {part.strip() for part in platform.split(";")[1:]}
    assert {"HttpOnly", "Path=/", "SameSite=Lax"} <= attributes
    assert "Secure" not in attributes  # the public address is http:// here
    assert not any(value.startswith("session=") for value in cookies)


def test_reached_directly_the_forwarded_prefix_is_ignored(reached_directly):
    page = reached_directly.test_client().get("/signin", headers={**BROWSER, "X-Forwarded-Prefix": "/elsewhere"})
    assert 'href="/signup"' in page.get_data(as_text=True) and "/elsewhere" not in page.get_data(as_text=True)
