"""Command line of the notifications service: `flask --app services.notifications.app deliveries ...`."""
from __future__ import annotations

import click
from flask import Blueprint

from services.notifications import deliveries
from shared.web.service_app import database

blueprint = Blueprint("deliveries_cli", __name__, cli_group="deliveries")


@blueprint.cli.command("requeue")
def requeue_command():
    """Wake every queued delivery, e.g. after Redis lost its data: each is sent when due, once."""
    from services.notifications.actors import deliver

    queued = deliveries.queued_deliveries(database())
    for delivery_id, request_id in queued:
        deliver.send(delivery_id, request_id)
    click.echo(f"{len(queued)} queued deliveries woken")
