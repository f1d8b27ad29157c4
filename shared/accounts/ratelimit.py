"""Limits on what one address or one client may ask for, kept in Redis so every worker counts
alike: sign-in attempts, and the emails that sign-up and password reset send.

They fail closed: when Redis does not answer, sign-in and those emails are refused with 503
rather than left unlimited. Above a limit the answer is 429 with `Retry-After`.
"""
from __future__ import annotations

import logging
import math
import time

from flask import current_app, request
from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from shared.core.refusal import Refusal

log = logging.getLogger("tremplin.ratelimit")

SIGN_IN_PER_ACCOUNT = parse("10/minute")
SIGN_IN_PER_CLIENT = parse("30/minute")
# Confirmation and reset emails: enough for a person who lost a message, not for a flood.
EMAILS_PER_ADDRESS = parse("3/hour")
EMAILS_PER_CLIENT = parse("20/hour")

TOO_MANY_ATTEMPTS = "Too many attempts: wait a minute and try again."
TOO_MANY_EMAILS = "We already sent several emails for this request: wait a while before asking again."
UNAVAILABLE = "This is not possible for a moment: try again in a minute."


def _limiter() -> MovingWindowRateLimiter:
    limiter = current_app.extensions.get("rate_limiter")
    if limiter is None:
        settings = current_app.config["SETTINGS"]
        storage = RedisStorage(
            settings.redis_url, key_prefix=f"{settings.dramatiq_namespace}:limits",
            socket_connect_timeout=1, socket_timeout=1,
        )
        limiter = current_app.extensions["rate_limiter"] = MovingWindowRateLimiter(storage)
    return limiter


def _client() -> str:
    # Behind the platform's proxy, ProxyFix has put the client's own address here.
    return request.remote_addr or "unknown"


def _hit(message: str, *checks: tuple[RateLimitItem, str, str]) -> None:
    """Count one request against each (limit, kind, key); refuse when one is spent."""
    service = current_app.config["SETTINGS"].service
    limiter = _limiter()
    try:
        for item, kind, key in checks:
            if not limiter.hit(item, service, kind, key):
                reset_at, _remaining = limiter.get_window_stats(item, service, kind, key)
                retry = max(1, math.ceil(reset_at - time.time()))
                raise Refusal(429, message, headers={"Retry-After": str(retry)})
    except Refusal:
        raise
    except Exception:  # the store is down: refuse rather than let anything through unlimited
        log.warning("rate limit store unavailable", exc_info=True)
        raise Refusal(503, UNAVAILABLE, headers={"Retry-After": "60"}) from None


def check_sign_in(email: str) -> None:
    """Count one sign-in attempt for this address and this client."""
    _hit(TOO_MANY_ATTEMPTS, (SIGN_IN_PER_ACCOUNT, "account", email.strip().lower()),
         (SIGN_IN_PER_CLIENT, "client", _client()))


def check_email(email: str) -> None:
    """Count one confirmation or reset email asked for this address, from this client."""
    _hit(TOO_MANY_EMAILS, (EMAILS_PER_ADDRESS, "email", email.strip().lower()),
         (EMAILS_PER_CLIENT, "email-client", _client()))
