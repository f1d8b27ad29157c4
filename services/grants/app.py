"""The grants service's Flask application."""
import os

from flask import Flask

from services.grants.api import applications as applications_api
from services.grants.api import awards as awards_api
from services.grants.api import calls as calls_api
from services.grants.api import documents as documents_api
from services.grants.api import funds as funds_api
from services.grants.api import impact as impact_api
from services.grants.api import jury as jury_api
from services.grants.api import matchfunding as matchfunding_api
from services.grants.api import profile as profile_api
from services.grants.api import review as review_api
from services.grants.models import Account
from services.grants.config import MIGRATIONS_DIR, SERVICE, max_document_bytes
from services.grants.web import applicant as applicant_pages
from services.grants.web import awards as award_pages
from services.grants.web import impact as impact_pages
from services.grants.web import jury as jury_pages
from services.grants.web import manager_jury as manager_jury_pages
from services.grants.web import manager as manager_pages
from services.grants.web import matchfunding as match_pages
from services.grants.web import public as public_pages
from shared.web.pages import register_pages
from shared.accounts.app import init_people
from shared.web.service_app import create_service_app


def create_app(config: dict | None = None) -> Flask:
    # A request may carry one document and a form: the request limit follows the document limit.
    config = {"MAX_CONTENT_LENGTH": max_document_bytes() + 2 * 1024 * 1024, **(config or {})}
    app, api = create_service_app(SERVICE, __name__, MIGRATIONS_DIR, config)
    init_people(app, Account)
    api.register_blueprint(funds_api.blp)
    api.register_blueprint(calls_api.blp)
    api.register_blueprint(review_api.blp)
    api.register_blueprint(profile_api.blp)
    api.register_blueprint(applications_api.blp)
    api.register_blueprint(documents_api.blp)
    api.register_blueprint(jury_api.blp)
    api.register_blueprint(awards_api.blp)
    api.register_blueprint(matchfunding_api.blp)
    api.register_blueprint(impact_api.blp)
    register_pages(app, public_pages.blp)
    register_pages(app, manager_pages.blp)
    register_pages(app, applicant_pages.blp)
    register_pages(app, jury_pages.blp)
    register_pages(app, manager_jury_pages.blp)
    register_pages(app, award_pages.blp)
    register_pages(app, match_pages.blp)
    register_pages(app, impact_pages.blp)
    # The open calls, and the pages that show them (the platform's home, the open calls, a call's
    # page), the same for every visitor who is not signed in, replayed from memory until a call or
    # a fund changes (migrations 0009 and 0010) or the clock changes them (web/public.py).
    app.extensions["public_reads"].serve("/api/calls", "/home", "/", "/calls/<int>", tables=("calls", "funds"),
                                         database=app.extensions["db"],
                                         listen_url=os.environ.get("GRANTS_LISTEN_DATABASE_URL"))
    return app
