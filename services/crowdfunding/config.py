"""The crowdfunding service's settings: shared ones from the environment (see shared.core.config),
and its own, read at call time (tests set them).

Stripe: production gives `STRIPE_SECRET_KEY`, `STRIPE_PUBLISHABLE_KEY` and `STRIPE_WEBHOOK_SECRET`
and talks to the real Stripe. With no secret key, the service talks to localstripe, the local
Stripe that `make run` starts (scripts/local_stripe.py, port `LOCALSTRIPE_PORT`), with the fixed
local keys below, and the pledge page loads localstripe's stand-in for Stripe.js from it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from shared.core.config import VAR, load_settings, service_port

SERVICE = "crowdfunding"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# localstripe accepts any key of the right shape; these are fixed so that `make run` needs none.
LOCAL_SECRET_KEY = "sk_test_localstripe"
LOCAL_PUBLISHABLE_KEY = "pk_test_localstripe"
LOCAL_WEBHOOK_SECRET = "whsec_localstripe"
DEFAULT_LOCALSTRIPE_PORT = 8420
STRIPE_API = "https://api.stripe.com"
STRIPE_JS = "https://js.stripe.com/v3/"
# Stripe's own advice, and what its tolerance defaults to: a signature older than this is refused.
WEBHOOK_TOLERANCE_SECONDS = 300


def settings():
    return load_settings(SERVICE)


@dataclass(frozen=True)
class StripeSettings:
    secret_key: str
    publishable_key: str
    webhook_secret: str
    api_base: str
    js_url: str
    local: bool  # localstripe, not the real Stripe

    @property
    def js_origin(self) -> str:
        parts = urlsplit(self.js_url)
        return f"{parts.scheme}://{parts.netloc}"

    def content_security(self) -> dict[str, tuple[str, ...]]:
        """What the pages' Content-Security-Policy must allow for Stripe.js, and nothing more:
        the real one loads from js.stripe.com, opens its frames there and at hooks.stripe.com
        (3-D Secure) and calls api.stripe.com; localstripe's stand-in draws its inputs in the page
        and calls localstripe itself."""
        if self.local:
            return {"script": (self.js_origin,), "frame": (), "connect": (self.js_origin,)}
        return {"script": (self.js_origin,), "frame": (self.js_origin, "https://hooks.stripe.com"),
                "connect": ("https://api.stripe.com",)}


def localstripe_port() -> int:
    return int(os.environ.get("LOCALSTRIPE_PORT", DEFAULT_LOCALSTRIPE_PORT))


def stripe_settings() -> StripeSettings:
    env = os.environ
    secret = env.get("STRIPE_SECRET_KEY", "").strip()
    if secret:
        api_base = env.get("STRIPE_API_BASE", STRIPE_API).rstrip("/")
        return StripeSettings(
            secret_key=secret,
            publishable_key=env.get("STRIPE_PUBLISHABLE_KEY", "").strip(),
            webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", "").strip(),
            api_base=api_base,
            js_url=env.get("STRIPE_JS_URL", STRIPE_JS),
            local=api_base != STRIPE_API,
        )
    api_base = env.get("STRIPE_API_BASE", f"http://127.0.0.1:{localstripe_port()}").rstrip("/")
    return StripeSettings(
        secret_key=LOCAL_SECRET_KEY,
        publishable_key=LOCAL_PUBLISHABLE_KEY,
        webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", LOCAL_WEBHOOK_SECRET),
        api_base=api_base,
        js_url=env.get("STRIPE_JS_URL", f"{api_base}/js.stripe.com/v3/"),
        local=True,
    )


def webhook_url() -> str:
    """Where Stripe (localstripe under `make run`) sends its events: the service itself."""
    return os.environ.get(
        "STRIPE_WEBHOOK_URL", f"http://127.0.0.1:{service_port(SERVICE)}/api/stripe/webhook"
    )


def covers_dir() -> Path:
    """Where campaign covers are kept, outside the database."""
    return Path(os.environ.get("CROWDFUNDING_COVERS_DIR", VAR / "covers"))


def max_cover_bytes() -> int:
    return int(os.environ.get("MAX_COVER_BYTES", 5 * 1024 * 1024))


def max_campaign_days() -> int:
    """The longest a campaign may run, from its start to its end."""
    return int(os.environ.get("CAMPAIGN_MAX_DAYS", 60))


def pledge_hold_minutes() -> int:
    """How long a card pledge keeps its reward tier place while its backer enters the card."""
    return int(os.environ.get("PLEDGE_HOLD_MINUTES", 30))


def campaign_sweep_seconds() -> float:
    """How often the worker records campaigns going live and ending (people see both on time anyway)."""
    return float(os.environ.get("CAMPAIGN_SWEEP_SECONDS", 15))


# Backers pay bank transfers to the platform's account; a demo IBAN by default (make run).
DEMO_IBAN = "FR76 3000 6000 0112 3456 7890 189"


def platform_iban() -> str:
    return os.environ.get("PLATFORM_IBAN", DEMO_IBAN)


def platform_bic() -> str:
    return os.environ.get("PLATFORM_BIC", "AGRIFRPPXXX")


def platform_account_holder() -> str:
    return os.environ.get("PLATFORM_ACCOUNT_HOLDER", "Tremplin – financement participatif")


# --- The close: charging, recovering, refunding -------------------------------------------------


def stripe_max_requests_per_second() -> int:
    """The pace of the close's Stripe requests across every worker process (Redis holds it), under
    Stripe's test-mode limit of 25 a second."""
    return int(os.environ.get("STRIPE_MAX_REQUESTS_PER_SECOND", 20))


def action_days() -> float:
    """How long a backer whose bank said no has to finish paying before the pledge fails."""
    return float(os.environ.get("PLEDGE_ACTION_DAYS", 7))


def reminder_days() -> tuple[float, ...]:
    """When the backer is reminded, in days after the bank said no (2 and 5 by default)."""
    return tuple(float(part) for part in os.environ.get("PLEDGE_REMINDER_DAYS", "2,5").split(",") if part.strip())


def refund_request_days() -> float:
    """How long after being charged a backer may ask for a refund."""
    return float(os.environ.get("REFUND_REQUEST_DAYS", 14))


def platform_fee_percent() -> str:
    """The platform's fee on what a campaign collected, a percentage ("0", "2.5"); 0 by default."""
    return os.environ.get("PLATFORM_FEE_PERCENT", "0")


def charge_requeue_seconds() -> float:
    """A pledge queued for charging this long ago and still not charged was lost (a dead worker,
    Redis down): the sweeper queues it again (a second message for one still queued does nothing)."""
    return float(os.environ.get("CHARGE_REQUEUE_SECONDS", 120))


def close_lead_seconds() -> float:
    """How far ahead the sweeper sends a campaign's delayed close message (due at its end time)."""
    return float(os.environ.get("CLOSE_LEAD_SECONDS", 120))
