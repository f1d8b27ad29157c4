"""The close through the API: charging progress (owner, fund manager), the backer's recovery of a
payment the bank refused, refunds and refund requests, the cancellation of a successful campaign,
the owner's statement (JSON and CSV) and the payout."""
from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView

from services.crowdfunding import campaigns, closing, recovery, refunds, statement
from services.crowdfunding.schemas.closing import (
    CampaignOutcomeSchema,
    CancelInputSchema,
    CardPaymentSchema,
    ChargedSchema,
    ChargeProgressSchema,
    NewCardChargeSchema,
    PaymentStateSchema,
    PayoutInputSchema,
    RefundDecisionSchema,
    RefundInputSchema,
    RefundSchema,
    StatementSchema,
)
from services.crowdfunding.schemas.pledges import CardSetupSchema
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("closing", __name__, url_prefix="/api", description="The close: charges, recovery, refunds, statement")

BACKER = "backer"
MANAGER = "fund_manager"
SECURITY = [{"bearerAuth": []}]


def _me() -> int:
    return current_principal().account_id


def _payments():
    return current_app.extensions["payments"]


def _db():
    return current_app.extensions["db"]


def owned_or_managed(session, campaign_id: int):
    """The owner's own campaign, or any campaign for a fund manager; otherwise 404."""
    principal = current_principal()
    if MANAGER in principal.roles:
        return campaigns.get_campaign(session, campaign_id)
    return campaigns.get_own_campaign(session, principal.account_id, campaign_id)


# --- Progress ------------------------------------------------------------------------------------


@blp.route("/campaigns/<int:campaign_id>/charges")
class CampaignCharges(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles("campaign_owner", MANAGER)
    @blp.response(200, ChargeProgressSchema)
    def get(self, campaign_id):
        """Where the close's charging stands: pledges paid, to charge, needing action, failed."""
        session = db_session()
        return closing.charge_progress(session, owned_or_managed(session, campaign_id))


# --- The backer's recovery -----------------------------------------------------------------------


@blp.route("/pledges/<int:pledge_id>/payment")
class PledgePayment(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(BACKER)
    @blp.response(200, PaymentStateSchema)
    def get(self, pledge_id):
        """The backer's own pledge's payment after the close; with the client secret when the bank
        asks for authentication (Stripe.js confirmCardPayment). Another backer's: 404."""
        return recovery.payment_state(unit_of_work, _payments(), _me(), pledge_id)


@blp.route("/pledges/<int:pledge_id>/payment/check")
class PledgePaymentCheck(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(BACKER)
    @blp.response(200, ChargedSchema)
    def post(self, pledge_id):
        """Stripe.js finished: the server reads the PaymentIntent at Stripe and settles the pledge."""
        return recovery.check_payment(_db(), _payments(), _me(), pledge_id, utcnow())


@blp.route("/pledges/<int:pledge_id>/payment/card")
class PledgePaymentCard(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(BACKER)
    @blp.response(201, CardSetupSchema)
    def post(self, pledge_id):
        """Another card for a pledge the bank refused: a SetupIntent for Stripe.js."""
        return recovery.new_card(unit_of_work, _payments(), _me(), pledge_id, utcnow())


@blp.route("/pledges/<int:pledge_id>/payment/card/charge")
class PledgePaymentCardCharge(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(BACKER)
    @blp.arguments(NewCardChargeSchema)
    @blp.response(200, CardPaymentSchema)
    def post(self, data, pledge_id):
        """Charge the card just saved, on-session; `requires_action` gives Stripe.js its client secret."""
        return recovery.pay_with_card(_db(), _payments(), _me(), pledge_id, data["setup_intent_id"], utcnow())


@blp.route("/pledges/<int:pledge_id>/refund-requests")
class PledgeRefundRequests(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(BACKER)
    @blp.arguments(RefundInputSchema)
    @blp.response(201, RefundSchema)
    def post(self, data, pledge_id):
        """The backer asks for a refund of their paid pledge, within REFUND_REQUEST_DAYS of the payment."""
        with unit_of_work() as session:
            return refunds.request_refund(session, _me(), pledge_id, data["amount_cents"], data["reason"], utcnow())


# --- The fund manager: refunds, cancellation, payout ------------------------------------------------


def _send_now(refund) -> None:
    """A single refund is sent by the request itself; the worker sends any left behind."""
    from services.crowdfunding.payments import PaymentsUnavailable

    try:
        refunds.send_refund(_db(), _payments(), _UnpacedRequest(), refund.id, utcnow())
    except (PaymentsUnavailable, TimeoutError):
        pass  # left approved: the worker's sweeper sends it


class _UnpacedRequest:
    """A person's single refund is not paced: the close's budget is the worker's."""

    def acquire(self, timeout: float) -> bool:
        return True


@blp.route("/manage/pledges/<int:pledge_id>/refunds")
class PledgeRefunds(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(MANAGER)
    @blp.response(200, RefundSchema(many=True))
    def get(self, pledge_id):
        """A pledge's refunds and refund requests."""
        return refunds.pledge_refunds(db_session(), pledge_id)

    @blp.doc(security=SECURITY)
    @require_roles(MANAGER)
    @blp.arguments(RefundInputSchema)
    @blp.response(201, RefundSchema)
    def post(self, data, pledge_id):
        """Refund a paid pledge in full (no amount) or in part, with a reason; sent to Stripe at once."""
        with unit_of_work() as session:
            refund = refunds.refund_pledge(session, _me(), pledge_id, data["amount_cents"], data["reason"], utcnow())
        _send_now(refund)
        return db_session().get(type(refund), refund.id, populate_existing=True)


@blp.route("/manage/refunds")
class RequestedRefunds(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(MANAGER)
    @blp.response(200, RefundSchema(many=True))
    def get(self):
        """Refund requests of backers waiting for a decision, the oldest first."""
        return refunds.requested_refunds(db_session())


@blp.route("/manage/refunds/<int:refund_id>/decision")
class RefundDecision(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(MANAGER)
    @blp.arguments(RefundDecisionSchema)
    @blp.response(200, RefundSchema)
    def post(self, data, refund_id):
        """Approve (sent to Stripe at once) or refuse a backer's refund request."""
        with unit_of_work() as session:
            refund = refunds.decide_refund(session, _me(), refund_id, data["decision"], data["reason"], utcnow())
        if refund.status == "approved":
            _send_now(refund)
        return db_session().get(type(refund), refund.id, populate_existing=True)


@blp.route("/manage/campaigns/<int:campaign_id>/cancel")
class CampaignCancel(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(MANAGER)
    @blp.arguments(CancelInputSchema)
    @blp.response(200, CampaignOutcomeSchema)
    def post(self, data, campaign_id):
        """Cancel a successful campaign: nothing more is charged and every paid pledge is refunded
        (by the worker); the backers are told."""
        with unit_of_work() as session:
            return refunds.cancel_campaign(session, _me(), campaign_id, data["reason"], utcnow())


@blp.route("/manage/campaigns/<int:campaign_id>/payout")
class CampaignPayout(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles(MANAGER)
    @blp.arguments(PayoutInputSchema)
    @blp.response(200, CampaignOutcomeSchema)
    def post(self, data, campaign_id):
        """Record the payout made to the owner (at most the net amount due), once."""
        with unit_of_work() as session:
            return statement.record_payout(session, _me(), campaign_id, data["amount_cents"], data["reference"],
                                           utcnow())


# --- The statement -------------------------------------------------------------------------------


@blp.route("/campaigns/<int:campaign_id>/statement")
class CampaignStatement(MethodView):
    @blp.doc(security=SECURITY)
    @require_roles("campaign_owner", MANAGER)
    @blp.response(200, StatementSchema)
    def get(self, campaign_id):
        """The owner's statement after a successful close (409 before)."""
        principal = current_principal()
        session = db_session()
        campaign = statement.statement_campaign(session, principal.account_id, principal.roles, campaign_id)
        return statement.campaign_figures(session, campaign)


@blp.route("/campaigns/<int:campaign_id>/statement.csv")
class CampaignStatementCsv(MethodView):
    @blp.doc(security=SECURITY, responses={"200": {"description": "The statement as CSV", "content": {"text/csv": {}}}})
    @require_roles("campaign_owner", MANAGER)
    def get(self, campaign_id):
        """The statement as a CSV file."""
        from shared.web.i18n import translate

        principal = current_principal()
        session = db_session()
        campaign = statement.statement_campaign(session, principal.account_id, principal.roles, campaign_id)
        body = statement.csv_text(campaign, statement.campaign_figures(session, campaign), translate)
        return Response("\ufeff" + body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="statement-{campaign.id}.csv"'})
