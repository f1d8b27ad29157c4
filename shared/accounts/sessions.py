"""The signed-in person on people's pages: a signed session cookie that can be ended.

The cookie carries the account's id, name and roles, its session version, when it was issued
and when it was last used. It is refused when:
- the account's session version moved on: signing out and changing or resetting the password
  end every session and token issued before (`models.end_sessions`);
- it was idle longer than `SESSION_IDLE_SECONDS` (30 minutes by default);
- it is older than `SESSION_LIFETIME_SECONDS` (12 hours by default), however active.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from flask import current_app, g, redirect, session, url_for

from shared.accounts.models import Account
from shared.web.pages import here, render_error
from shared.web.service_app import db_session

# The last-use time is written back at most this often, so a busy page does not re-sign the
# cookie on every request.
SEEN_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class PageAccount:
    id: int
    name: str
    roles: tuple[str, ...]

    def has_any(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


def sign_in_page(account: Account) -> None:
    now = int(time.time())
    session.clear()
    session["account"] = {
        "id": account.id, "name": account.name, "roles": list(account.roles),
        "sv": account.session_version, "issued": now, "seen": now,
    }
    session.permanent = True


def sign_out_page() -> None:
    session.clear()


def page_account() -> PageAccount | None:
    """The signed-in person, or None when there is none or their session has ended."""
    if "page_account" not in g:
        g.page_account = _current()
    return g.page_account


def _current() -> PageAccount | None:
    data = session.get("account")
    if not data:
        return None
    settings = current_app.config["SETTINGS"]
    now = int(time.time())
    issued, seen = data.get("issued", 0), data.get("seen", 0)
    account = db_session().get(Account, data.get("id"))
    if (
        account is None
        or account.session_version != data.get("sv")
        or now - seen > settings.session_idle_seconds
        or now - issued > settings.session_lifetime_seconds
    ):
        session.clear()
        return None
    if now - seen >= SEEN_RESOLUTION_SECONDS:
        session["account"] = {**data, "seen": now}
    return PageAccount(id=account.id, name=account.name, roles=tuple(account.roles))


def signed_in_to(service: str, *roles: str) -> bool:
    """Whether the person is signed in to `service`, the one drawing the page, with one of
    `roles`: while accounts are kept per service, the one header's personal menu entries
    come from the service drawing the page."""
    account = page_account()
    return account is not None and service == current_app.config["SETTINGS"].service and account.has_any(*roles)


def page_requires(*roles: str):
    """Send a visitor to the sign-in page; show 403 to a signed-in person without the role."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            account = page_account()
            if account is None:
                return redirect(url_for("accounts_pages.sign_in", next=here()))
            if roles and not account.has_any(*roles):
                return render_error(403, "Your role does not allow this action.")
            return view(*args, **kwargs)

        return wrapper

    return decorate
