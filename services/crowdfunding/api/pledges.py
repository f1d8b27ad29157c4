"""Pledges: a backer's own, by card (saved now, charged at the close) or by bank transfer."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from services.crowdfunding import config, exports, pledges
from services.crowdfunding.schemas.pledges import (
    BackerPledgeSchema,
    CardOutcomeSchema,
    CardSetupSchema,
    PledgeChangesSchema,
    PledgeInputSchema,
    PledgeSchema,
)
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("pledges", __name__, url_prefix="/api", description="Pledges of backers")

BACKER = "backer"


def _me() -> int:
    return current_principal().account_id


def _payments():
    return current_app.extensions["payments"]


@blp.route("/campaigns/<int:campaign_id>/pledges")
class CampaignPledges(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("campaign_owner", "fund_manager")
    @blp.response(200, BackerPledgeSchema(many=True))
    def get(self, campaign_id):
        """The campaign's pledges and backers: for its owner and the fund managers."""
        principal = current_principal()
        campaign = exports.campaign_for_pledges(db_session(), principal.account_id, principal.roles, campaign_id)
        return pledges.campaign_pledges(db_session(), campaign.id)

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(BACKER)
    @blp.arguments(PledgeInputSchema)
    @blp.response(201, PledgeSchema)
    def post(self, data, campaign_id):
        """Pledge to a live campaign. By card: `pending` until the card is saved (POST
        /api/pledges/{id}/card, then Stripe.js, then /confirm). By transfer: `awaiting_transfer`,
        counted once the fund manager marks it received. 409 when the reward is sold out."""
        with unit_of_work() as session:
            return pledges.create_pledge(session, _me(), campaign_id, data, utcnow(), config.pledge_hold_minutes())


@blp.route("/pledges")
class MyPledges(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(BACKER)
    @blp.response(200, PledgeSchema(many=True))
    def get(self):
        """The signed-in backer's pledges, the newest first."""
        return pledges.my_pledges(db_session(), _me())


@blp.route("/pledges/<int:pledge_id>")
class PledgeById(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(BACKER)
    @blp.response(200, PledgeSchema)
    def get(self, pledge_id):
        """One of the backer's pledges (another backer's is a 404)."""
        return pledges.get_own_pledge(db_session(), _me(), pledge_id)

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(BACKER)
    @blp.arguments(PledgeChangesSchema)
    @blp.response(200, PledgeSchema)
    def patch(self, changes, pledge_id):
        """Change the amount, the tier (null: no reward) or whether the name is shown, until the close."""
        with unit_of_work() as session:
            return pledges.change_pledge(session, _me(), pledge_id, changes, utcnow())


@blp.route("/pledges/<int:pledge_id>/cancel")
class Cancellation(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(BACKER)
    @blp.response(200, PledgeSchema)
    def post(self, pledge_id):
        """Cancel the pledge, until the close."""
        with unit_of_work() as session:
            return pledges.cancel_pledge(session, _me(), pledge_id, utcnow())


@blp.route("/pledges/<int:pledge_id>/card")
class Card(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(BACKER)
    @blp.response(200, CardSetupSchema)
    def post(self, pledge_id):
        """The SetupIntent of a pending card pledge (made once, read back after): its client secret
        for Stripe.js's card field. 503 while Stripe does not answer."""
        return pledges.set_up_card(unit_of_work, _payments(), _me(), pledge_id, utcnow())


@blp.route("/pledges/<int:pledge_id>/confirm")
class Confirmation(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(BACKER)
    @blp.response(200, CardOutcomeSchema)
    def post(self, pledge_id):
        """After Stripe.js saved the card: the server asks Stripe itself whether the SetupIntent
        succeeded, and confirms the pledge if it did (the webhook does the same)."""
        return pledges.confirm_card(unit_of_work, _payments(), _me(), pledge_id, utcnow())
