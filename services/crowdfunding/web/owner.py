"""The campaign owner's pages: becoming an owner (the role is the account's, one click at the
accounts service), the organisation, the campaign editor with its preview, reward tiers, the
cover, submission, pledges and backers with their CSV, and news. Same use cases and schemas as
the API; amounts in euros, times in Paris time."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from services.crowdfunding import campaigns, config, exports, news, owners, pledges
from services.crowdfunding.api.moderation import csv_response
from services.crowdfunding.models import FUNDING_MODELS
from services.crowdfunding.schemas.campaigns import (
    CampaignFormSchema,
    CoverTextSchema,
    NewsInputSchema,
    TierFormSchema,
    campaign_form_values,
    tier_form_values,
)
from services.crowdfunding.schemas.owners import OwnerInputSchema
from services.crowdfunding.web.public import render_campaign
from shared.accounts.sessions import page_account, page_requires
from shared.core.clock import utcnow
from shared.core.organisations import ORGANISATION_KINDS, SECTORS
from shared.core.refusal import INVALID, Refusal
from shared.web.i18n import current_language, translate
from shared.web.pages import load_form, refusal_errors, refusal_message
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("owner_pages", __name__, url_prefix="/owner")

OWNER = "campaign_owner"
# The API's field names as the forms name them (amounts in euros).
FORM_NAMES = {"goal_cents": "goal", "minimum_cents": "minimum"}
BLANK_BUDGET_ROWS = 2


def _me() -> int:
    return page_account().id


def _named(errors: dict) -> dict:
    return {FORM_NAMES.get(name, name): messages for name, messages in errors.items()}


def _form_errors(errors: dict) -> dict:
    return {"form": [translate(INVALID)], **_named(errors)}


def _changed(campaign, data: dict) -> dict:
    """What the editor's form changes: the form shows times to the minute, so a time it sends back
    unchanged is not a change (once approved, the dates may not change at all)."""
    changes = {}
    for name, value in data.items():
        current = getattr(campaign, name)
        if name in ("starts_at", "ends_at") and current.replace(second=0, microsecond=0) == value:
            continue
        if current != value:
            changes[name] = value
    return changes


# --- Becoming an owner, and the organisation ------------------------------------------------------


@blp.get("")
@page_requires()
def dashboard():
    """Any signed-in person: their campaigns, or how to become a campaign owner."""
    account = page_account()
    if not account.has_any(OWNER):
        return render_template("owner/become.html")
    session = db_session()
    now = utcnow()
    return render_template(
        "owner/dashboard.html", organisation=owners.find_owner(session, _me()),
        campaigns=campaigns.owner_campaigns(session, _me()),
        status_of=lambda campaign: campaigns.effective_status(campaign, now),
    )


@blp.route("/organisation", methods=["GET", "POST"])
@page_requires(OWNER)
def organisation():
    errors: dict = {}
    found = owners.find_owner(db_session(), _me())
    if request.method == "POST":
        values = request.form
        data, errors = load_form(OwnerInputSchema(), request.form)
        if not errors:
            with unit_of_work() as session:
                owners.save_owner(session, _me(), data)
            flash(translate("Your organisation is saved."))
            return redirect(url_for("owner_pages.dashboard"))
        errors = {"form": [translate(INVALID)], **errors}
    elif found is not None:
        values = {name: "" if getattr(found, name) is None else str(getattr(found, name)) for name in owners.OWNER_FIELDS}
    else:
        values = {}
    return render_template("owner/organisation.html", values=values, errors=errors, kinds=ORGANISATION_KINDS,
                           sectors=SECTORS), (422 if errors else 200)


# --- The campaign editor ------------------------------------------------------------------------


def _editor(campaign=None, values=None, errors=None, status=200, tier_values=None, tier_errors=None,
            cover_errors=None):
    now = utcnow()
    values = dict(values if values is not None else (campaign_form_values(campaign, current_language()) if campaign else {}))
    budget_rows = _budget_rows(values)
    context = {
        "campaign": campaign, "values": values, "errors": errors or {}, "budget_rows": budget_rows,
        "sectors": SECTORS, "models": FUNDING_MODELS, "max_days": config.max_campaign_days(),
        "tier_values": tier_values or {}, "tier_errors": tier_errors or {}, "cover_errors": cover_errors or {},
        "max_cover_megabytes": config.max_cover_bytes() // (1024 * 1024),
        "locked": campaign is not None and campaign.status in campaigns.APPROVED,
        "frozen": campaign is not None and campaigns.effective_status(campaign, now) in ("submitted", "rejected", "ended"),
    }
    if campaign is not None:
        context.update(
            status=campaigns.effective_status(campaign, now),
            places_left=campaigns.places_left(db_session(), campaign, now),
            problems=campaigns.submission_problems(campaign, now, config.max_campaign_days())
            if campaign.status in campaigns.EDITABLE else {},
        )
    return render_template("owner/editor.html", **context), status


def _budget_rows(values) -> list[dict]:
    numbers = sorted({int(key.split("-")[1]) for key in values if key.startswith("budget-") and key.count("-") == 2
                      and key.split("-")[1].isdigit()})
    rows = [{"label": values.get(f"budget-{n}-label", ""), "amount": values.get(f"budget-{n}-amount", "")}
            for n in numbers]
    rows = [row for row in rows if row["label"] or row["amount"]]
    return rows + [{"label": "", "amount": ""}] * BLANK_BUDGET_ROWS


@blp.route("/campaigns/new", methods=["GET", "POST"])
@page_requires(OWNER)
def new_campaign():
    if owners.find_owner(db_session(), _me()) is None:
        flash(translate("Give your organisation first: campaigns are run in its name."))
        return redirect(url_for("owner_pages.organisation"))
    if request.method == "GET":
        return _editor(values={"funding_model": "all_or_nothing"})
    data, errors = load_form(CampaignFormSchema(), request.form)
    if errors:
        return _editor(values=request.form, errors=_form_errors(errors), status=422)
    try:
        with unit_of_work() as session:
            campaign = campaigns.create_campaign(session, _me(), data, config.max_campaign_days())
    except Refusal as refusal:
        return _editor(values=request.form, errors=refusal_errors(refusal, FORM_NAMES), status=refusal.status)
    flash(translate("Your campaign is started, in draft: add its rewards and its cover, then submit it."))
    return redirect(url_for("owner_pages.editor", campaign_id=campaign.id))


def _own(campaign_id):
    return campaigns.get_own_campaign(db_session(), _me(), campaign_id)


@blp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@page_requires(OWNER)
def editor(campaign_id):
    campaign = _own(campaign_id)
    if request.method == "GET":
        return _editor(campaign)
    data, errors = load_form(CampaignFormSchema(), request.form)
    if errors:
        return _editor(campaign, request.form, _form_errors(errors), 422)
    changes = _changed(campaign, data)
    try:
        with unit_of_work() as session:
            campaigns.update_campaign(session, _me(), campaign_id, changes, utcnow(), config.max_campaign_days())
    except Refusal as refusal:
        return _editor(_own(campaign_id), request.form, refusal_errors(refusal, FORM_NAMES), refusal.status)
    flash(translate("Saved."))
    return redirect(url_for("owner_pages.editor", campaign_id=campaign_id))


@blp.get("/campaigns/<int:campaign_id>/preview")
@page_requires(OWNER)
def preview(campaign_id):
    return render_campaign(_own(campaign_id), preview=True)


@blp.post("/campaigns/<int:campaign_id>/cover")
@page_requires(OWNER)
def cover(campaign_id):
    campaign = _own(campaign_id)
    upload = request.files.get("file")
    text, errors = load_form(CoverTextSchema(), request.form)
    if upload is None or not upload.filename:
        errors["file"] = [translate("Choose a PNG or JPEG image.")]
    if errors:
        return _editor(campaign, cover_errors={"form": [translate(INVALID)], **errors}, status=422)
    try:
        with unit_of_work() as session:
            campaigns.set_cover(session, _me(), campaign_id, upload.stream, text["alt_fr"], text.get("alt_en"),
                                utcnow(), config.covers_dir(), config.max_cover_bytes())
    except Refusal as refusal:
        return _editor(_own(campaign_id), cover_errors=refusal_errors(refusal), status=refusal.status)
    flash(translate("Cover saved."))
    return redirect(url_for("owner_pages.editor", campaign_id=campaign_id))


@blp.post("/campaigns/<int:campaign_id>/submit")
@page_requires(OWNER)
def submit(campaign_id):
    try:
        with unit_of_work() as session:
            campaigns.submit_campaign(session, _me(), campaign_id, utcnow(), config.max_campaign_days())
    except Refusal as refusal:
        return _editor(_own(campaign_id), errors=refusal_errors(refusal, FORM_NAMES), status=refusal.status)
    flash(translate("Your campaign is sent for moderation: the fund manager's decision will come by email."))
    return redirect(url_for("owner_pages.editor", campaign_id=campaign_id))


# --- Reward tiers ---------------------------------------------------------------------------------


@blp.post("/campaigns/<int:campaign_id>/tiers")
@page_requires(OWNER)
def add_tier(campaign_id):
    campaign = _own(campaign_id)
    data, errors = load_form(TierFormSchema(), request.form)
    if errors:
        return _editor(campaign, tier_values=request.form, tier_errors={"form": [translate(INVALID)], **_named(errors)},
                       status=422)
    try:
        with unit_of_work() as session:
            campaigns.add_tier(session, _me(), campaign_id, data, utcnow())
    except Refusal as refusal:
        return _editor(_own(campaign_id), tier_values=request.form, tier_errors=refusal_errors(refusal, FORM_NAMES),
                       status=refusal.status)
    flash(translate("Reward added."))
    return redirect(url_for("owner_pages.editor", campaign_id=campaign_id) + "#tiers")


@blp.route("/campaigns/<int:campaign_id>/tiers/<int:tier_id>", methods=["GET", "POST"])
@page_requires(OWNER)
def tier(campaign_id, tier_id):
    found = campaigns.get_own_tier(db_session(), _me(), campaign_id, tier_id)
    values, errors, status = tier_form_values(found, current_language()), {}, 200
    if request.method == "POST":
        values = request.form
        data, errors = load_form(TierFormSchema(), request.form)
        status = 422
        if errors:
            errors = {"form": [translate(INVALID)], **_named(errors)}
        else:
            try:
                with unit_of_work() as session:
                    campaigns.update_tier(session, _me(), campaign_id, tier_id, data, utcnow())
            except Refusal as refusal:
                errors, status = refusal_errors(refusal, FORM_NAMES), refusal.status
            else:
                flash(translate("Reward saved."))
                return redirect(url_for("owner_pages.editor", campaign_id=campaign_id) + "#tiers")
    return render_template("owner/tier.html", tier=found, campaign=found.campaign, values=values,
                           errors=errors), status


@blp.post("/campaigns/<int:campaign_id>/tiers/<int:tier_id>/remove")
@page_requires(OWNER)
def remove_tier(campaign_id, tier_id):
    try:
        with unit_of_work() as session:
            campaigns.remove_tier(session, _me(), campaign_id, tier_id, utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        flash(refusal_message(refusal), "error")
    else:
        flash(translate("Reward removed."))
    return redirect(url_for("owner_pages.editor", campaign_id=campaign_id) + "#tiers")


# --- Pledges and backers, news ---------------------------------------------------------------------


def pledges_page(campaign, back_url: str, csv_url: str):
    """A campaign's pledges and backers (its owner's page and the fund manager's)."""
    session = db_session()
    return render_template("owner/pledges.html", campaign=campaign, pledges=pledges.campaign_pledges(session, campaign.id),
                           progress=campaigns.campaign_progress(session, campaign, utcnow()), back_url=back_url,
                           csv_url=csv_url)


@blp.get("/campaigns/<int:campaign_id>/pledges")
@page_requires(OWNER)
def campaign_pledges(campaign_id):
    campaign = _own(campaign_id)
    return pledges_page(campaign, url_for("owner_pages.editor", campaign_id=campaign.id),
                        url_for("owner_pages.pledges_csv", campaign_id=campaign.id))


@blp.get("/campaigns/<int:campaign_id>/pledges.csv")
@page_requires(OWNER)
def pledges_csv(campaign_id):
    campaign = _own(campaign_id)
    return csv_response(exports.pledges_csv(db_session(), campaign, current_language()), campaign.id)


@blp.route("/campaigns/<int:campaign_id>/news", methods=["GET", "POST"])
@page_requires(OWNER)
def campaign_news(campaign_id):
    campaign = _own(campaign_id)
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = request.form
        data, errors = load_form(NewsInputSchema(), request.form)
        status = 422
        if errors:
            errors = {"form": [translate(INVALID)], **errors}
        else:
            try:
                with unit_of_work() as session:
                    news.post_news(session, _me(), campaign_id, data["text"], utcnow())
            except Refusal as refusal:
                errors, status = refusal_errors(refusal), refusal.status
            else:
                flash(translate("News posted: it is on the campaign's page and on its way to the backers by email."))
                return redirect(url_for("owner_pages.campaign_news", campaign_id=campaign_id))
    return render_template("owner/news.html", campaign=campaign, posts=news.news_of(db_session(), campaign.id),
                           public=campaigns.is_public(campaign, utcnow()), values=values, errors=errors), status
