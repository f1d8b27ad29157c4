"""The local mailbox: every message the platform sent through `make run`'s devsmtp.

Served only where mail stays on this machine (config.mailbox_page_enabled), since it shows
every message to everyone who can reach the service.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from services.notifications import config, devsmtp
from shared.core.refusal import Refusal

blp = Blueprint("mailbox", __name__, url_prefix="/mailbox")


@blp.get("")
def messages():
    directory = config.mailbox_dir()
    return render_template("pages/mailbox.html", messages=devsmtp.list_messages(directory), directory=directory)


@blp.get("/<message_id>")
def message(message_id: str):
    try:
        stored = devsmtp.read_message(config.mailbox_dir(), message_id)
    except (ValueError, FileNotFoundError) as error:
        raise Refusal.not_found("No message has this id.") from error
    text = stored.get_body(("plain",))
    html = stored.get_body(("html",))
    return render_template(
        "pages/mailbox_message.html",
        message=stored,
        headers=[(name, str(value)) for name, value in stored.items()],
        text=text.get_content() if text is not None else None,
        html=html.get_content() if html is not None else None,
    )
