"""What people's pages share across services: the session cookie's settings, protection
against cross-site request forgery on every page form, errors shown as pages, and forms read
with the same marshmallow schemas as the API.

A service declares its page blueprints with `register_pages(app, blueprint)`; API blueprints
are not affected (they use bearer tokens, which a forged cross-site form cannot carry).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from shared.core.config import platform_public_url, service_public_url
from shared.core.money import LOCALES
from shared.core.refusal import Refusal
from shared.web.i18n import current_language, init_i18n, translate

_csrf = CSRFProtect()

# Its static files are served under /shared-assets (e.g. the script that starts Swagger UI).
core = Blueprint(
    "pages_core", __name__, template_folder="templates", static_folder="static", static_url_path="/shared-assets"
)


def init_pages(app: Flask, translations_dir) -> None:
    app.config.setdefault("PAGE_BLUEPRINTS", set())
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, for page blueprints only
    settings = app.config["SETTINGS"]
    # Set, not setdefault: Flask defines these already, so a default would never apply.
    app.config.update(
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        # Behind HTTPS in production: the session cookie never travels in clear.
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        # The services share one host behind the proxy and keep their own accounts for now: each
        # session cookie has the service's name, so that signing in to one does not sign out of another.
        SESSION_COOKIE_NAME=f"tremplin_{settings.service}_session",
        # A session lasts at most this long, however active; shorter when idle (shared.accounts.sessions).
        PERMANENT_SESSION_LIFETIME=settings.session_lifetime_seconds,
    )
    _csrf.init_app(app)
    init_i18n(app, translations_dir)
    app.register_blueprint(core)
    app.jinja_env.globals.update(service_url=service_url, platform_url=platform_public_url)

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


def service_url(service: str, path: str = "/") -> str:
    """The address of `path` in `service`, as a link on the page being drawn (the one header,
    templates/_header.html): into the service drawing the page, it follows the request (its
    path behind the proxy, or none when reached directly); into another, that service's
    public address."""
    if service == current_app.config["SETTINGS"].service:
        return request.script_root + path
    return service_public_url(service) + path


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
    page = render_template("error.html", code=refusal.status, message=refusal_message(refusal))
    return page, refusal.status, refusal.headers


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
