"""The close as its owner and the fund manager read it: the outcome, the charging's progress
(paid, to charge, waiting for the backer, not paid), the statement with its CSV; and for the fund
manager, refunding a pledge, deciding backers' refund requests, cancelling a successful campaign
and recording the payout. Same use cases and schemas as the API; amounts in euros."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, fields, validate

from services.crowdfunding import campaigns, closing, pledges, refunds, statement
from services.crowdfunding.api.closing import _UnpacedRequest
from services.crowdfunding.payments import PaymentsUnavailable
from services.crowdfunding.schemas.closing import CancelInputSchema, PayoutInputSchema, RefundDecisionSchema, RefundInputSchema
from shared.accounts.sessions import page_account, page_requires
from shared.core.clock import utcnow
from shared.core.money import Euros
from shared.core.refusal import INVALID, Refusal
from shared.web.i18n import translate
from shared.web.pages import load_form, refusal_message
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("closing_pages", __name__)

OWNER = "campaign_owner"
MANAGER = "fund_manager"
BACKER = "backer"


class RefundFormSchema(RefundInputSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount", load_default=None, allow_none=True)


class PayoutFormSchema(PayoutInputSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount", required=True)


class CancelFormSchema(CancelInputSchema):
    class Meta:
        unknown = EXCLUDE


class DecisionFormSchema(RefundDecisionSchema):
    class Meta:
        unknown = EXCLUDE


def _campaign(campaign_id: int, manager: bool):
    session = db_session()
    if manager:
        return campaigns.get_campaign(session, campaign_id)
    return campaigns.get_own_campaign(session, page_account().id, campaign_id)


def _page(campaign_id: int, manager: bool):
    session = db_session()
    campaign = _campaign(campaign_id, manager)
    figures = statement.campaign_figures(session, campaign) if campaign.outcome in ("succeeded", "cancelled") else None
    paid = [p for p in pledges.campaign_pledges(session, campaign.id) if p.payment_status == "paid"]
    requests = [r for r in refunds.requested_refunds(session) if r.pledge.campaign_id == campaign.id] if manager else []
    return render_template(
        "closing/campaign.html", campaign=campaign, manager=manager, figures=figures,
        progress=closing.charge_progress(session, campaign), paid=paid, requests=requests,
        left={p.id: refunds._left(session, p) for p in paid},
    )


@blp.get("/owner/campaigns/<int:campaign_id>/close")
@page_requires(OWNER)
def owner_close(campaign_id):
    return _page(campaign_id, manager=False)


@blp.get("/manage/campaigns/<int:campaign_id>/close")
@page_requires(MANAGER)
def manager_close(campaign_id):
    return _page(campaign_id, manager=True)


def _statement_csv(campaign):
    body = statement.csv_text(campaign, statement.campaign_figures(db_session(), campaign), translate)
    return Response("\ufeff" + body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="statement-{campaign.id}.csv"'})


@blp.get("/owner/campaigns/<int:campaign_id>/statement.csv")
@page_requires(OWNER)
def owner_statement_csv(campaign_id):
    account = page_account()
    return _statement_csv(statement.statement_campaign(db_session(), account.id, (), campaign_id))


@blp.get("/manage/campaigns/<int:campaign_id>/statement.csv")
@page_requires(MANAGER)
def manager_statement_csv(campaign_id):
    return _statement_csv(statement.statement_campaign(db_session(), page_account().id, (MANAGER,), campaign_id))


def _back(campaign_id: int):
    return redirect(url_for("closing_pages.manager_close", campaign_id=campaign_id))


def _form(schema, campaign_id: int):
    data, errors = load_form(schema, request.form)
    if errors:
        flash(translate(INVALID) + " " + " ".join(message for messages in errors.values() for message in messages), "error")
        return None
    return data


def _send(refund) -> None:
    try:
        refunds.send_refund(current_app.extensions["db"], current_app.extensions["payments"], _UnpacedRequest(),
                            refund.id, utcnow())
    except (PaymentsUnavailable, TimeoutError):
        pass  # left approved: the worker sends it


@blp.post("/manage/pledges/<int:pledge_id>/refund")
@page_requires(MANAGER)
def refund_pledge(pledge_id):
    pledge = db_session().get(pledges.Pledge, pledge_id)
    if pledge is None:
        raise Refusal.not_found(refunds.PLEDGE_NOT_FOUND)
    data = _form(RefundFormSchema(), pledge.campaign_id)
    if data is None:
        return _back(pledge.campaign_id)
    try:
        with unit_of_work() as session:
            refund = refunds.refund_pledge(session, page_account().id, pledge_id, data["amount_cents"], data["reason"],
                                           utcnow())
    except Refusal as refusal:
        flash(refusal_message(refusal), "error")
        return _back(pledge.campaign_id)
    _send(refund)
    flash(translate("The refund is recorded and sent to Stripe."))
    return _back(pledge.campaign_id)


@blp.post("/manage/refunds/<int:refund_id>/decision")
@page_requires(MANAGER)
def decide_refund(refund_id):
    refund = db_session().get(refunds.Refund, refund_id)
    if refund is None:
        raise Refusal.not_found(refunds.NOT_FOUND)
    campaign_id = refund.pledge.campaign_id
    data = _form(DecisionFormSchema(), campaign_id)
    if data is None:
        return _back(campaign_id)
    try:
        with unit_of_work() as session:
            decided = refunds.decide_refund(session, page_account().id, refund_id, data["decision"], data["reason"],
                                            utcnow())
    except Refusal as refusal:
        flash(refusal_message(refusal), "error")
        return _back(campaign_id)
    if decided.status == "approved":
        _send(decided)
    flash(translate("The refund request is decided."))
    return _back(campaign_id)


@blp.post("/manage/campaigns/<int:campaign_id>/cancel")
@page_requires(MANAGER)
def cancel(campaign_id):
    data = _form(CancelFormSchema(), campaign_id)
    if data is None:
        return _back(campaign_id)
    try:
        with unit_of_work() as session:
            refunds.cancel_campaign(session, page_account().id, campaign_id, data["reason"], utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        flash(refusal_message(refusal), "error")
        return _back(campaign_id)
    flash(translate("The campaign is cancelled: every paid pledge is being refunded."))
    return _back(campaign_id)


@blp.post("/manage/campaigns/<int:campaign_id>/payout")
@page_requires(MANAGER)
def payout(campaign_id):
    data = _form(PayoutFormSchema(), campaign_id)
    if data is None:
        return _back(campaign_id)
    try:
        with unit_of_work() as session:
            statement.record_payout(session, page_account().id, campaign_id, data["amount_cents"], data["reference"],
                                    utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        flash(refusal_message(refusal), "error")
        return _back(campaign_id)
    flash(translate("The payout is recorded."))
    return _back(campaign_id)


# --- The backer asks for a refund -------------------------------------------------------------------


@blp.post("/pledges/<int:pledge_id>/refund-request")
@page_requires(BACKER)
def request_refund(pledge_id):
    data, errors = load_form(RefundFormSchema(), request.form)
    if errors:
        flash(translate(INVALID), "error")
        return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge_id))
    try:
        with unit_of_work() as session:
            refunds.request_refund(session, page_account().id, pledge_id, data["amount_cents"], data["reason"], utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        flash(refusal_message(refusal), "error")
    else:
        flash(translate("Your refund request is sent to the fund manager."))
    return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge_id))
