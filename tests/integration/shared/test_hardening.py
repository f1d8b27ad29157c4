"""Bad input answers 4xx on every service, never 500, and changes nothing; every answer carries
the security headers.

Each fix lives in shared/ (a bounded `int` converter, bounded fields, a JSON loader with a depth
limit, a check of text, security headers), so each test runs against every service or every route.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.grants.models import Application, Call
from services.accounts.models import ROLES
from services.crowdfunding.config import stripe_settings
from tests.people import bearer, person
from shared.core.fields import INT_MAX
from tests.integration.grants.applicant_setup import PROFILE
from tests.integration.grants.grants_manager_setup import call_payload, fund, open_call

SERVICES = ("grants", "crowdfunding", "notifications", "accounts")
HUGE = 2**63
REPO = Path(__file__).resolve().parents[3]


def _app(service, **settings):
    module = importlib.import_module(f"services.{service}.app")
    return module.create_app({"TESTING": True, "SETTINGS_OVERRIDES": settings})


def _token(app, roles, email="someone@example.org") -> dict:
    return bearer(person(app, email, roles, "Someone"))


def _count(app, model) -> int:
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- Huge ids -------------------------------------------------------------------------------------


def _routes_with_ids(app):
    for rule in app.url_map.iter_rules():
        ids = [name for name, converter in rule._converters.items() if type(converter).__name__ == "IdConverter"]
        if ids:
            yield rule, ids


@pytest.mark.parametrize("huge", [HUGE, INT_MAX + 1])
def test_an_id_beyond_our_columns_in_any_path_is_a_404(huge):
    tried = 0
    for service in SERVICES:
        app = _app(service)
        client = app.test_client()
        headers = _token(app, ROLES)  # every role, so that no role check answers before the route
        for rule, _ in _routes_with_ids(app):
            path = re.sub(r"<int:\w+>", str(huge), rule.rule)
            path = re.sub(r"<(?:string:)?\w+>", "budget", path)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method, headers=headers, json={})
                assert response.status_code == 404, (service, method, path, response.status_code)
                tried += 1
    assert tried > 20


def test_a_huge_id_in_a_body_is_a_422_naming_the_field(grants_app, grants):
    manager = _token(grants_app, ["fund_manager"], "manager@example.org")
    applicant = _token(grants_app, ["applicant"], "applicant@example.org")
    for huge in (HUGE, INT_MAX + 1):
        response = grants.post("/api/calls", json=call_payload(huge), headers=manager)
        assert response.status_code == 422
        assert set(response.get_json()["errors"]["json"]) == {"fund_id"}
        response = grants.post("/api/applications", json={"call_id": huge}, headers=applicant)
        assert response.status_code == 422
        assert set(response.get_json()["errors"]["json"]) == {"call_id"}
    assert _count(grants_app, Call) == 0 and _count(grants_app, Application) == 0


def test_a_huge_page_number_is_a_422(notifications_app):
    client = notifications_app.test_client()
    admin = _token(notifications_app, ["admin"])
    for path in ("/api/me/messages", "/api/deliveries"):
        response = client.get(f"{path}?page={HUGE}", headers=admin)
        assert response.status_code == 422, path
        assert set(response.get_json()["errors"]["query"]) == {"page"}
    assert client.get("/api/deliveries?page=2", headers=admin).status_code == 200


def _request_integers(spec):
    """(where, schema) of every integer a client sends: path, query and JSON bodies, nested."""

    def walk(schema, where):
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if schema.get("type") == "integer":
            yield where, schema
        for name, child in schema.get("properties", {}).items():
            yield from walk(child, f"{where}.{name}")
        if "items" in schema:
            yield from walk(schema["items"], f"{where}[]")

    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in shared + operation.get("parameters", []):
                yield from walk(parameter["schema"], f"{method.upper()} {path} {parameter['name']}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                yield from walk(body["schema"], f"{method.upper()} {path} body")


def test_every_integer_a_client_sends_is_bounded_in_the_openapi_document():
    """What keeps future routes safe: an unbounded integer field, query parameter or path id
    fails here before it can reach a database column."""
    integers = [
        found
        for service in SERVICES
        for found in _request_integers(_app(service).test_client().get("/openapi.json").get_json())
    ]
    assert len(integers) > 20
    unbounded = [where for where, schema in integers if schema.get("maximum", INT_MAX + 1) > INT_MAX]
    assert unbounded == []


# --- Deep JSON ------------------------------------------------------------------------------------


def test_json_nested_too_deep_is_a_400():
    client = _app("accounts").test_client()
    for depth in (100_000, 33):
        body = "[" * depth + "]" * depth
        response = client.post("/api/accounts", data=body, content_type="application/json")
        assert response.status_code == 400, depth
        assert "nested" in response.get_json()["message"]
    # As deep as our schemas go is fine: the schema answers.
    nested = {"email": "a@example.org", "name": "A", "password": "a long password", "language": [[[["fr"]]]]}
    assert client.post("/api/accounts", json=nested).status_code == 422


# --- Text that is not text ------------------------------------------------------------------------


def test_a_lone_surrogate_in_any_string_is_a_422_naming_the_field():
    app = _app("accounts")
    client = app.test_client()
    body = '{"email": "a@example.org", "name": "Ann \\ud800", "password": "a long password"}'
    response = client.post("/api/accounts", data=body, content_type="application/json")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["json"]) == ["name"]
    with app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(app.extensions["people"])) == 0


def test_a_lone_surrogate_is_named_where_it_is_nested(grants_app, grants):
    applicant = _token(grants_app, ["applicant"])
    body = '{"call_id": 1, "funding_sources": [{"kind": "own_funds", "amount_cents": 1, "description": "\\udfff"}]}'
    response = grants.post("/api/applications", data=body, content_type="application/json", headers=applicant)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {
        "funding_sources": {"0": {"description": [response.get_json()["errors"]["json"]["funding_sources"]["0"]["description"][0]]}}
    }
    key = grants.post("/api/applications", data='{"\\ud800": 1}', content_type="application/json", headers=applicant)
    assert key.status_code == 422 and list(key.get_json()["errors"]["json"]) == ["\\ud800"]


def test_a_nul_character_is_a_422_in_a_query_or_body_and_a_404_in_a_path(notifications_app, grants_app, grants):
    admin = _token(notifications_app, ["admin"])
    client = notifications_app.test_client()
    response = client.get("/api/deliveries?event_id=%00" + "a" * 35, headers=admin)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["query"]) == ["event_id"]
    response = client.post("/api/accounts", json={"email": "a@example.org", "name": "A\x00", "password": "a long password"})
    assert response.status_code == 422 and list(response.get_json()["errors"]["json"]) == ["name"]

    applicant = _token(grants_app, ["applicant"])
    assert grants.get("/api/applications/1/documents/bud%00get", headers=applicant).status_code == 404


def test_a_long_password_is_judged_not_a_500():
    """zxcvbn refuses more than 72 characters; we accept up to 200 (found by the fuzz test)."""
    client = _app("accounts").test_client()
    long = "correct horse battery staple " * 4 + "Volcans d'Auvergne 1789 !"
    assert 72 < len(long) <= 200
    body = {"email": "long@example.org", "name": "Long", "password": long}
    assert client.post("/api/accounts", json=body).status_code == 202
    weak = {"email": "weak@example.org", "name": "Weak", "password": "a" * 150}
    assert client.post("/api/accounts", json=weak).status_code == 422


# --- Dates at the edge of the calendar -------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00", "0001-06-01T12:00:00Z",
     "9999-12-31T23:30"],
)
def test_a_time_at_the_edge_of_the_calendar_is_a_422(grants_app, grants, moment):
    manager = _token(grants_app, ["fund_manager"])
    fund_id = fund(grants, manager)["id"]
    response = grants.post("/api/calls", json=call_payload(fund_id, opens_at=moment), headers=manager)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["json"]) == ["opens_at"]
    assert _count(grants_app, Call) == 0


def test_a_call_criterion_sent_without_its_code_is_a_422_on_edit(grants_app, grants):
    manager = _token(grants_app, ["fund_manager"])
    call = grants.post("/api/calls", json=call_payload(fund(grants, manager)["id"]), headers=manager).get_json()
    response = grants.patch(
        f"/api/calls/{call['id']}", json={"scoring_grid": [{"label_fr": "Impact", "weight": 1}]}, headers=manager
    )
    assert response.status_code == 422
    assert "code" in response.get_json()["errors"]["json"]["scoring_grid"]["0"]


# --- What the OpenAPI documents promise ----------------------------------------------------------


def test_the_role_field_is_an_enum_of_the_roles_people_may_choose():
    app = _app("accounts")
    spec = app.test_client().get("/openapi.json").get_json()
    roles = importlib.import_module("services.accounts.config").SELF_SERVICE_ROLES
    assert spec["components"]["schemas"]["SignUp"]["properties"]["role"]["enum"] == list(roles)
    refused = app.test_client().post(
        "/api/accounts", json={"email": "a@example.org", "name": "A", "password": "a long password", "role": "admin"}
    )
    assert refused.status_code == 422 and list(refused.get_json()["errors"]["json"]) == ["role"]


def test_a_required_body_is_required_and_booleans_are_booleans(notifications_app):
    client = notifications_app.test_client()
    me = _token(notifications_app, ["applicant"])
    missing = client.patch("/api/me/preferences", headers=me)
    assert missing.status_code == 400 and "JSON" in missing.get_json()["message"]
    zero = client.patch("/api/me/preferences", json={"campaign_news": 0}, headers=me)
    assert zero.status_code == 422 and list(zero.get_json()["errors"]["json"]) == ["campaign_news"]
    assert client.patch("/api/me/preferences", json={"campaign_news": False}, headers=me).get_json()["campaign_news"] is False


@pytest.mark.parametrize("service", SERVICES)
def test_every_api_route_is_declared_on_the_shared_blueprint(service):
    """The shared Blueprint is where a documented body becomes required and argument schemas are
    made once: an API blueprint of flask-smorest's own would silently lose both."""
    import flask_smorest

    from shared.web.blueprint import Blueprint

    app = _app(service)
    api_blueprints = [blueprint for blueprint in app.blueprints.values()
                      if isinstance(blueprint, flask_smorest.Blueprint) and (blueprint.url_prefix or "").startswith("/api")]
    assert api_blueprints
    assert [b.name for b in api_blueprints if not isinstance(b, Blueprint)] == []


def test_a_draft_saved_without_a_body_is_refused_and_unchanged(grants_app):
    client = grants_app.test_client()
    manager = _token(grants_app, ["fund_manager"], "manager@example.org")
    call = open_call(client, manager, fund(client, manager)["id"])
    me = _token(grants_app, ["applicant"])
    assert client.put("/api/profile", headers=me, json=PROFILE).status_code == 200
    draft = client.post("/api/applications", headers=me, json={"call_id": call["id"], "project_title": "Tournée"}).get_json()
    missing = client.patch(f"/api/applications/{draft['id']}", headers=me)
    assert missing.status_code == 400 and "JSON" in missing.get_json()["message"]
    assert client.get(f"/api/applications/{draft['id']}", headers=me).get_json()["project_title"] == "Tournée"


def test_the_pagination_header_is_documented_as_the_json_string_it_is(notifications_app):
    spec = notifications_app.test_client().get("/openapi.json").get_json()
    header = spec["paths"]["/api/me/messages"]["get"]["responses"]["200"]["headers"]["X-Pagination"]
    assert header["schema"] == {"type": "string"}


# --- Security headers -------------------------------------------------------------------------------


def _answers(service):
    """A page, an API answer, an API error, an unknown address, the API docs and a static file."""
    page = "/signup" if service == "accounts" else "/"
    api = {"grants": "/api/calls", "accounts": "/api/accounts/me", "notifications": "/api/me/messages"}.get(service, "/api/nothing")
    return [page, api, "/api/nothing",
            "/nothing", "/docs", "/docs-assets/swagger-ui-bundle.js", "/openapi.json", "/healthz"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_answer_carries_the_security_headers(service):
    client = _app(service).test_client()
    for path in _answers(service):
        response = client.get(path, headers={"Accept": "text/html"} if not path.startswith("/api") else {})
        headers = response.headers
        policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
        assert policy["default-src"] == "'self'", path
        if service == "crowdfunding":
            # Stripe.js from the one origin it is configured to load from: localstripe in the tests.
            local = stripe_settings().js_origin
            assert local.startswith("http://127.0.0.1:")
            assert policy["script-src"] == f"'self' {local}" and policy["connect-src"] == f"'self' {local}"
            assert policy["frame-src"] == "'none'"  # localstripe's card field is drawn in the page
        else:
            # The other services load no script from anywhere else.
            assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers


def test_the_real_stripe_js_is_allowed_when_stripe_keys_are_set(monkeypatch, localstripe):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_example")
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_live_example")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_example")
    header = _app("crowdfunding").test_client().get("/").headers["Content-Security-Policy"]
    policy = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert policy["script-src"] == "'self' https://js.stripe.com"
    assert policy["frame-src"] == "https://js.stripe.com https://hooks.stripe.com"
    assert policy["connect-src"] == "'self' https://api.stripe.com"
    assert "127.0.0.1" not in header


@pytest.mark.parametrize("service", SERVICES)
def test_hsts_behind_https(service):
    client = _app(service, public_url="https://tremplin.example.org").test_client()
    for path in ("/signup", "/api/nothing", "/healthz"):
        assert client.get(path).headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_page_needs_an_inline_script():
    """The policy allows no inline script: every template, ours and the API docs page, loads
    scripts from files and has no on... handler attributes."""
    templates = [path for path in REPO.glob("s*/**/templates/**/*.html") if "/email/" not in str(path)]
    assert templates
    for path in templates:
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path


@pytest.mark.parametrize("service", SERVICES)
def test_the_api_docs_page_starts_swagger_ui_from_our_own_files(service):
    client = _app(service).test_client()
    page = client.get("/docs").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/' in attributes and not body.strip() for attributes, body in scripts)
    for source in re.findall(r'src="([^"]+)"', page):
        assert client.get(source).status_code == 200
    assert client.get("/shared-assets/api-docs.js").get_data(as_text=True).count("SwaggerUIBundle") == 1
