"""Security headers on every answer of every service, pages and API alike.

The Content-Security-Policy lets a page run only our own scripts and Stripe.js (the pledge pages
load it from js.stripe.com, which opens its own frames and calls api.stripe.com): nothing else
from outside. No page of ours may be framed (clickjacking). HSTS is sent when the service is
reached over HTTPS, as browsers ignore it over plain HTTP.
"""
from __future__ import annotations

from flask import Flask, request

STRIPE_JS = "https://js.stripe.com"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' {STRIPE_JS}",
        # Inline styles stay allowed: templates use style attributes, and the development mailbox
        # shows emails whose styles are inline by necessity. Scripts, the dangerous part, do not.
        "style-src 'self' 'unsafe-inline'",
        # Swagger UI's stylesheet draws its icons as data: images.
        "img-src 'self' data:",
        f"frame-src {STRIPE_JS} https://hooks.stripe.com",
        "connect-src 'self' https://api.stripe.com",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
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
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if behind_https or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
