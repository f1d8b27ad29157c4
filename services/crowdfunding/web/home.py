"""The crowdfunding site's home page, where a visitor arrives and a person lands after signing
in: campaigns are not open yet, so it says so and points to the grants' open calls."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

blp = Blueprint("crowdfunding_home", __name__)


@blp.get("/")
def home():
    settings = current_app.config["SETTINGS"]
    return render_template("home.html", grants_url=settings.public_url_of("grants"))
