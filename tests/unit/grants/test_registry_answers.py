"""Reading the company registry's answers, with no network: what each HTTP answer means.
The adapter's requests (pace, timeouts, 429) are tested in tests/integration/grants/test_registry.py."""
import json
from datetime import date

import pytest

from services.grants.registry import (
    ACTIVE,
    CEASED,
    UNKNOWN,
    RegistryAnswerInvalid,
    RegistryBusy,
    RegistrySettings,
    RegistryUnavailable,
    read_answer,
    retry_after_seconds,
)
from tests import registry_answers as answers


def test_an_active_unit():
    answer = read_answer(answers.ACTIVE_SIREN, 200, answers.ACTIVE, url="https://r/search?q=732829320")
    assert (answer.status, answer.closed_on, answer.created_on) == (ACTIVE, None, date(2015, 3, 2))
    assert answer.legal_name == "LUMIÈRE & FILS PRODUCTIONS"
    assert answer.raw == answers.ACTIVE  # kept as received, to be stored with the check
    assert answer.document["results"][0]["siege"]["siret"] == "73282932000074"
    assert (answer.http_status, answer.url) == (200, "https://r/search?q=732829320")


def test_a_ceased_unit_and_its_closing_date():
    answer = read_answer(answers.CEASED_SIREN, 200, answers.CEASED)
    assert (answer.status, answer.closed_on, answer.created_on) == (CEASED, date(2023, 9, 30), date(2019, 6, 17))


def test_a_ceased_unit_without_a_closing_date():
    answer = read_answer(answers.CEASED_NO_DATE_SIREN, 200, answers.CEASED_NO_DATE)
    assert (answer.status, answer.closed_on) == (CEASED, None)


def test_a_siren_with_no_result_is_unknown():
    answer = read_answer(answers.UNKNOWN_SIREN, 200, answers.NOT_FOUND)
    assert (answer.status, answer.closed_on, answer.created_on, answer.legal_name) == (UNKNOWN, None, None, None)
    assert answer.document["total_results"] == 0


def test_results_about_other_firms_leave_the_siren_unknown():
    assert read_answer(answers.UNKNOWN_SIREN, 200, answers.OTHER_FIRM).status == UNKNOWN


def test_a_429_is_busy_with_its_delay():
    with pytest.raises(RegistryBusy) as busy:
        read_answer(answers.ACTIVE_SIREN, 429, answers.TOO_MANY, "30")
    assert (busy.value.retry_after, busy.value.retry_after_ms, busy.value.http_status) == (30.0, 30_000, 429)
    assert busy.value.raw == answers.TOO_MANY


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_is_unavailable(status):
    with pytest.raises(RegistryUnavailable) as unavailable:
        read_answer(answers.ACTIVE_SIREN, status, answers.SERVER_ERROR)
    assert unavailable.value.http_status == status and unavailable.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, answers.BAD_REQUEST),
        (404, "<html>Not found</html>"),
        (200, "<html>maintenance</html>"),
        (200, json.dumps({"erreur": "x"})),
        (200, json.dumps({"results": "none"})),
        (200, json.dumps([1, 2])),
        (200, answers.ACTIVE.replace('"etat_administratif": "A"', '"etat_administratif": "F"')),
        (200, answers.CEASED.replace('"date_fermeture": "2023-09-30"', '"date_fermeture": "30/09/2023"')),
    ],
)
def test_what_is_not_the_apis_answer_is_invalid(status, body):
    siren = answers.CEASED_SIREN if "STUDIO" in body else answers.ACTIVE_SIREN
    with pytest.raises(RegistryAnswerInvalid) as invalid:
        read_answer(siren, status, body)
    assert invalid.value.raw == body


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("1.5", 1.5),
        ("0", 1.0),  # at least a second: the API counts per second
        (None, 1.0),
        ("", 1.0),
        ("soon", 1.0),
        ("99999", 3600.0),
        ("Wed, 21 Oct 2026 07:28:30 GMT", 30.0),  # 30 s after `now` below
        ("Wed, 21 Oct 2026 07:27:00 GMT", 1.0),  # already past
    ],
)
def test_retry_after_in_seconds_or_as_a_date(header, seconds):
    now = 1792567680.0  # 2026-10-21 07:28:00 UTC
    assert retry_after_seconds(header, now=now) == seconds


def test_settings_from_the_environment(monkeypatch):
    assert RegistrySettings.from_environment() == RegistrySettings()
    assert RegistrySettings().base_url == "https://recherche-entreprises.api.gouv.fr"
    monkeypatch.setenv("REGISTRY_BASE_URL", "http://127.0.0.1:8005/")
    monkeypatch.setenv("REGISTRY_MAX_REQUESTS_PER_SECOND", "3")
    monkeypatch.setenv("REGISTRY_TIMEOUT_SECONDS", "1.5")
    assert RegistrySettings.from_environment() == RegistrySettings("http://127.0.0.1:8005", 3, 1.5, 2.0)
