"""Security headers on every answer of every service, pages and API alike.

The Content-Security-Policy lets a page run only our own scripts, and on the service whose pages
take cards (crowdfunding) Stripe.js from the one origin it is configured to load it from: the
real Stripe's (js.stripe.com, which opens its own frames and calls api.stripe.com), or
localstripe's under `make run` and in the tests. A service sets `CSP_STRIPE` in its config
({"script": origins, "frame": origins, "connect": origins}); the others allow no one else at all.
No page of ours may be framed (clickjacking). HSTS is sent when the service is reached over
HTTPS, as browsers ignore it over plain HTTP.
"""
from __future__ import annotations

from flask import Flask, request


SELF = "'self'"


def content_security_policy(script=(), frame=(), connect=()) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src " + " ".join((SELF, *script)),
            # Inline styles stay allowed: templates use style attributes, and the development mailbox
            # shows emails whose styles are inline by necessity. Scripts, the dangerous part, do not.
            "style-src 'self' 'unsafe-inline'",
            # Swagger UI's stylesheet draws its icons as data: images.
            "img-src 'self' data:",
            "frame-src " + (" ".join(frame) if frame else "'none'"),
            "connect-src " + " ".join((SELF, *connect)),
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Links carry tokens (password reset, unsubscribe): another site learns our origin, not the path.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
}

HSTS = "max-age=63072000; includeSubDomains"


def init_security_headers(app: Flask) -> None:
    behind_https = app.config["SETTINGS"].public_url.startswith("https://")

    @app.after_request
    def _add_headers(response):
        # Read per answer: the service's app sets its Stripe origins after the shared part is built.
        policy = app.extensions.get("content_security_policy")
        if policy is None:
            policy = app.extensions["content_security_policy"] = content_security_policy(**app.config.get("CSP_STRIPE", {}))
        response.headers.setdefault("Content-Security-Policy", policy)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if behind_https or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
