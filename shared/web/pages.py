"""What people's pages share across services: the signed-in person (a session cookie), protection
against cross-site request forgery on every page form, errors shown as pages, and forms read
with the same marshmallow schemas as the API.

A service declares its page blueprints with `register_pages(app, blueprint)`; API blueprints
are not affected (they use bearer tokens, which a forged cross-site form cannot carry).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from shared.core.config import platform_public_url, service_public_url
from shared.core.money import LOCALES
from shared.core.refusal import Refusal
from shared.web.i18n import current_language, init_i18n, translate

_csrf = CSRFProtect()

core = Blueprint("pages_core", __name__, template_folder="templates")


@dataclass(frozen=True)
class PageAccount:
    id: int
    name: str
    roles: tuple[str, ...]

    def has_any(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


def init_pages(app: Flask, translations_dir) -> None:
    app.config.setdefault("PAGE_BLUEPRINTS", set())
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, for page blueprints only
    # Set, not setdefault: Flask's defaults already hold these keys (SameSite none, "session").
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    # The services share one host behind the proxy and keep their own accounts for now: each
    # session cookie has the service's name, so that signing in to one does not sign out of another.
    app.config["SESSION_COOKIE_NAME"] = f"tremplin_{app.config['SETTINGS'].service}_session"
    # Behind HTTPS in production: the session cookie never travels in clear.
    app.config["SESSION_COOKIE_SECURE"] = app.config["SETTINGS"].public_url.startswith("https://")
    _csrf.init_app(app)
    init_i18n(app, translations_dir)
    app.register_blueprint(core)
    app.jinja_env.globals.update(
        page_account=page_account, service_url=service_url, signed_in_to=signed_in_to, platform_url=platform_public_url,
    )

    @app.before_request
    def _protect_forms():
        if request.method == "POST" and is_page_request():
            _csrf.protect()


def register_pages(app: Flask, blueprint: Blueprint, **options) -> None:
    app.config.setdefault("PAGE_BLUEPRINTS", set()).add(blueprint.name)
    app.register_blueprint(blueprint, **options)


def is_page_request() -> bool:
    pages = current_app.config.get("PAGE_BLUEPRINTS")
    if not pages:
        return False
    if request.blueprint in pages:
        return True
    # An unknown address typed by a person gets a page, a program gets JSON.
    return (
        request.blueprint is None
        and not request.path.startswith("/api/")
        and request.accept_mimetypes.best == "text/html"
    )


def sign_in_page(account) -> None:
    session.clear()
    session["account"] = {"id": account.id, "name": account.name, "roles": list(account.roles)}
    session.permanent = True


def sign_out_page() -> None:
    session.clear()


def page_account() -> PageAccount | None:
    data = session.get("account")
    if not data:
        return None
    return PageAccount(id=data["id"], name=data["name"], roles=tuple(data["roles"]))


# --- The one header (templates/_header.html) ------------------------------------------------
# A link into the service drawing the page follows the request (its path behind the proxy, or
# none when the service is reached directly); a link into another service uses that service's
# public address. While accounts are kept per service, the menu's personal entries come from
# the roles of the person signed in to the service drawing the page.


def service_url(service: str, path: str = "/") -> str:
    """The address of `path` in `service`, as a link on the page being drawn."""
    if service == current_app.config["SETTINGS"].service:
        return request.script_root + path
    return service_public_url(service) + path


def signed_in_to(service: str, *roles: str) -> bool:
    """Whether the person is signed in to `service`, the one drawing the page, with one of `roles`."""
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


def here() -> str:
    """The page's path as the browser asked for it: with the service's path behind the proxy."""
    return request.script_root + request.full_path.removesuffix("?")


# Characters a browser drops or reads as "/" in an address: "/\\evil.example" or "/\t/evil.example"
# would leave the site as "//evil.example" does.
_NOT_IN_A_LOCAL_PATH = re.compile(r"[\\\x00-\x20\x7f]")


def safe_next(target: str | None, default: str | None = None) -> str:
    """Where to go after a form (signing in...): `target` when it is a path on this site, else
    `default`, or the service's home (under its path behind the proxy). Never a page elsewhere."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not _NOT_IN_A_LOCAL_PATH.search(target)
        and not urlsplit(target).netloc
    ):
        return target
    return default or request.script_root + "/"


def render_error(code: int, message: str):
    return render_template("error.html", code=code, message=translate(message)), code


def _locale() -> str:
    return LOCALES.get(current_language(), "fr_FR")


def refusal_message(refusal: Refusal) -> str:
    """A refusal's message in the page's language, its instants in Paris time."""
    return refusal.text(translate, _locale())


def refusal_errors(refusal: Refusal, form_names: dict[str, str] | None = None) -> dict:
    """A refusal as a form shows it: the message on top ("form"), then the messages per field,
    under the form's input names where they differ from the API's (`form_names`)."""
    errors = {
        (form_names or {}).get(field, field): messages
        for field, messages in refusal.field_errors(translate, _locale()).items()
    }
    errors.setdefault("form", []).insert(0, refusal_message(refusal))
    return errors


def render_refusal(refusal: Refusal):
    return render_template("error.html", code=refusal.status, message=refusal_message(refusal)), refusal.status


def load_form(schema: Schema, form: MultiDict, list_fields: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """Read a posted form with an API schema: (data, {field: [translated messages]}).

    Empty inputs count as absent, as a browser sends every field of a form.
    """
    raw = {}
    for key in form:
        if key == "csrf_token":
            continue
        if key in list_fields:
            raw[key] = [value for value in form.getlist(key) if value.strip()]
        elif form.get(key, "").strip() != "":
            raw[key] = form.get(key).strip()
    try:
        return schema.load(raw), {}
    except ValidationError as error:
        return {}, {field: [translate(m) for m in _flat(messages)] for field, messages in error.messages.items()}


def _flat(messages):
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flat(value)]
    return [str(messages)]
