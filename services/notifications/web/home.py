"""The notifications service's home page: what the service does, the local mailbox when it is
served, and the platform's sites, so that a person who lands here (after signing in, or from the
mailbox's logo) always finds a page."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

blp = Blueprint("notifications_home", __name__)


@blp.get("/")
def home():
    settings = current_app.config["SETTINGS"]
    return render_template(
        "pages/home.html",
        # Whether the app was built with the mailbox (config.mailbox_page_enabled at start-up).
        mailbox="mailbox" in current_app.blueprints,
        grants_url=settings.public_url_of("grants"),
        crowdfunding_url=settings.public_url_of("crowdfunding"),
    )
