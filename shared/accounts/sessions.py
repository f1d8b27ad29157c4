"""The signed-in person on people's pages: one session cookie for the whole platform.

The accounts service sets it at sign-in (`tremplin_session`, path `/`, HttpOnly, SameSite=Lax,
Secure behind https): a session token it signed, which every service checks as it checks API
tokens (`shared.accounts.auth`). It is refused when:
- the person's sessions ended after it was issued (sign-out, new password);
- it was not renewed for `SESSION_IDLE_SECONDS` (30 minutes by default): while the person is
  active, a page asks the accounts service to renew it once half of that is gone;
- it is older than `SESSION_LIFETIME_SECONDS` (12 hours by default) since sign-in, however active.
"""
from __future__ import annotations

import functools
import time
from urllib.parse import urlencode

from flask import current_app, g, redirect, request

from shared.accounts.auth import SESSION_COOKIE, Principal, person_of, verifier
from shared.accounts.tokens import Claims, InvalidToken
from shared.web.pages import is_page_request, render_error


def session_claims() -> Claims | None:
    """The platform session cookie's claims when it is valid and within its lifetime, else None."""
    if "session_claims" not in g:
        g.session_claims = None
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                claims = verifier().verify(token, "session")
            except InvalidToken:
                claims = None
            settings = current_app.config["SETTINGS"]
            if claims is not None and time.time() - claims.auth_time <= settings.session_lifetime_seconds:
                g.session_claims = claims
    return g.session_claims


def page_account() -> Principal | None:
    """The signed-in person, or None when there is none or their session has ended."""
    if "page_account" not in g:
        claims = session_claims()
        g.page_account = person_of(claims) if claims is not None else None
    return g.page_account


def accounts_url(path: str, **query) -> str:
    base = current_app.config["SETTINGS"].public_url_of("accounts")
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")


def here() -> str:
    """This page's full address on the platform, for the accounts service (under another path)
    to send the person back to."""
    settings = current_app.config["SETTINGS"]
    return settings.public_url + request.full_path.rstrip("?")


def sign_in_url() -> str:
    return accounts_url("/signin", next=here())


def sign_up_url(role: str | None = None) -> str:
    """The platform's sign-up, coming back to this page once the address is confirmed; `role`
    is the one offered first (a backer, from a campaign's pledge page)."""
    return accounts_url("/signup", next=here(), **({"role": role} if role else {}))


def add_role_url(role: str) -> str:
    """The person's account page, where they take `role` in one click and come back here."""
    return accounts_url("/account", next=here(), role=role)


def signed_in_with(*roles: str) -> bool:
    """Whether the signed-in person holds one of `roles` (one account: the same on every service),
    for the one header's personal menu entries."""
    account = page_account()
    return account is not None and account.has_any(*roles)


def page_requires(*roles: str):
    """Send a visitor to the platform's sign-in page; show 403 to a signed-in person without the role."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            account = page_account()
            if account is None:
                return redirect(sign_in_url())
            if roles and not account.has_any(*roles):
                return render_error(403, "Your role does not allow this action.")
            return view(*args, **kwargs)

        return wrapper

    return decorate


def due_for_renewal() -> Claims | None:
    """The session of an active person whose idle time is half gone, on a page's GET (so that no
    form is lost), or None."""
    if request.method != "GET" or not is_page_request():
        return None
    claims = session_claims()
    if claims is None or page_account() is None:
        return None
    idle = current_app.config["SETTINGS"].session_idle_seconds
    return claims if claims.expires_at - time.time() <= idle / 2 else None


def renew_when_due():
    """Before a page is shown: the accounts service renews a session that is due."""
    if due_for_renewal() is not None:
        return redirect(accounts_url("/session", next=here()))
    return None
