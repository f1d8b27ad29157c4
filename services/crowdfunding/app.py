"""The crowdfunding service's Flask application."""
from flask import Flask

from services.crowdfunding.models import Account
from services.crowdfunding.config import MIGRATIONS_DIR, SERVICE
from services.crowdfunding.web import home
from shared.accounts.app import init_people
from shared.web.pages import register_pages
from shared.web.service_app import create_service_app


def create_app(config: dict | None = None) -> Flask:
    app, api = create_service_app(SERVICE, __name__, MIGRATIONS_DIR, config)
    init_people(app, Account)
    register_pages(app, home.blp)
    return app
