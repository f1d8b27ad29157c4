"""Matchfunding: the fund manager's pots, the campaigns they match and the payouts
(`/api/manage/...`); a campaign owner holding an award links the two (`/api/match-links`)."""
from __future__ import annotations

from flask.views import MethodView

from services.grants import matchfunding
from services.grants.schemas.matchfunding import (
    LinkInputSchema,
    MatchCampaignSchema,
    OwnerLinkInputSchema,
    PayoutPaymentSchema,
    PayoutSchema,
    PotChangeSchema,
    PotInputSchema,
    PotSchema,
)
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("matchfunding", __name__, url_prefix="/api",
                description="Matchfunding: pots set aside from a fund, the campaigns they match, payouts")

MANAGER = "fund_manager"
AUTH = [{"bearerAuth": []}]


def _me() -> int:
    return current_principal().account_id


@blp.route("/manage/funds/<int:fund_id>/match-pots")
class FundPots(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, PotSchema(many=True))
    def get(self, fund_id):
        """The fund's matching pots, with what their matches hold."""
        session = db_session()
        return [matchfunding.pot_figures(session, pot) for pot in matchfunding.fund_pots(session, fund_id)]

    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(PotInputSchema)
    @blp.response(201, PotSchema)
    def post(self, data, fund_id):
        """Set a pot aside from the fund: it counts as committed in the envelope (409 past it)."""
        with unit_of_work() as session:
            pot = matchfunding.create_pot(session, fund_id, data, utcnow(), _me())
            return matchfunding.pot_figures(session, pot)


@blp.route("/manage/match-pots/<int:pot_id>")
class Pot(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, PotSchema)
    def get(self, pot_id):
        session = db_session()
        return matchfunding.pot_figures(session, matchfunding.get_pot(session, pot_id))

    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(PotChangeSchema)
    @blp.response(200, PotSchema)
    def patch(self, changes, pot_id):
        """Resize the pot, change its rules for the pledges to come, or close it."""
        with unit_of_work() as session:
            pot = matchfunding.update_pot(session, pot_id, changes, utcnow(), _me())
            return matchfunding.pot_figures(session, pot)


@blp.route("/manage/match-pots/<int:pot_id>/campaigns")
class PotCampaigns(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, MatchCampaignSchema(many=True))
    def get(self, pot_id):
        """The campaigns the pot matches."""
        session = db_session()
        matchfunding.get_pot(session, pot_id)
        return matchfunding.pot_campaigns(session, pot_id)

    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(LinkInputSchema)
    @blp.response(200, MatchCampaignSchema)
    def post(self, data, pot_id):
        """Make a campaign qualify: linked to an award whose organisation has the owner's SIREN
        (409 otherwise), or approved (no award)."""
        with unit_of_work() as session:
            return matchfunding.link_campaign(session, pot_id, data, utcnow(), _me())


@blp.route("/manage/match-pots/<int:pot_id>/campaigns/<int:campaign_id>")
class PotCampaign(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, MatchCampaignSchema)
    def delete(self, pot_id, campaign_id):
        """The campaign's pledges to come are no longer matched (what is reserved stays)."""
        with unit_of_work() as session:
            return matchfunding.unlink_campaign(session, pot_id, campaign_id, utcnow())


@blp.route("/manage/match-campaigns")
class KnownCampaigns(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, MatchCampaignSchema(many=True))
    def get(self):
        """The campaigns the grants know of (live ones, and those pledged to), to link."""
        return matchfunding.known_campaigns(db_session())


@blp.route("/manage/funds/<int:fund_id>/match-payouts")
class FundPayouts(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, PayoutSchema(many=True))
    def get(self, fund_id):
        """What successful campaigns' matches come to: committed, then paid."""
        session = db_session()
        matchfunding.awards.calls.get_fund(session, fund_id)
        return matchfunding.fund_payouts(session, fund_id)


@blp.route("/manage/match-payouts/<int:campaign_id>/payment")
class PayoutPayment(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(PayoutPaymentSchema)
    @blp.response(200, PayoutSchema)
    def post(self, data, campaign_id):
        """Record the transfer of a campaign's matches to its owner (the same reference again is
        the same payment)."""
        with unit_of_work() as session:
            return matchfunding.record_payout_paid(session, campaign_id, data, utcnow(), _me())


@blp.route("/match-links")
class OwnerLinks(MethodView):
    @blp.doc(security=AUTH)
    @require_roles("applicant")
    @blp.arguments(OwnerLinkInputSchema)
    @blp.response(200, MatchCampaignSchema)
    def post(self, data):
        """A campaign owner links their campaign to their award: the award's fund's open pot
        matches it when the award's organisation has the campaign owner's SIREN."""
        with unit_of_work() as session:
            return matchfunding.owner_link(session, _me(), data, utcnow())
