"""The one adapter for the French company registry: the free API "Recherche d'entreprises"
(https://recherche-entreprises.api.gouv.fr, `GET /search?q=<siren>`).

It answers, for a SIREN, whether the legal unit is active, ceased (and since when) or unknown:
not found, or the firm chose not to be listed publicly (the API then leaves it out). Every
answer keeps the body as received, so that each check can be stored with what the registry
said.

Its limits, which every caller gets:
- at most `REGISTRY_MAX_REQUESTS_PER_SECOND` (7, the API's published limit) across every
  process, through the shared pace in Redis (`shared.core.pacing`); a request that finds no
  slot within `REGISTRY_PACE_WAIT_SECONDS` raises `RegistryBusy`;
- HTTP 429 raises `RegistryBusy` carrying the `Retry-After` delay, for the dramatiq actor to
  send its message again with that delay (nothing sleeps here beyond the pace's short wait);
- `REGISTRY_TIMEOUT_SECONDS` to connect and again to read; a timeout, a refused connection or a
  5xx raises `RegistryUnavailable` (retry with the actor's backoff); an answer that is not the
  API's shape raises `RegistryAnswerInvalid` (retrying will not help: look at its body);
- `REGISTRY_BASE_URL` says where the API is: the real one by default, the local stand-in
  (services/grants/registry_standin.py) under `make run`, offline.

Used by the impact issue (14): the scheduled checks of supported firms and of the comparison
group.
"""
from __future__ import annotations

import email.utils
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import date

import requests
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren

from shared.core.pacing import Pace

DEFAULT_BASE_URL = "https://recherche-entreprises.api.gouv.fr"
PACE_NAME = "company-registry"

ACTIVE = "active"
CEASED = "ceased"
UNKNOWN = "unknown"  # not found, or not listed publicly by the firm's choice

# A 429 without a usable Retry-After: the API counts per second.
DEFAULT_RETRY_AFTER = 1.0
LONGEST_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class RegistrySettings:
    base_url: str = DEFAULT_BASE_URL
    per_second: int = 7
    timeout_seconds: float = 5.0
    pace_wait_seconds: float = 2.0

    @classmethod
    def from_environment(cls) -> "RegistrySettings":
        env = os.environ
        return cls(
            base_url=env.get("REGISTRY_BASE_URL", DEFAULT_BASE_URL).rstrip("/"),
            per_second=int(env.get("REGISTRY_MAX_REQUESTS_PER_SECOND", 7)),
            timeout_seconds=float(env.get("REGISTRY_TIMEOUT_SECONDS", 5)),
            pace_wait_seconds=float(env.get("REGISTRY_PACE_WAIT_SECONDS", 2)),
        )


@dataclass(frozen=True)
class RegistryAnswer:
    """What the registry said of one SIREN. `raw` is the body as received."""

    siren: str
    status: str  # ACTIVE, CEASED or UNKNOWN
    closed_on: date | None  # for a ceased unit, when the registry gives it
    created_on: date | None
    legal_name: str | None
    http_status: int
    url: str
    raw: str

    @property
    def document(self) -> dict:
        return json.loads(self.raw)


class RegistryError(Exception):
    """The registry gave no answer to record. `retry_after` (seconds) when it said when to come
    back; `http_status` and `raw` when it answered something."""

    def __init__(self, message: str, *, retry_after: float | None = None, http_status: int | None = None,
                 raw: str | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.http_status = http_status
        self.raw = raw

    @property
    def retry_after_ms(self) -> int | None:
        """The delay as dramatiq's `send_with_options(delay=...)` takes it."""
        return None if self.retry_after is None else int(self.retry_after * 1000)


class RegistryBusy(RegistryError):
    """Too many requests: the API's 429, or no slot in our own pace in time. Try again after
    `retry_after` seconds."""


class RegistryUnavailable(RegistryError):
    """A timeout, a connection that failed, or a 5xx: try again later."""


class RegistryAnswerInvalid(RegistryError):
    """An answer that is not the API's: another 4xx, a body that is not its JSON."""


class Registry:
    """The adapter. One per process is enough: each thread gets its own HTTP session."""

    def __init__(self, pace: Pace, settings: RegistrySettings | None = None):
        self.pace = pace
        self.settings = settings or RegistrySettings()
        self._local = threading.local()

    @classmethod
    def from_settings(cls, settings, registry: RegistrySettings | None = None) -> "Registry":
        """The adapter with the pace in the platform's Redis (`shared.core.config.Settings`) and
        its own settings from the environment."""
        registry = registry or RegistrySettings.from_environment()
        return cls(Pace.from_settings(settings, PACE_NAME, registry.per_second), registry)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers.update({"Accept": "application/json", "User-Agent": "Tremplin (supported firms' survival)"})
        return session

    def check(self, siren: str) -> RegistryAnswer:
        """Ask the registry about one SIREN. ValueError when it is not a valid SIREN (nothing is
        sent); RegistryBusy, RegistryUnavailable or RegistryAnswerInvalid when there is no answer."""
        try:
            number = stdnum_siren.validate(siren)
        except ValidationError:
            raise ValueError(f"{siren!r} is not a valid SIREN.") from None
        if not self.pace.acquire(self.settings.pace_wait_seconds):
            raise RegistryBusy("No slot in the registry's pace in time.", retry_after=DEFAULT_RETRY_AFTER)
        url = f"{self.settings.base_url.rstrip('/')}/search"
        timeout = self.settings.timeout_seconds
        try:
            response = self._session().get(url, params={"q": number}, timeout=(timeout, timeout))
        except requests.Timeout:
            raise RegistryUnavailable(f"The registry did not answer within {timeout:g} s.") from None
        except requests.RequestException as error:
            raise RegistryUnavailable(f"The registry could not be reached: {error.__class__.__name__}.") from None
        # JSON is UTF-8 (RFC 8259), whatever the headers say.
        body = response.content.decode("utf-8", errors="replace")
        return read_answer(number, response.status_code, body, response.headers.get("Retry-After"), url=response.url)


def read_answer(siren: str, http_status: int, body: str, retry_after: str | None = None, *,
                url: str = "", now: float | None = None) -> RegistryAnswer:
    """The registry's HTTP answer about `siren` read: a RegistryAnswer, or the RegistryError
    that fits."""
    if http_status == 429:
        raise RegistryBusy("The registry asks us to slow down.", retry_after=retry_after_seconds(retry_after, now),
                           http_status=http_status, raw=body)
    if http_status >= 500:
        raise RegistryUnavailable(f"The registry failed ({http_status}).", http_status=http_status, raw=body)
    if http_status != 200:
        raise RegistryAnswerInvalid(f"The registry refused the request ({http_status}).", http_status=http_status,
                                    raw=body)
    try:
        document = json.loads(body)
        results = document["results"]
        if not isinstance(results, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise RegistryAnswerInvalid("The registry's answer is not its JSON.", http_status=http_status,
                                    raw=body) from None

    unit = next((r for r in results if isinstance(r, dict) and r.get("siren") == siren), None)
    if unit is None:  # a text match on other firms, or none: this SIREN is not listed
        return RegistryAnswer(siren, UNKNOWN, None, None, None, http_status, url, body)

    state = unit.get("etat_administratif")
    if state not in ("A", "C"):
        raise RegistryAnswerInvalid(f"The registry gave an unknown administrative state {state!r}.",
                                    http_status=http_status, raw=body)
    try:
        created_on = _date(unit.get("date_creation"))
        closed_on = _date(unit.get("date_fermeture")) if state == "C" else None
    except ValueError:
        raise RegistryAnswerInvalid("The registry's answer has a date that is not one.", http_status=http_status,
                                    raw=body) from None
    return RegistryAnswer(
        siren=siren,
        status=ACTIVE if state == "A" else CEASED,
        closed_on=closed_on,
        created_on=created_on,
        legal_name=unit.get("nom_complet") or unit.get("nom_raison_sociale"),
        http_status=http_status,
        url=url,
        raw=body,
    )


def _date(value) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    return date.fromisoformat(value)


def retry_after_seconds(value: str | None, now: float | None = None) -> float:
    """A Retry-After header's delay in seconds: a number of seconds or an HTTP date (RFC 9110),
    at least 1 s and at most an hour; 1 s when it is missing or unreadable."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        if when is None or when.tzinfo is None:
            return DEFAULT_RETRY_AFTER
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, DEFAULT_RETRY_AFTER), LONGEST_RETRY_AFTER)
