"""Sign-in attempts are limited per address and per client, in Redis so every worker counts alike."""
from __future__ import annotations

import logging

from flask import current_app, request
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("tremplin.ratelimit")

PER_ACCOUNT = parse("10/minute")
PER_CLIENT = parse("30/minute")


def _limiter() -> MovingWindowRateLimiter:
    limiter = current_app.extensions.get("sign_in_limiter")
    if limiter is None:
        settings = current_app.config["SETTINGS"]
        storage = RedisStorage(settings.redis_url, key_prefix=f"{settings.dramatiq_namespace}:limits")
        limiter = current_app.extensions["sign_in_limiter"] = MovingWindowRateLimiter(storage)
    return limiter


def sign_in_allowed(email: str) -> bool:
    """Count one attempt; False when the address or the client tried too often."""
    service = current_app.config["SETTINGS"].service
    client = request.remote_addr or "unknown"
    try:
        limiter = _limiter()
        by_account = limiter.hit(PER_ACCOUNT, service, "account", email.strip().lower())
        by_client = limiter.hit(PER_CLIENT, service, "client", client)
    except Exception:  # Redis down: let people sign in rather than lock everyone out
        log.warning("sign-in rate limit unavailable", exc_info=True)
        return True
    return by_account and by_client
