"""Campaigns: live ones for anyone; writing, tiers, the cover and news for their owner."""
from __future__ import annotations

from flask.views import MethodView

from services.crowdfunding import campaigns, config, news
from services.crowdfunding.schemas.campaigns import (
    CampaignChangesSchema,
    CampaignFilterSchema,
    CampaignInputSchema,
    CampaignSchema,
    CampaignSummarySchema,
    CoverTextSchema,
    CoverUploadSchema,
    NewsInputSchema,
    NewsSchema,
    TierChangesSchema,
    TierInputSchema,
    TierSchema,
)
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.public_reads import keep_until
from shared.web.service_app import db_session, read_session, unit_of_work

blp = Blueprint("campaigns", __name__, url_prefix="/api", description="Campaigns and their reward tiers")

OWNER = "campaign_owner"


def _me() -> int:
    return current_principal().account_id


def _view(campaign):
    return campaigns.campaign_view(db_session(), campaign, utcnow())


@blp.route("/campaigns")
class Campaigns(MethodView):
    @blp.arguments(CampaignFilterSchema, location="query")
    @blp.response(200, CampaignSummarySchema(many=True))
    def get(self, filters):
        """Live campaigns (no sign-in needed), the nearest end first, optionally of one sector."""
        now = utcnow()
        session = read_session()
        found = campaigns.live_campaigns(session, now, filters["sector"])
        keep_until(campaigns.list_kept_until(session, found, now))  # replayed as the page of the list is
        return campaigns.summaries(found, now)

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.arguments(CampaignInputSchema)
    @blp.response(201, CampaignSchema)
    def post(self, data):
        """Start a campaign, in draft, in the name of the owner's organisation (409 before it is given)."""
        with unit_of_work() as session:
            campaign = campaigns.create_campaign(session, _me(), data, config.max_campaign_days())
        return _view(campaign)


@blp.route("/campaigns/<int:campaign_id>")
class CampaignById(MethodView):
    @blp.response(200, CampaignSchema)
    def get(self, campaign_id):
        """A live or ended campaign for anyone; its owner and the fund managers read it at any status."""
        principal = current_principal()
        session, now = read_session(), utcnow()
        campaign = campaigns.get_readable_campaign(
            session, principal.account_id if principal else None, principal.roles if principal else (), campaign_id, now)
        view = campaigns.campaign_view(session, campaign, now)
        if principal is None:  # the public campaign: replayed from memory as its page is (shared.web.public_reads)
            keep_until(campaigns.page_kept_until(session, campaign, now))
        return view

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.arguments(CampaignChangesSchema)
    @blp.response(200, CampaignSchema)
    def patch(self, changes, campaign_id):
        """Change the owner's campaign; once approved, not its goal, dates or funding model (409)."""
        with unit_of_work() as session:
            campaign = campaigns.update_campaign(session, _me(), campaign_id, changes, utcnow(),
                                                 config.max_campaign_days())
        return _view(campaign)


@blp.route("/owner/campaigns")
class OwnCampaigns(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.response(200, CampaignSummarySchema(many=True))
    def get(self):
        """The signed-in owner's campaigns, the newest first."""
        return campaigns.summaries(campaigns.owner_campaigns(db_session(), _me()), utcnow())


@blp.route("/campaigns/<int:campaign_id>/cover")
class Cover(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.arguments(CoverUploadSchema, location="files")
    @blp.arguments(CoverTextSchema, location="form")
    @blp.response(200, CampaignSchema)
    def put(self, files, text, campaign_id):
        """Upload the cover (multipart `file`, with its text alternative `alt_fr`, `alt_en`): PNG or
        JPEG, checked by content (415 otherwise), at most MAX_COVER_BYTES (5 MB; 413 above)."""
        with unit_of_work() as session:
            campaign = campaigns.set_cover(
                session, _me(), campaign_id, files["file"].stream, text["alt_fr"], text.get("alt_en"), utcnow(),
                config.covers_dir(), config.max_cover_bytes(),
            )
        return _view(campaign)


@blp.route("/campaigns/<int:campaign_id>/submit")
class Submission(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.response(200, CampaignSchema)
    def post(self, campaign_id):
        """Send the campaign to moderation (422 naming what is missing; 409 when not a draft)."""
        with unit_of_work() as session:
            campaign = campaigns.submit_campaign(session, _me(), campaign_id, utcnow(), config.max_campaign_days())
        return _view(campaign)


@blp.route("/campaigns/<int:campaign_id>/tiers")
class Tiers(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.arguments(TierInputSchema)
    @blp.response(201, TierSchema)
    def post(self, data, campaign_id):
        """Add a reward tier: minimum amount, title and description, quantity (null: unlimited), delivery month."""
        with unit_of_work() as session:
            tier = campaigns.add_tier(session, _me(), campaign_id, data, utcnow())
        return campaigns.TierView(tier, tier.quantity)


@blp.route("/campaigns/<int:campaign_id>/tiers/<int:tier_id>")
class TierById(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.arguments(TierChangesSchema)
    @blp.response(200, TierSchema)
    def patch(self, changes, campaign_id, tier_id):
        """Change a tier; one with pledges never in a way that is worse for its backers (409)."""
        now = utcnow()
        with unit_of_work() as session:
            tier = campaigns.update_tier(session, _me(), campaign_id, tier_id, changes, now)
        return campaigns.TierView(tier, campaigns.places_left(db_session(), tier.campaign, now)[tier.id])

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.response(204)
    def delete(self, campaign_id, tier_id):
        """Remove a tier nobody chose (409 once a backer has)."""
        with unit_of_work() as session:
            campaigns.remove_tier(session, _me(), campaign_id, tier_id, utcnow())


@blp.route("/campaigns/<int:campaign_id>/news")
class News(MethodView):
    @blp.response(200, NewsSchema(many=True))
    def get(self, campaign_id):
        """The owner's news on a live or ended campaign, the newest first."""
        campaign = campaigns.get_public_campaign(db_session(), campaign_id, utcnow())
        return news.news_of(db_session(), campaign.id)

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.arguments(NewsInputSchema)
    @blp.response(201, NewsSchema)
    def post(self, data, campaign_id):
        """Post news on the owner's live or ended campaign: emailed to its backers."""
        with unit_of_work() as session:
            return news.post_news(session, _me(), campaign_id, data["text"], utcnow())

