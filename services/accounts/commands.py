"""The accounts service's command line: `create-user` (a fund manager, an admin) and
`adopt-accounts` (existing deployments, once)."""
from __future__ import annotations

import click
from flask import Flask, current_app

from services.accounts.accounts import create_account
from services.accounts.adoption import adopt_accounts
from shared.core.config import load_settings
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

    @app.cli.command("adopt-accounts")
    @click.option("--service", "services", multiple=True, default=("grants", "crowdfunding", "notifications"),
                  show_default=True, help="A service whose database holds accounts from before one platform.")
    def adopt_accounts_command(services):
        """Move the accounts each service kept before the platform had one into the accounts
        service, one account per address, and point every service's rows at the new ids."""
        settings = current_app.config["SETTINGS"]
        urls = {service: load_settings(service).database_url for service in services}
        report = adopt_accounts(database(), settings, urls)
        for service, count in report.items():
            click.echo(f"{service}: {count} accounts adopted")
