"""The accounts area on a service's app: its API, its pages, its catalog and its commands."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask_smorest import Api

from shared.accounts.api import accounts_blueprint
from shared.accounts.pages import accounts_pages_blueprint
from shared.web.pages import register_pages
from shared.web.service_app import database

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def init_accounts(app: Flask, api: Api, self_service_roles: tuple[str, ...]) -> None:
    """The accounts API and pages on a service, with the roles people may sign up for."""
    app.extensions["i18n"].add(TRANSLATIONS)
    api.register_blueprint(accounts_blueprint(self_service_roles))
    register_pages(app, accounts_pages_blueprint(self_service_roles))
    _register_commands(app)


def _register_commands(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", "roles", multiple=True, required=True, help="Repeat for several roles.")
    @click.option("--language", default="fr", type=click.Choice(["fr", "en"]))
    @click.option(
        "--password", prompt=True, hide_input=True, confirmation_prompt=True, envvar="TREMPLIN_PASSWORD"
    )
    def create_user_command(email, name, roles, language, password):
        """Create a confirmed account (for example a fund manager)."""
        from shared.accounts.models import create_account
        from shared.core.refusal import Refusal

        settings = current_app.config["SETTINGS"]
        try:
            with database().unit_of_work() as session:
                account = create_account(
                    session, settings, email=email, name=name, password=password,
                    roles=list(roles), language=language, confirmed=True,
                )
        except Refusal as refusal:
            raise click.ClickException(refusal.text()) from None
        click.echo(f"created account {account.id} <{account.email}> with roles {', '.join(account.roles)}")
