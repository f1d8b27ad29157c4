"""The notifications service's Flask application."""
from flask import Flask

from services.notifications.api import deliveries as deliveries_api
from services.notifications.api import me as me_api
from services.notifications.commands import blueprint as commands
from services.notifications.models import Account
from services.notifications.config import MIGRATIONS_DIR, SERVICE, mailbox_page_enabled
from services.notifications.web import home, mailbox, me, unsubscribe
from shared.web.pages import register_pages
from shared.accounts.app import init_people
from shared.web.service_app import create_service_app


def create_app(config: dict | None = None) -> Flask:
    app, api = create_service_app(SERVICE, __name__, MIGRATIONS_DIR, config)
    init_people(app, Account)
    api.register_blueprint(deliveries_api.blp)
    api.register_blueprint(me_api.blp)
    # Not a CSRF-protected page blueprint: mail clients post the one-click link themselves.
    api.register_blueprint(unsubscribe.blp)
    app.register_blueprint(commands)
    register_pages(app, home.blp)
    register_pages(app, me.blp)
    if mailbox_page_enabled():
        register_pages(app, mailbox.blp)
    return app
