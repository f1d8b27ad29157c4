"""A service behind the platform's proxy (TRUSTED_PROXY_COUNT=1) takes the client's address and
its own path from the proxy's headers; reached directly (the default), it ignores them, as any
client could send them. A `next=` address never leads off the site."""
import pytest

from shared.accounts.ratelimit import SIGN_IN_PER_CLIENT as PER_CLIENT
from tests.pages import post_form

BROWSER = {"Accept": "text/html"}


def _app(trusted_proxy_count: int):
    from services.grants.app import create_app

    return create_app({"TESTING": True, "SETTINGS_OVERRIDES": {"trusted_proxy_count": trusted_proxy_count}})


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


def test_behind_the_proxy_redirects_and_links_carry_the_service_path(behind_proxy):
    client = behind_proxy.test_client()
    proxied = {**BROWSER, "X-Forwarded-Prefix": "/subventions"}

    redirected = client.get("/applications?status=draft", headers=proxied)
    assert redirected.status_code == 302
    assert redirected.headers["Location"] == "/subventions/signin?next=/subventions/applications?status%3Ddraft"
    page = client.get("/signin", headers=proxied).get_data(as_text=True)
    assert 'href="/subventions/signup"' in page and 'href="/subventions/accounts/reset"' in page
    # The menu's link into this service follows the request; into another, its public address.
    assert 'href="/subventions/">' in page and 'href="http://127.0.0.1:8000/financement-participatif/"' in page


def test_reached_directly_the_forwarded_prefix_is_ignored(reached_directly):
    redirected = reached_directly.test_client().get(
        "/applications", headers={**BROWSER, "X-Forwarded-Prefix": "/elsewhere"})
    assert redirected.headers["Location"] == "/signin?next=/applications"


@pytest.mark.parametrize("target", [
    "//evil.example/", "/\\evil.example/", "/\t/evil.example/", "https://evil.example/", "evil.example",
    "/\r\n/evil.example", "",
])
def test_signing_in_never_leads_off_the_site(behind_proxy, target):
    from shared.accounts.models import create_account

    with behind_proxy.extensions["db"].unit_of_work() as session:
        create_account(session, behind_proxy.config["SETTINGS"], email="ana@example.org", name="Ana",
                       password="a long password", roles=["applicant"], confirmed=True)
    client = behind_proxy.test_client()
    proxied = {"X-Forwarded-Prefix": "/subventions"}

    signed_in = post_form(client, "/signin", {"email": "ana@example.org", "password": "a long password"},
                          query_string={"next": target}, headers=proxied)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/subventions/"


def test_signing_in_goes_on_to_the_page_asked_for_under_the_service_path(behind_proxy):
    from shared.accounts.models import create_account

    with behind_proxy.extensions["db"].unit_of_work() as session:
        create_account(session, behind_proxy.config["SETTINGS"], email="ana@example.org", name="Ana",
                       password="a long password", roles=["applicant"], confirmed=True)
    client = behind_proxy.test_client()
    proxied = {"X-Forwarded-Prefix": "/subventions"}

    signed_in = post_form(client, "/signin", {"email": "ana@example.org", "password": "a long password"},
                          query_string={"next": "/subventions/applications"}, headers=proxied)
    assert signed_in.headers["Location"] == "/subventions/applications"
    signed_out = post_form(client, "/signout", {}, form_path="/", headers=proxied)
    assert signed_out.headers["Location"] == "/subventions/"


def test_each_service_names_its_own_session_cookie_on_the_shared_host(behind_proxy):
    from shared.accounts.models import create_account

    with behind_proxy.extensions["db"].unit_of_work() as session:
        create_account(session, behind_proxy.config["SETTINGS"], email="ana@example.org", name="Ana",
                       password="a long password", roles=["applicant"], confirmed=True)
    signed_in = post_form(behind_proxy.test_client(), "/signin", {"email": "ana@example.org", "password": "a long password"})

    [cookie] = [value for value in signed_in.headers.getlist("Set-Cookie") if value.startswith("tremplin_grants_session=")]
    attributes = {part.strip() for part in cookie.split(";")[1:]}
    assert {"HttpOnly", "Path=/", "SameSite=Lax"} <= attributes
    assert "Secure" not in attributes  # the public address is http:// here
