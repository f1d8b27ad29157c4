"""The crowdfunding service's Flask application."""
import os

from flask import Flask

from services.crowdfunding.api import campaigns as campaigns_api
from services.crowdfunding.api import closing as closing_api
from services.crowdfunding.api import moderation as moderation_api
from services.crowdfunding.api import owners as owners_api
from services.crowdfunding.api import pledges as pledges_api
from services.crowdfunding.api import webhooks as webhooks_api
from services.crowdfunding.config import MIGRATIONS_DIR, SERVICE, max_cover_bytes, stripe_settings
from services.crowdfunding.models import Account
from services.crowdfunding.payments import Payments
from services.crowdfunding.web import backer as backer_pages
from services.crowdfunding.web import closing as closing_pages
from services.crowdfunding.web import manager as manager_pages
from services.crowdfunding.web import owner as owner_pages
from services.crowdfunding.web import public as public_pages
from shared.accounts.app import init_people
from shared.web.pages import register_pages
from shared.web.service_app import create_service_app


def create_app(config: dict | None = None) -> Flask:
    stripe = stripe_settings()
    # A request may carry one cover image and a form: the request limit follows the cover limit.
    config = {"MAX_CONTENT_LENGTH": max_cover_bytes() + 1024 * 1024, "CSP_STRIPE": stripe.content_security(),
              **(config or {})}
    app, api = create_service_app(SERVICE, __name__, MIGRATIONS_DIR, config)
    app.extensions["payments"] = Payments(stripe)
    init_people(app, Account)
    for blueprint in (owners_api.blp, campaigns_api.blp, pledges_api.blp, moderation_api.blp, webhooks_api.blp,
                      closing_api.blp):
        api.register_blueprint(blueprint)
    for blueprint in (public_pages.blp, backer_pages.blp, owner_pages.blp, manager_pages.blp, closing_pages.blp):
        register_pages(app, blueprint)
    # The live campaigns and a campaign's page (HTML and JSON), the same for every visitor who is
    # not signed in, replayed from memory until a row they show changes (the tables below) or the
    # clock changes them (web/public.py, api/campaigns.py).
    app.extensions["public_reads"].serve(
        "/", "/campaigns/<int>", "/api/campaigns", "/api/campaigns/<int>", tables=CAMPAIGN_PAGE_TABLES, database=app.extensions["db"],
        listen_url=os.environ.get("CROWDFUNDING_LISTEN_DATABASE_URL"))
    return app


# What the live campaigns and a campaign's page read; each has the trigger that tells the web processes of a change
# (migration 0007).
CAMPAIGN_PAGE_TABLES = ("campaigns", "owners", "reward_tiers", "pledges", "pledge_matches", "news_posts", "accounts")
