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

from services.accounts.models import ROLES
from tests.people import bearer, person

# The services with API routes.
SERVICES = ("grants", "crowdfunding", "notifications", "accounts")

CONFIG = schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))

# Bounded so that the four services take well under a minute together on a busy 2-core machine;
# schemathesis's coverage phase adds its own boundary values (huge numbers, empty strings...).
MAX_EXAMPLES = 10


@pytest.fixture(params=SERVICES)
def service_app(request):
    if request.param == "crowdfunding":
        request.getfixturevalue("localstripe")  # its Stripe, should a request reach it
    app = importlib.import_module(f"services.{request.param}.app").create_app({"TESTING": True})
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def api_schema(service_app):
    return schemathesis.openapi.from_wsgi("/openapi.json", service_app, config=CONFIG)


@pytest.fixture
def identities(service_app):
    """In turn: no Authorization header, then a token for a confirmed account of each role."""
    headers = [{}] + [bearer(person(service_app, f"{role}@example.org", [role], role)) for role in ROLES]
    return itertools.cycle(headers)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
# Derandomised: `make test` sends the same requests every run, so a failure is never a fluke.
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, identities):
    case.call_and_validate(headers=next(identities))
