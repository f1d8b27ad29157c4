"""The fund manager's side: every campaign, the moderation, transfers to mark received, and a
campaign's pledges (which its owner reads too), with a CSV export."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView

from services.crowdfunding import campaigns, exports, moderation, pledges
from services.crowdfunding.schemas.campaigns import (
    CampaignSchema,
    CampaignSummarySchema,
    DecisionSchema,
    ManagedCampaignFilterSchema,
)
from services.crowdfunding.schemas.pledges import BackerPledgeSchema, CsvQuerySchema
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("moderation", __name__, url_prefix="/api", description="Moderation and transfers, for the fund manager")

MANAGER = "fund_manager"


@blp.route("/manage/campaigns")
class ManagedCampaigns(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(MANAGER)
    @blp.arguments(ManagedCampaignFilterSchema, location="query")
    @blp.response(200, CampaignSummarySchema(many=True))
    def get(self, filters):
        """Every campaign, optionally of one status (submitted: the moderation queue)."""
        now = utcnow()
        return campaigns.summaries(campaigns.all_campaigns(db_session(), now, filters["status"]), now)


@blp.route("/manage/campaigns/<int:campaign_id>/decision")
class Decision(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(MANAGER)
    @blp.arguments(DecisionSchema)
    @blp.response(200, CampaignSchema)
    def post(self, data, campaign_id):
        """Approve a submitted campaign, ask for changes or reject it (both with a reason, emailed)."""
        now = utcnow()
        with unit_of_work() as session:
            campaign = moderation.decide(session, current_principal().account_id, campaign_id, data["decision"],
                                         data["reason"], now)
        return campaigns.campaign_view(db_session(), campaign, now)


@blp.route("/manage/transfers")
class Transfers(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(MANAGER)
    @blp.response(200, BackerPledgeSchema(many=True))
    def get(self):
        """Transfer pledges awaited, for campaigns not closed yet, the nearest close first."""
        return pledges.awaited_transfers(db_session(), utcnow())


@blp.route("/manage/pledges/<int:pledge_id>/transfer-received")
class TransferReceived(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(MANAGER)
    @blp.response(200, BackerPledgeSchema)
    def post(self, pledge_id):
        """The transfer arrived: the pledge counts from now (409 after the close)."""
        with unit_of_work() as session:
            return pledges.mark_transfer_received(session, current_principal().account_id, pledge_id, utcnow())


@blp.route("/campaigns/<int:campaign_id>/pledges.csv")
class CampaignPledgesCsv(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("campaign_owner", MANAGER)
    @blp.arguments(CsvQuerySchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv",
                  description="UTF-8 with a byte-order mark, cells separated by semicolons (French Excel)")
    def get(self, query, campaign_id):
        """The campaign's pledges and backers as a spreadsheet, one row per pledge: for its owner
        and the fund managers."""
        principal = current_principal()
        campaign = exports.campaign_for_pledges(db_session(), principal.account_id, principal.roles, campaign_id)
        body = exports.pledges_csv(db_session(), campaign, query["lang"])
        return csv_response(body, campaign.id)


def csv_response(body: bytes, campaign_id: int) -> Response:
    return Response(body, mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-pledges.csv"',
    })
