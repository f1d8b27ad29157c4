"""Pages anyone can read: the live campaigns with a sector filter, and a campaign's page (its
progress, its reward tiers and the places left, its public backers, its owner's news), and the
cover images. Every page links back to the grants (their public address)."""
from __future__ import annotations

from babel.dates import format_date
from flask import Blueprint, render_template, request, send_file, url_for

from services.crowdfunding import campaigns, config, covers, news
from shared.core.clock import format_paris, to_paris, utcnow
from shared.core.money import LOCALES, format_money
from shared.core.organisations import ORGANISATION_KIND_LABELS, SECTOR_LABELS, SECTORS
from shared.core.refusal import Refusal
from shared.web.i18n import current_language, translate
from shared.web.public_reads import keep_until
from shared.web.service_app import db_session, read_session

blp = Blueprint("public_pages", __name__)

STATUS_NAMES = {
    "draft": "Draft", "submitted": "Being moderated", "changes_requested": "Changes requested",
    "approved": "Approved", "rejected": "Rejected", "live": "Live", "ended": "Ended",
    "pending": "Card to enter", "awaiting_transfer": "Transfer awaited", "confirmed": "Confirmed",
    "cancelled": "Cancelled", "failed": "Not paid",
}
PAYMENT_NAMES = {
    "to_charge": "To be charged", "paid": "Paid", "action_needed": "Waiting for the backer",
    "failed": "Not paid", "released": "Not charged",
}
# Why the bank said no, as the backer reads it (Stripe's codes; any other reads as a decline).
ACTION_REASONS = {
    "authentication_required": "Your bank asks you to confirm this payment (3-D Secure).",
    "insufficient_funds": "Your bank declined the payment: insufficient funds.",
    "expired_card": "Your bank declined the payment: the card has expired.",
}
DECLINED = "Your bank declined the payment."
MODEL_NAMES = {"all_or_nothing": "All or nothing", "keep_it_all": "Keep it all"}
MODEL_EXPLANATIONS = {
    "all_or_nothing": "All or nothing: cards are charged only if the goal is reached when the campaign closes.",
    "keep_it_all": "Keep it all: cards are charged when the campaign closes, whatever the total.",
}


def page_helpers() -> dict:
    """What the crowdfunding pages show the same way: Paris times, euros, sectors, statuses, covers."""
    language = current_language()
    locale = LOCALES[language]

    def label(labels: dict, code: str) -> str:
        return labels.get(code, {}).get(language, code)

    def cover_srcset(campaign) -> str:
        return ", ".join(f"{url_for('public_pages.cover', name=name)} {width}w"
                         for width, name in campaigns.cover_files(campaign))

    def cover_src(campaign, width: int = 960) -> str | None:
        files = campaigns.cover_files(campaign)
        if not files:
            return None
        chosen = next((name for w, name in files if w >= width), files[-1][1])
        return url_for("public_pages.cover", name=chosen)

    return {
        "paris": lambda moment: format_paris(moment, locale) if moment else "",
        "paris_date": lambda moment: format_date(to_paris(moment), "long", locale=locale) if moment else "",
        "paris_time": lambda moment: to_paris(moment).strftime("%H:%M") if moment else "",
        "month": lambda day: format_date(day, "MMMM yyyy", locale=locale) if day else "",
        "euros": lambda cents: format_money(cents, language) if cents is not None else "",
        "sector_label": lambda code: label(SECTOR_LABELS, code),
        "kind_label": lambda code: label(ORGANISATION_KIND_LABELS, code),
        "status_name": lambda code: translate(STATUS_NAMES.get(code, code)),
        "payment_name": lambda code: translate(PAYMENT_NAMES.get(code, code)) if code else "",
        "action_reason": lambda code: translate(ACTION_REASONS.get(code, DECLINED)),
        "model_name": lambda code: translate(MODEL_NAMES.get(code, code)),
        "model_explanation": lambda code: translate(MODEL_EXPLANATIONS.get(code, code)),
        "cover_srcset": cover_srcset,
        "cover_src": cover_src,
        "grants_url": config.settings().public_url_of("grants"),
        "language": language,
        "sectors": SECTORS,
    }


@blp.app_context_processor
def _helpers():
    return page_helpers()


@blp.get("/")
def campaigns_page():
    """The live campaigns, the nearest end first; a sector chosen in the filter narrows them."""
    now = utcnow()
    sector = request.args.get("sector") or None
    if sector not in SECTORS:
        sector = None
    session = read_session()  # the page only reads
    found = campaigns.live_campaigns(session, now, sector)
    page = render_template("public/campaigns.html", campaigns=found, sector=sector, now=now,
                           progress=campaigns.progress_of(session, found, now))
    # Replayed from memory for visitors who are not signed in (without a filter: a query string
    # is never replayed), until a campaign, pledge or match changes or the clock changes the list.
    keep_until(campaigns.list_kept_until(session, found, now))
    return page


def render_campaign(campaign, *, preview: bool = False, status: int = 200, session=None):
    """A campaign's page: the public one, or its owner's and the fund manager's preview. `session`
    is the one `campaign` was read with (the request's by default)."""
    now = utcnow()
    session = session or db_session()
    view = campaigns.campaign_view(session, campaign, now)
    return render_template(
        "public/campaign.html", view=view, campaign=campaign, preview=preview, now=now,
        news=news.news_of(session, campaign.id), accepting=campaigns.accepts_pledges(campaign, now),
    ), status


@blp.get("/campaigns/<int:campaign_id>")
def campaign_page(campaign_id):
    """A campaign's public page. The same for every visitor who is not signed in, in each language:
    replayed from memory until a row it shows changes or the clock changes it
    (shared.web.public_reads, named in services/crowdfunding/app.py)."""
    session = read_session()  # the page only reads
    now = utcnow()
    campaign = campaigns.get_public_campaign(session, campaign_id, now)
    page = render_campaign(campaign, session=session)
    keep_until(campaigns.page_kept_until(session, campaign, now))
    return page


@blp.get("/covers/<name>")
def cover(name):
    try:
        handle, media_type = covers.open_cover(config.covers_dir(), name)
    except FileNotFoundError:
        raise Refusal.not_found("There is no such image.") from None
    response = send_file(handle, mimetype=media_type, max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # named by content
    return response
