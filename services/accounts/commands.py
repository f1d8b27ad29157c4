"""The accounts service's command line: `create-user` (a fund manager, an admin)."""
from __future__ import annotations

import click
from flask import Flask, current_app

from services.accounts.accounts import create_account
from shared.core.refusal import Refusal
from shared.web.service_app import database


def register_commands(app: Flask) -> None:
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
        settings = current_app.config["SETTINGS"]
        try:
            with database().unit_of_work() as session:
                account = create_account(
                    session, settings, email=email, name=name, password=password,
                    roles=list(roles), language=language, confirmed=True,
                )
        except Refusal as refusal:
            raise click.ClickException(refusal.text()) from None
        if account is None:
            raise click.ClickException(f"an account already uses {email}")
        click.echo(f"created account {account.id} <{account.email}> with roles {', '.join(account.roles)}")
