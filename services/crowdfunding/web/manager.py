"""The fund manager's pages: every campaign with the moderation queue first, a campaign's review
with the decision (approve, ask for changes, reject, with the reason emailed), its pledges, and
the bank transfers to mark received. Same use cases as the API."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from services.crowdfunding import campaigns, exports, moderation, pledges
from services.crowdfunding.api.moderation import csv_response
from services.crowdfunding.schemas.campaigns import DecisionSchema
from services.crowdfunding.web.owner import pledges_page
from shared.accounts.sessions import page_account, page_requires
from shared.core.clock import utcnow
from shared.core.refusal import INVALID, Refusal
from shared.web.i18n import current_language, translate
from shared.web.pages import load_form, refusal_errors, refusal_message
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("manager_pages", __name__, url_prefix="/manage")

MANAGER = "fund_manager"
STATUSES = ("submitted", "changes_requested", "approved", "live", "ended", "rejected", "draft")
DECISION_NAMES = {"approved": "Approve", "changes_requested": "Ask for changes", "rejected": "Reject"}


class StatusFilterSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


@blp.get("/campaigns")
@page_requires(MANAGER)
def all_campaigns():
    filters, _errors = load_form(StatusFilterSchema(), request.args)
    status = filters.get("status")
    now = utcnow()
    session = db_session()
    return render_template(
        "manager/campaigns.html", queue=campaigns.moderation_queue(session),
        campaigns=campaigns.all_campaigns(session, now, status), status=status, statuses=STATUSES,
        status_of=lambda campaign: campaigns.effective_status(campaign, now),
        transfers=len(pledges.awaited_transfers(session, now)),
    )


def _review(campaign, values=None, errors=None, status=200):
    now = utcnow()
    session = db_session()
    return render_template(
        "manager/campaign.html", campaign=campaign, view=campaigns.campaign_view(session, campaign, now),
        decisions=moderation.decisions_of(session, campaign.id), values=values or {}, errors=errors or {},
        decision_names=DECISION_NAMES,
    ), status


@blp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@page_requires(MANAGER)
def review(campaign_id):
    campaign = campaigns.get_campaign(db_session(), campaign_id)
    if request.method == "GET":
        return _review(campaign)
    data, errors = load_form(DecisionSchema(), request.form)
    if errors:
        return _review(campaign, request.form, {"form": [translate(INVALID)], **errors}, 422)
    try:
        with unit_of_work() as session:
            moderation.decide(session, page_account().id, campaign_id, data["decision"], data["reason"], utcnow())
    except Refusal as refusal:
        return _review(campaigns.get_campaign(db_session(), campaign_id), request.form, refusal_errors(refusal),
                       refusal.status)
    flash(translate("Decision recorded: the owner is told by email."))
    return redirect(url_for("manager_pages.review", campaign_id=campaign_id))


@blp.get("/campaigns/<int:campaign_id>/pledges")
@page_requires(MANAGER)
def campaign_pledges(campaign_id):
    campaign = campaigns.get_campaign(db_session(), campaign_id)
    return pledges_page(campaign, url_for("manager_pages.review", campaign_id=campaign.id),
                        url_for("manager_pages.pledges_csv", campaign_id=campaign.id))


@blp.get("/campaigns/<int:campaign_id>/pledges.csv")
@page_requires(MANAGER)
def pledges_csv(campaign_id):
    campaign = campaigns.get_campaign(db_session(), campaign_id)
    return csv_response(exports.pledges_csv(db_session(), campaign, current_language()), campaign.id)


@blp.get("/transfers")
@page_requires(MANAGER)
def transfers():
    return render_template("manager/transfers.html", transfers=pledges.awaited_transfers(db_session(), utcnow()))


@blp.post("/pledges/<int:pledge_id>/transfer-received")
@page_requires(MANAGER)
def transfer_received(pledge_id):
    try:
        with unit_of_work() as session:
            pledge = pledges.mark_transfer_received(session, page_account().id, pledge_id, utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        flash(refusal_message(refusal), "error")
    else:
        flash(translate("Transfer %(reference)s marked received: the pledge counts.", reference=pledge.reference))
    return redirect(url_for("manager_pages.transfers"))
