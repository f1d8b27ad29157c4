"""The notifications service's Flask application."""
from flask import Flask

from services.notifications.config import MIGRATIONS_DIR, SELF_SERVICE_ROLES, SERVICE
from shared.service_app import create_service_app


def create_app(config: dict | None = None) -> Flask:
    app, _api = create_service_app(SERVICE, __name__, MIGRATIONS_DIR, SELF_SERVICE_ROLES, config)
    return app
