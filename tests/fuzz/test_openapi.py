"""Fuzzing every service's API from its own OpenAPI document (schemathesis, in process over WSGI),
anonymous and signed in with each role: no server error, and no answer that breaks the document."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from shared.accounts.auth import ROLES, issue_token
from shared.accounts.models import create_account

SERVICES = ("grants", "crowdfunding", "notifications")

CONFIG = schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))

# Bounded so the three services together take well under a minute on a busy 2-core machine.
MAX_EXAMPLES = 8


@pytest.fixture(params=SERVICES)
def service_app(request):
    app = importlib.import_module(f"services.{request.param}.app").create_app({"TESTING": True})
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def api_schema(service_app):
    return schemathesis.openapi.from_wsgi("/openapi.json", service_app, config=CONFIG)


@pytest.fixture
def identities(service_app) -> list[dict]:
    """No Authorization header, then a token for a confirmed account of each role."""
    settings_ = service_app.config["SETTINGS"]
    headers = [{}]
    with service_app.extensions["db"].unit_of_work() as session:
        accounts = [
            create_account(session, settings_, email=f"{role}@example.org", name=role, password="a long password",
                           roles=[role], confirmed=True)
            for role in ROLES
        ]
        session.flush()
        for account in accounts:
            token = issue_token(settings_.secret_key, settings_.token_audience, account.id, account.roles, 600)
            headers.append({"Authorization": f"Bearer {token}"})
    return headers


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, identities):
    for headers in identities:
        case.call_and_validate(headers=headers)
