"""The accounts service's Flask application: the platform's one place for accounts."""
from flask import Flask, jsonify

from services.accounts.api import accounts as accounts_api
from services.accounts.commands import register_commands
from services.accounts.config import MIGRATIONS_DIR, SERVICE
from services.accounts.models import Account
from services.accounts.web import pages
from shared.accounts.app import init_people
from shared.accounts.tokens import Signer, Verifier
from shared.web.pages import register_pages
from shared.web.service_app import create_service_app

ROLE_NAMES = {
    "applicant": "applicant (I apply to calls for projects)",
    "backer": "backer (I support campaigns)",
    "campaign_owner": "campaign owner (I run a crowdfunding campaign)",
    "juror": "jury member",
    "referent": "alternative funding referent",
    "fund_manager": "fund manager",
    "admin": "administrator",
}


def create_app(config: dict | None = None) -> Flask:
    app, api = create_service_app(SERVICE, __name__, MIGRATIONS_DIR, config)
    signer = Signer.from_environment()
    app.extensions["signer"] = signer
    # The accounts service checks the tokens it signed with the keys it holds.
    app.extensions["token_verifier"] = Verifier.of_signer(signer)
    init_people(app, Account, renews_by_redirect=False)
    app.jinja_env.globals.update(role_name=lambda role: ROLE_NAMES.get(role, role))
    api.register_blueprint(accounts_api.blp)
    register_pages(app, pages.blp)
    register_commands(app)

    @app.get("/.well-known/jwks.json")
    def jwks():
        """The public keys that check the platform's tokens (the current one and, after a
        rotation, the previous ones until their last token has expired)."""
        response = jsonify(signer.jwks())
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    return app
