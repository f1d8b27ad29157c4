"""What every service's Flask app has: settings, database, OpenAPI, JSON errors, request logs,
health checks, pages and the command-line tools (migrate, relay).

A service's `create_app` calls `create_service_app`, then `shared.accounts.app.init_people`, and
registers its own blueprints.
"""
from __future__ import annotations

import logging
from pathlib import Path

import click
import redis
from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request, url_for
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from werkzeug.http import HTTP_STATUS_CODES

from shared.core import db as core_db
from shared.core.config import load_settings
from shared.core.db import Database
from shared.core.logs import configure_logging
from shared.core.migrations import upgrade
from shared.core.refusal import Refusal
from shared.web import health
from shared.web.converters import init_converters
from shared.web.pages import init_pages, is_page_request, render_error, render_refusal
from shared.web.public_reads import PublicReads
from shared.web.request_checks import init_request_checks
from shared.web.request_logs import init_request_logging
from shared.web.security_headers import init_security_headers

log = logging.getLogger("tremplin.app")

JSON_BODY_TYPES = {"application/json", "multipart/form-data", "application/x-www-form-urlencoded"}


def create_service_app(
    service: str,
    import_name: str,
    migrations_dir: Path,
    config: dict | None = None,
) -> tuple[Flask, Api]:
    config = dict(config or {})
    settings = load_settings(service, **config.pop("SETTINGS_OVERRIDES", {}))
    configure_logging(service, settings.log_json)

    app = Flask(import_name)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MIGRATIONS_DIR=migrations_dir,
        API_TITLE=f"Tremplin {service}",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            # The service's public address, path included: where "Try it out" sends requests.
            "servers": [{"url": settings.public_url}],
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            }
        },
        MAX_CONTENT_LENGTH=config.pop("MAX_CONTENT_LENGTH", 12 * 1024 * 1024),
    )
    app.config.update(config)

    app.extensions["db"] = Database(settings.database_url, **pool_for_threads(settings.database_url, settings.web_threads))
    app.extensions["redis"] = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=1, socket_timeout=1
    )

    init_converters(app)
    api = Api(app)
    register_error_handlers(app)
    init_security_headers(app)
    init_request_logging(app)
    _init_request_session(app)
    _refuse_unknown_body_types(app)
    init_request_checks(app)

    init_pages(app, migrations_dir.parent / "translations")
    app.register_blueprint(health.blueprint)
    app.register_blueprint(_api_docs_blueprint(service))
    _register_commands(app, service)
    # Inside the proxy's fix (below), so a replayed answer is kept per scheme and prefix as seen by Flask.
    app.wsgi_app = app.extensions["public_reads"] = PublicReads(app)
    _trust_the_proxy(app, settings.trusted_proxy_count)
    return app, api


def pool_for_threads(database_url: str, threads: int) -> dict:
    """A web process's database pool: each of its threads holds one connection while it serves a
    request (a few requests briefly a second one). The pool keeps one open per thread. With
    SQLAlchemy's default (5, and up to 10 more), connections beyond 5 are closed whenever the load
    dips and opened again when it comes back; under steady load the two behave alike."""
    if database_url.startswith("sqlite"):
        return {}
    return {"pool_size": threads, "max_overflow": threads}


def _trust_the_proxy(app: Flask, count: int) -> None:
    """Behind `count` proxies (Caddy), the client's address and scheme and the service's path
    (X-Forwarded-Prefix, which becomes the script root: links and redirects carry it) come
    from the proxy's headers; with none, those headers are ignored, as any client could send them."""
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_prefix=count)


def _api_docs_blueprint(service: str) -> Blueprint:
    """Swagger UI on /docs, from the swagger-ui-bundle package's files (the page works offline)
    and a start script of ours, as the Content-Security-Policy allows no inline script."""
    blueprint = Blueprint("api_docs", __name__, static_folder=str(swagger_ui_path), static_url_path="/docs-assets")

    @blueprint.get("/docs")
    def docs():
        return render_template("api_docs.html", title=f"Tremplin {service} API", spec_url=url_for("api-docs.openapi_json"))

    return blueprint


def database() -> Database:
    return current_app.extensions["db"]


def db_session():
    """The request's session, for reading; teardown closes it (rolling back leftovers)."""
    if "db_session" not in g:
        g.db_session = database().Session()
    return g.db_session


def read_session():
    """The session of a view that only reads (a public list or page), on PostgreSQL without a
    transaction: each statement stands alone, as each statement of a READ COMMITTED transaction
    already sees what was committed when it started, and the request saves the BEGIN and ROLLBACK
    round trips around its reads. Never for writing, nor for objects that a unit of work will
    change: `unit_of_work()` has the request's session for that. Teardown closes it."""
    db = database()
    if db.ReadSession is None:
        # SQLite begins its transactions itself (BEGIN IMMEDIATE); reads share the request's.
        return db_session()
    if "db_read_session" not in g:
        g.db_read_session = db.ReadSession()
    return g.db_read_session


def unit_of_work():
    """The request's unit of work: `with unit_of_work() as session:` around the use cases of
    one request, committed once at the end of the block (see `shared.core.db.unit_of_work`)."""
    return core_db.unit_of_work(db_session())


def _init_request_session(app: Flask) -> None:
    @app.teardown_appcontext
    def _close(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
        reads = g.pop("db_read_session", None)
        if reads is not None:
            reads.close()


def _refuse_unknown_body_types(app: Flask) -> None:
    @app.before_request
    def _check():
        if request.method in {"POST", "PUT", "PATCH"} and request.path.startswith("/api/"):
            if (request.content_length or 0) > 0 and request.mimetype not in JSON_BODY_TYPES:
                return error_response(
                    415, "Unsupported Media Type", "Send the request body as application/json.", {}
                )
        return None


# --- Errors --------------------------------------------------------------------------------


def error_response(code: int, status: str, message: str, errors: dict, headers=None):
    response = jsonify({"code": code, "status": status, "message": message, "errors": errors})
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Refusal)
    def _refused(refusal: Refusal):
        if is_page_request():
            return render_refusal(refusal)
        # The per-field messages filled in with the refusal's values, as its message is.
        errors = {"json": refusal.field_errors()} if refusal.errors else {}
        return error_response(
            refusal.status, HTTP_STATUS_CODES.get(refusal.status, "Error"), refusal.text(), errors, refusal.headers
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("messages") or data.get("errors") or {}
        message = data.get("message")
        if not message:
            message = (
                "The request has invalid fields; see errors."
                if error.code == 422
                else (error.description or error.name)
            )
        if is_page_request():
            return render_error(error.code, message)
        headers = data.get("headers") or {}
        if error.code == 405 and error.valid_methods:
            headers = {**headers, "Allow": ", ".join(error.valid_methods)}
        return error_response(error.code, error.name, message, errors, headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        if is_page_request():
            return render_error(500, "An unexpected error occurred.")
        # No detail of the failure reaches the client: it is in the log, under the request id.
        return error_response(500, "Internal Server Error", "An unexpected error occurred.", {})


# --- Command line ----------------------------------------------------------------------------


def _register_commands(app: Flask, service: str) -> None:
    @app.cli.command("migrate")
    def migrate_command():
        """Bring the service's database to the latest migration."""
        settings = current_app.config["SETTINGS"]
        upgrade(current_app.config["MIGRATIONS_DIR"], settings.database_url)
        click.echo(f"{service}: database at the latest migration")

    @app.cli.command("relay")
    @click.option("--once", is_flag=True, help="Send one batch and stop.")
    def relay_command(once):
        """Move outbox events to Redis until stopped (as `python -m shared.core.relay <service>`)."""
        from shared.core.relay import relay_events

        sent = relay_events(database(), once)
        if sent is not None:
            click.echo(f"sent {sent} events")
