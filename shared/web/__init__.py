"""The web glue of every service: the Flask app factory, JSON errors and the refusal handler,
request logs, health checks, pages (CSRF, forms, errors) and French/English.

It imports `shared.core` only; the accounts area plugs itself in (`shared.accounts.app`).
"""
