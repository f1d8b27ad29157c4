"""Fuzzing every service's API from its own OpenAPI document (schemathesis, in process over WSGI),
anonymous and signed in with each role: no server error, and no answer that breaks the document.

Every check runs (`--checks all`), with the exceptions in schemathesis.toml beside this file. Each
generated request goes out once, as the next identity in turn (anonymous, then each role): over the
hundred-odd requests of an operation every identity sends its share, at a seventh of the time of
sending each request seven times.
"""
from __future__ import annotations

import importlib
import itertools
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from shared.accounts.auth import issue_token
from shared.accounts.models import ROLES
from shared.accounts.models import create_account

SERVICES = ("grants", "crowdfunding", "notifications")

CONFIG = schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))

# Bounded so that the three services take about half a minute together on a busy 2-core machine;
# schemathesis's coverage phase adds its own boundary values (huge numbers, empty strings...).
MAX_EXAMPLES = 10


@pytest.fixture(params=SERVICES)
def service_app(request):
    app = importlib.import_module(f"services.{request.param}.app").create_app({"TESTING": True})
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def api_schema(service_app):
    return schemathesis.openapi.from_wsgi("/openapi.json", service_app, config=CONFIG)


@pytest.fixture
def identities(service_app):
    """In turn: no Authorization header, then a token for a confirmed account of each role."""
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
    return itertools.cycle(headers)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
# Derandomised: `make test` sends the same requests every run, so a failure is never a fluke.
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, identities):
    case.call_and_validate(headers=next(identities))
