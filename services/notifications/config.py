"""The notifications service's settings: shared ones from the environment (see shared.core.config),
and its own — the mail server, the retry policy and the local mailbox page.

Everything here is read when it is used, not at import, so that a worker or a test can point
the service at another SMTP server through the environment.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from services.notifications.smtp import SmtpSettings
from shared.core.config import ROOT, load_settings

SERVICE = "notifications"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def settings():
    return load_settings(SERVICE)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def smtp_settings() -> SmtpSettings:
    """The mail server; the defaults are `make run`'s local devsmtp."""
    env = os.environ
    return SmtpSettings(
        host=env.get("SMTP_HOST", "127.0.0.1"),
        port=int(env.get("SMTP_PORT", 8025)),
        starttls=_flag("SMTP_STARTTLS", False),
        username=env.get("SMTP_USERNAME") or None,
        password=env.get("SMTP_PASSWORD") or None,
        timeout=float(env.get("SMTP_TIMEOUT_SECONDS", 10)),
        data_timeout=float(env.get("SMTP_DATA_TIMEOUT_SECONDS", 60)),
        ca_file=env.get("SMTP_CA_FILE") or None,
    )


def mail_from() -> str:
    return os.environ.get("MAIL_FROM", "Tremplin <no-reply@tremplin.local>")


@dataclass(frozen=True)
class RetryPolicy:
    """How often a temporary failure is tried again: first_backoff, doubling, up to max_backoff."""

    max_attempts: int
    first_backoff: float
    max_backoff: float

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return min(self.first_backoff * 2 ** max(attempts - 1, 0), self.max_backoff)


def retry_policy() -> RetryPolicy:
    env = os.environ
    # The defaults try for about three hours: a mail server restarted or briefly refusing
    # is waited for; an address refused for good fails at once (see smtp.py).
    return RetryPolicy(
        max_attempts=max(int(env.get("DELIVERY_MAX_ATTEMPTS", 10)), 1),
        first_backoff=float(env.get("DELIVERY_BACKOFF_SECONDS", 30)),
        max_backoff=float(env.get("DELIVERY_MAX_BACKOFF_SECONDS", 3600)),
    )


@dataclass(frozen=True)
class Recovery:
    """How deliveries left behind by a dead worker, or by a lost queue message, get sent.

    lease: how long a worker may hold a delivery it is sending (status `sending`); its SMTP
    exchange is cut 10 seconds before (a quarter of a short lease), so a lease runs out only
    when its worker is gone. sweep_every: how often each worker process looks for deliveries left behind.
    stale_after: how long a due delivery may wait for its queue message before the sweep
    wakes it again.
    """

    lease: float
    sweep_every: float
    stale_after: float

    @property
    def smtp_time_limit(self) -> float:
        # The time left after it is to record the outcome before the lease runs out.
        return self.lease - min(10.0, self.lease / 4)


def recovery() -> Recovery:
    env = os.environ
    return Recovery(
        lease=float(env.get("DELIVERY_LEASE_SECONDS", 120)),
        sweep_every=float(env.get("DELIVERY_SWEEP_SECONDS", 30)),
        stale_after=float(env.get("DELIVERY_STALE_SECONDS", 60)),
    )


def mailbox_dir() -> Path:
    """Where the local devsmtp keeps messages (the Procfile's --dir), relative to the repository."""
    directory = Path(os.environ.get("MAILBOX_DIR") or "var/mail")
    return directory if directory.is_absolute() else ROOT / directory


def mailbox_page_enabled() -> bool:
    """The /mailbox page shows every message sent, so it is on only where mail stays local:
    MAILBOX_PAGE=1 or 0 decides; unset, it is on when the SMTP server is on this machine."""
    value = os.environ.get("MAILBOX_PAGE")
    if value is not None and value.strip():
        return _flag("MAILBOX_PAGE", False)
    return smtp_settings().host in _LOOPBACK
