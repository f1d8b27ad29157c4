"""The platform at one address: Caddy (the `caddy` binary from this virtual environment, with
deploy/Caddyfile, as the Procfile starts it) in front of the four services under gunicorn, with
the accounts relay and the workers that keep each service's copy of people.

Each path reaches its service; redirects, links, `next=`, the OpenAPI `servers` and the links
written in emails carry the service's path; `/` is the platform's home page; one account and one
session serve the whole platform, and signing out ends it everywhere.
"""
from types import SimpleNamespace
from urllib.parse import quote

import html
import os
import re
import signal
import subprocess
import sys

import psutil
import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from shared.core.config import DEFAULT_PATH_PREFIXES
from shared.core.outbox import OutboxMessage
from tests.conftest import free_port, wait_until
from tests.e2e.platform import ROOT
from tests.pages import CSRF
from tests.unit.test_deployment import procfile

SERVICES = ("grants", "crowdfunding", "notifications", "accounts")
BACKGROUND = ("accounts-relay", "grants-worker", "crowdfunding-worker", "notifications-worker")
PATHS = DEFAULT_PATH_PREFIXES


def _status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=2, allow_redirects=False).status_code
    except requests.RequestException:
        return None


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, databases):
    """The web processes and the proxy, with the Procfile's commands; the proxy on a free port.
    `base` is the platform's address, `ports` each service's own, `proxy_port` the proxy's."""
    tmp_path = tmp_path_factory.mktemp("one_address")
    ports = {service: free_port() for service in SERVICES}
    proxy_port = free_port()
    env = {
        **os.environ,
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
        "HOST": "127.0.0.1",
        "PROXY_PORT": str(proxy_port),
        "PUBLIC_URL": f"http://127.0.0.1:{proxy_port}",
        "TRUSTED_PROXY_COUNT": "1",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
        **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()},
    }
    commands = {name: procfile()[name] for name in (*SERVICES, *BACKGROUND, "proxy")}
    processes = [
        subprocess.Popen(["sh", "-c", command], cwd=ROOT, env=env, start_new_session=True,
                         stdout=(tmp_path / f"{name}.log").open("wb"), stderr=subprocess.STDOUT)
        for name, command in commands.items()
    ]
    base = f"http://127.0.0.1:{proxy_port}"
    try:
        for service in SERVICES:
            wait_until(lambda: _status(f"{base}{PATHS[service]}/healthz") == 200, timeout=120,
                       message=f"{service} through the proxy")
        yield SimpleNamespace(base=base, ports=ports, proxy_port=proxy_port)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def platform(proxied):
    return proxied.base


def _browser() -> requests.Session:
    browser = requests.Session()
    browser.headers["Accept"] = "text/html"
    return browser


def _post_form(browser: requests.Session, url: str, data: dict, form_url: str | None = None, **kwargs):
    token = CSRF.search(browser.get(form_url or url, timeout=10).text).group(1)
    return browser.post(url, data={**data, "csrf_token": token}, timeout=10, allow_redirects=False, **kwargs)


def _sign_up_and_confirm(base: str, email: str, role: str) -> str:
    """Sign up through the proxy, once for the whole platform; the confirmation link is read from
    the event, as the email has it."""
    created = requests.post(f"{base}{PATHS['accounts']}/api/accounts", timeout=10, json={
        "email": email, "name": email.split("@")[0].title(), "password": "a long password", "role": role})
    assert created.status_code == 202, created.text
    engine = create_engine(os.environ["ACCOUNTS_DATABASE_URL"])
    try:
        with Session(engine) as session:
            events = session.scalars(select(OutboxMessage).where(OutboxMessage.name == "account.registered")).all()
    finally:
        engine.dispose()
    [link] = [event.payload["confirm_url"] for event in events if event.payload["email"] == email]
    assert requests.get(link, timeout=10, allow_redirects=False).status_code == 302
    return link


def test_each_path_reaches_its_service(platform):
    for service in SERVICES:
        answer = requests.get(f"{platform}{PATHS[service]}/healthz", timeout=5)
        assert answer.status_code == 200 and answer.json()["service"] == service
    # The path alone leads to the service's home; an unknown path is not found.
    bare = requests.get(f"{platform}/subventions", timeout=5, allow_redirects=False)
    assert bare.status_code == 308 and bare.headers["Location"] == "/subventions/"
    assert requests.get(f"{platform}/nulle-part", timeout=5).status_code == 404


def test_the_home_page_is_at_the_root_and_leads_to_both_halves(platform):
    home = _browser().get(f"{platform}/", timeout=10)

    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")
    assert "Financer les industries créatives de la métropole" in home.text
    assert 'href="/subventions/"' in home.text  # the open calls, under the grants' path
    assert f'href="{platform}/financement-participatif/"' in home.text  # the campaigns
    assert f'href="{platform}/comptes/signin?next=' in home.text
    assert 'class="brand" href="' + platform + '/"' in home.text
    # The language switch keeps to the home page; the choice is the platform's, on every path.
    english = _browser().get(f"{platform}/?lang=en", timeout=10)
    assert "Funding for the area's creative industries" in html.unescape(english.text)
    assert re.search(r"lang=en;.*Path=/(;|$)", english.headers["Set-Cookie"])


def test_redirects_links_and_next_carry_the_path(platform):
    browser = _browser()
    link = _sign_up_and_confirm(platform, "ana@example.org", "applicant")
    # The email's link: the public address with the accounts service's path.
    assert link.startswith(f"{platform}/comptes/accounts/confirm/")

    asked = browser.get(f"{platform}/subventions/applications", timeout=10, allow_redirects=False)
    assert asked.status_code == 302
    page = f"{platform}/subventions/applications"
    assert asked.headers["Location"] == f"{platform}/comptes/signin?next={quote(page, safe='')}"

    signed_in = _post_form(browser, asked.headers["Location"], {"email": "ana@example.org", "password": "a long password"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == page
    mine = browser.get(page, timeout=10)
    assert mine.status_code == 200 and "Ana" in mine.text
    # The header's menu: "my applications" for an applicant, and the other half at its address.
    assert 'href="/subventions/applications">Mes candidatures' in mine.text
    assert f'href="{platform}/financement-participatif/">Campagnes' in mine.text


def test_the_openapi_servers_carry_the_path(platform):
    for service in SERVICES:
        spec = requests.get(f"{platform}{PATHS[service]}/openapi.json", timeout=10).json()
        assert spec["servers"] == [{"url": f"{platform}{PATHS[service]}"}]
        docs = requests.get(f"{platform}{PATHS[service]}/docs", timeout=10)
        assert f'"{PATHS[service]}/openapi.json"' in docs.text
        assert requests.get(f"{platform}{PATHS[service]}/docs-assets/swagger-ui-bundle.js", timeout=10).status_code == 200


def test_one_account_one_session_for_the_whole_platform_ended_everywhere_at_once(platform):
    _sign_up_and_confirm(platform, "bea@example.org", "applicant")
    browser = _browser()
    signed_in = _post_form(browser, f"{platform}/comptes/signin?next={quote(platform + '/subventions/', safe='')}",
                           {"email": "bea@example.org", "password": "a long password"})
    assert signed_in.status_code == 302
    stolen = browser.cookies.get("tremplin_session")
    # Signed in once: the grants, the crowdfunding and the messages know her.
    mine = browser.get(f"{platform}/subventions/applications", timeout=10).text
    assert "Bea" in mine, mine[mine.find("<header"):mine.find("</header>")]
    campaigns = browser.get(f"{platform}/financement-participatif/", timeout=10).text
    assert "Bea" in campaigns[campaigns.find("<header"):campaigns.find("</header>")]
    assert browser.get(f"{platform}/messages/mes-messages", timeout=10).status_code == 200
    # One click: the applicant becomes a campaign owner with the same account.
    became = _post_form(browser, f"{platform}/comptes/account", {"action": "role", "role": "campaign_owner"})
    assert became.status_code == 302

    assert _post_form(browser, f"{platform}/comptes/signout", {}).status_code == 302
    copy = _browser()
    copy.cookies.set("tremplin_session", stolen)
    for page in ("/comptes/account", "/subventions/applications", "/messages/mes-messages"):
        wait_until(lambda: copy.get(f"{platform}{page}", timeout=10, allow_redirects=False).status_code == 302,
                   timeout=30, message=f"the old cookie refused at {page}")


def _pair_states(service_port: int, proxy_ports: set[int]) -> dict[str, set[str]]:
    """The TCP states of the connections between the proxy (its ports `proxy_ports`) and a service,
    on each side: the kernel keeps a side in TIME_WAIT for a minute once it closed first."""
    states = {"proxy": set(), "service": set()}
    for connection in psutil.net_connections(kind="tcp4"):
        if not connection.raddr:
            continue
        if connection.raddr.port == service_port and connection.laddr.port in proxy_ports:
            states["proxy"].add(connection.status)
        elif connection.laddr.port == service_port and connection.raddr.port in proxy_ports:
            states["service"].add(connection.status)
    return states


def test_the_proxy_closes_an_idle_connection_to_a_service_before_the_service_does(proxied):
    # A request Caddy sends on a connection the service is closing at that moment is lost, and a
    # POST (Go's HTTP client resends only idempotent requests) is answered with an empty 502: a
    # browser journey's sign-in failed so once in CI. Caddy lets an idle connection go after 2 s,
    # gunicorn after 5 s (WEB_KEEPALIVE_SECONDS): Caddy always closes first, which TCP shows,
    # since the side that closes first is the one left in TIME_WAIT.
    service_port = proxied.ports["accounts"]
    [caddy] = {connection.pid for connection in psutil.net_connections(kind="tcp4")
               if connection.status == psutil.CONN_LISTEN and connection.laddr.port == proxied.proxy_port}
    assert requests.get(f"{proxied.base}{PATHS['accounts']}/healthz", timeout=5).status_code == 200
    proxy_ports = {connection.laddr.port for connection in psutil.Process(caddy).net_connections(kind="tcp4")
                   if connection.raddr and connection.raddr.port == service_port}
    assert proxy_ports, "Caddy keeps its connection to the service open for the next request"
    assert "ESTABLISHED" in _pair_states(service_port, proxy_ports)["service"]

    def closed_on_both_sides() -> bool:
        states = _pair_states(service_port, proxy_ports)
        return states["proxy"] | states["service"] <= {"TIME_WAIT"}

    wait_until(closed_on_both_sides, timeout=20, interval=0.2, message="Caddy's idle connections to the service closed")
    states = _pair_states(service_port, proxy_ports)
    assert states == {"proxy": {"TIME_WAIT"}, "service": set()}, states
