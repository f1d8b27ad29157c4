"""The company registry adapter against answers of the real API's shape (`responses`, the API
being on the internet), paced through the real Redis."""
import os
import socket
import time
import uuid
from datetime import date

import pytest
import requests
import responses
from responses import matchers

from services.grants.registry import (
    ACTIVE,
    CEASED,
    DEFAULT_BASE_URL,
    PACE_NAME,
    UNKNOWN,
    Registry,
    RegistryAnswerInvalid,
    RegistryBusy,
    RegistrySettings,
    RegistryUnavailable,
)
from shared.core.config import load_settings
from shared.core.pacing import Pace
from tests import registry_answers as answers

SEARCH = f"{DEFAULT_BASE_URL}/search"


def _registry(per_second=7, **settings):
    pace = Pace(os.environ["REDIS_URL"], f"registry-{uuid.uuid4().hex[:6]}", per_second,
                namespace=os.environ["DRAMATIQ_NAMESPACE"])
    return Registry(pace, RegistrySettings(per_second=per_second, **settings))


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


def _answer(api, siren, body, status=200, headers=None):
    api.add(responses.GET, SEARCH, body=body, status=status, headers=headers,
            content_type="application/json", match=[matchers.query_param_matcher({"q": siren})])


def test_an_active_firm(api):
    _answer(api, answers.ACTIVE_SIREN, answers.ACTIVE)
    answer = _registry().check("732 829 320")
    assert (answer.siren, answer.status, answer.closed_on, answer.created_on) == (
        answers.ACTIVE_SIREN, ACTIVE, None, date(2015, 3, 2))
    assert answer.legal_name == "LUMIÈRE & FILS PRODUCTIONS"  # UTF-8 read as UTF-8
    assert answer.raw == answers.ACTIVE
    assert answer.url == f"{SEARCH}?q=732829320"
    request = api.calls[0].request
    assert request.headers["Accept"] == "application/json"


def test_a_ceased_firm_with_its_closing_date(api):
    _answer(api, answers.CEASED_SIREN, answers.CEASED)
    answer = _registry().check(answers.CEASED_SIREN)
    assert (answer.status, answer.closed_on, answer.created_on) == (CEASED, date(2023, 9, 30), date(2019, 6, 17))


def test_an_unknown_siren(api):
    _answer(api, answers.UNKNOWN_SIREN, answers.NOT_FOUND)
    answer = _registry().check(answers.UNKNOWN_SIREN)
    assert answer.status == UNKNOWN
    assert answer.raw == answers.NOT_FOUND


def test_a_429_raises_busy_with_the_retry_after_delay_at_once(api):
    _answer(api, answers.ACTIVE_SIREN, answers.TOO_MANY, status=429, headers={"Retry-After": "42"})
    began = time.monotonic()
    with pytest.raises(RegistryBusy) as busy:
        _registry().check(answers.ACTIVE_SIREN)
    assert time.monotonic() - began < 1  # it does not sleep the delay itself
    assert (busy.value.retry_after, busy.value.retry_after_ms, busy.value.http_status) == (42.0, 42_000, 429)


def test_a_429_without_retry_after_waits_a_second(api):
    _answer(api, answers.ACTIVE_SIREN, answers.TOO_MANY, status=429)
    with pytest.raises(RegistryBusy) as busy:
        _registry().check(answers.ACTIVE_SIREN)
    assert busy.value.retry_after == 1.0


@pytest.mark.parametrize("failure", [requests.exceptions.ReadTimeout("read timed out"),
                                     requests.exceptions.ConnectTimeout("connect timed out")])
def test_a_timeout_is_unavailable(api, failure):
    api.add(responses.GET, SEARCH, body=failure)
    with pytest.raises(RegistryUnavailable, match="did not answer within 5 s"):
        _registry().check(answers.ACTIVE_SIREN)


def test_a_refused_connection_is_unavailable(api):
    api.add(responses.GET, SEARCH, body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(RegistryUnavailable, match="could not be reached"):
        _registry().check(answers.ACTIVE_SIREN)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_is_unavailable(api, status):
    _answer(api, answers.ACTIVE_SIREN, answers.SERVER_ERROR, status=status)
    with pytest.raises(RegistryUnavailable) as unavailable:
        _registry().check(answers.ACTIVE_SIREN)
    assert unavailable.value.http_status == status
    assert unavailable.value.raw == answers.SERVER_ERROR


def test_a_400_or_a_body_that_is_not_the_apis_is_invalid(api):
    _answer(api, answers.ACTIVE_SIREN, answers.BAD_REQUEST, status=400)
    _answer(api, answers.CEASED_SIREN, "<html><body>Maintenance</body></html>")
    registry = _registry()
    with pytest.raises(RegistryAnswerInvalid):
        registry.check(answers.ACTIVE_SIREN)
    with pytest.raises(RegistryAnswerInvalid) as invalid:
        registry.check(answers.CEASED_SIREN)
    assert "Maintenance" in invalid.value.raw


def test_a_number_that_is_not_a_siren_is_not_sent(api):
    with pytest.raises(ValueError):
        _registry().check("732829321")
    with pytest.raises(ValueError):
        _registry().check("73282932000074")  # a SIRET: the registry is asked about units
    assert len(api.calls) == 0


def test_the_base_address_is_a_setting(api, monkeypatch):
    monkeypatch.setenv("REGISTRY_BASE_URL", "http://registry.example.test/v1/")
    api.add(responses.GET, "http://registry.example.test/v1/search", body=answers.ACTIVE,
            match=[matchers.query_param_matcher({"q": answers.ACTIVE_SIREN})])
    registry = Registry.from_settings(load_settings("grants"))
    assert registry.check(answers.ACTIVE_SIREN).status == ACTIVE
    assert registry.pace.name == PACE_NAME and registry.pace.per_second == 7


def test_requests_are_paced_at_the_registrys_rate(api):
    sent = []

    def answer(request):
        sent.append(time.time())
        return 200, {}, answers.NOT_FOUND

    api.add_callback(responses.GET, SEARCH, callback=answer)
    registry = _registry(per_second=7)
    began = time.monotonic()
    for _ in range(9):
        assert registry.check(answers.UNKNOWN_SIREN).status == UNKNOWN
    # Seven at once, the eighth and ninth when the first are a second old.
    assert time.monotonic() - began >= 0.95
    assert len(sent) == 9
    # The eighth's slot is a second after the first's; each request is noted a little after its
    # slot, the first up to 75 ms late in a full run on two cores (seen once): 150 ms of leeway, as
    # tests/integration/shared/test_pacing.py allows.
    assert sent[7] - sent[0] >= 1 - 0.15


def test_no_slot_in_the_pace_in_time_is_busy_without_a_request(api):
    _answer(api, answers.ACTIVE_SIREN, answers.ACTIVE)
    registry = _registry(per_second=1, pace_wait_seconds=0.1)
    assert registry.check(answers.ACTIVE_SIREN).status == ACTIVE
    with pytest.raises(RegistryBusy) as busy:
        registry.check(answers.ACTIVE_SIREN)
    assert busy.value.retry_after == 1.0 and busy.value.http_status is None
    assert len(api.calls) == 1


def test_a_registry_that_never_answers_times_out():
    """A real socket that accepts connections and never answers: the timeout is the setting's."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        registry = _registry(base_url=f"http://127.0.0.1:{port}", timeout_seconds=0.3)
        began = time.monotonic()
        with pytest.raises(RegistryUnavailable, match="within 0.3 s"):
            registry.check(answers.ACTIVE_SIREN)
        assert 0.3 <= time.monotonic() - began < 1.5
