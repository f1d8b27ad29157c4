"""Settings from the environment, with safe local defaults.

Each service reads `<SERVICE>_DATABASE_URL` (an SQLite file under var/ by default), and every
process shares `REDIS_URL` and `SECRET_KEY`. Nothing else decides configuration.

The platform has one address, `PUBLIC_URL` (the proxy, deploy/Caddyfile), and each service a
path under it, `<SERVICE>_PATH_PREFIX`: a service's public address is the two together, unless
`<SERVICE>_PUBLIC_URL` says otherwise. Links built outside a request (emails, events) use it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("TREMPLIN_VAR", ROOT / "var"))

DEFAULT_PORTS = {"grants": 8001, "crowdfunding": 8002, "notifications": 8003, "accounts": 8004}
SERVICES = tuple(DEFAULT_PORTS)
# Each service's path behind the proxy: French first, as the people who read them.
DEFAULT_PATH_PREFIXES = {
    "grants": "/subventions", "crowdfunding": "/financement-participatif", "notifications": "/messages",
    "accounts": "/comptes",
}
DEFAULT_PROXY_PORT = 8000


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    redis_url: str
    secret_key: str
    dramatiq_namespace: str
    public_url: str
    # How many proxies in front of the service set X-Forwarded-For, -Proto and -Prefix: 0 when
    # it is reached directly (the headers are then ignored), 1 behind the platform's Caddy.
    trusted_proxy_count: int
    token_ttl_seconds: int
    log_json: bool
    session_idle_seconds: int = 1800
    session_lifetime_seconds: int = 12 * 3600
    jwks_url: str = ""
    # Threads per web process (shared.web.server reads the same variable): the process's
    # database pool keeps one connection per thread.
    web_threads: int = 8

    @property
    def token_audience(self) -> str:
        return f"tremplin:{self.service}"

    def public_url_of(self, service: str) -> str:
        return service_public_url(service)


def service_port(service: str) -> int:
    return int(os.environ.get(f"{service.upper()}_PORT", DEFAULT_PORTS[service]))


def platform_public_url() -> str:
    """The one address people use: the proxy in front of every service."""
    default = f"http://127.0.0.1:{os.environ.get('PROXY_PORT', DEFAULT_PROXY_PORT)}"
    return (os.environ.get("PUBLIC_URL") or default).rstrip("/")


def service_path_prefix(service: str) -> str:
    """The service's path under the platform's address: "/subventions", or "" at its root."""
    prefix = os.environ.get(f"{service.upper()}_PATH_PREFIX", DEFAULT_PATH_PREFIXES[service]).strip().strip("/")
    return f"/{prefix}" if prefix else ""


def service_public_url(service: str) -> str:
    return (
        os.environ.get(f"{service.upper()}_PUBLIC_URL") or platform_public_url() + service_path_prefix(service)
    ).rstrip("/")


def load_settings(service: str, **overrides) -> Settings:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    env = os.environ
    values = dict(
        service=service,
        database_url=env.get(
            f"{service.upper()}_DATABASE_URL", f"sqlite:///{VAR / (service + '.db')}"
        ),
        redis_url=env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # A fixed local secret keeps `make run` zero-configuration; production sets its own.
        secret_key=env.get("SECRET_KEY", "tremplin-local-development-secret-change-me"),
        dramatiq_namespace=env.get("DRAMATIQ_NAMESPACE", "tremplin"),
        public_url=service_public_url(service),
        trusted_proxy_count=int(env.get("TRUSTED_PROXY_COUNT", 0)),
        token_ttl_seconds=int(env.get("TOKEN_TTL_SECONDS", 3600)),
        session_idle_seconds=int(env.get("SESSION_IDLE_SECONDS", 1800)),
        session_lifetime_seconds=int(env.get("SESSION_LIFETIME_SECONDS", 12 * 3600)),
        # Where the services read the accounts' public keys; the accounts service's own port by default.
        jwks_url=env.get("JWKS_URL", f"http://127.0.0.1:{service_port('accounts')}/.well-known/jwks.json"),
        log_json=_flag("LOG_JSON", True),
        web_threads=int(env.get("WEB_THREADS", 8)),
    )
    values.update(overrides)
    return Settings(**values)
