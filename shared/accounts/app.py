"""A service that knows people: its copy of them, who is signed in, and links to the accounts
service for signing in and out."""
from __future__ import annotations

from flask import Flask

from shared.accounts.sessions import (
    accounts_url,
    add_role_url,
    page_account,
    renew_when_due,
    sign_in_url,
    sign_up_url,
    signed_in_with,
)


def init_people(app: Flask, model, renews_by_redirect: bool = True) -> None:
    """`model` is the service's copy of people (`PersonColumns` on its own models). The accounts
    service renews sessions itself (`renews_by_redirect=False`); the others send the browser to it."""
    app.extensions["people"] = model
    if renews_by_redirect:
        app.before_request(renew_when_due)
    app.jinja_env.globals.update(page_account=page_account, sign_in_url=sign_in_url, accounts_url=accounts_url,
                                 signed_in_with=signed_in_with, sign_up_url=sign_up_url, add_role_url=add_role_url)
