"""The signed-in person's messages, as a page: what the platform sent to their confirmed address,
newest first (the same as `/api/me/messages`)."""
from __future__ import annotations

from flask import Blueprint, render_template

from services.notifications import deliveries, preferences
from shared.accounts.sessions import page_account, page_requires
from shared.core.clock import format_paris
from shared.core.money import LOCALES
from shared.web.i18n import current_language
from shared.web.service_app import db_session

blp = Blueprint("my_messages", __name__)

KIND_NAMES = {
    "account_confirmation": "Confirm your email address",
    "password_reset": "Choose a new password",
    "sign_up_attempted": "A sign-up with your address",
    "invitation": "Your invitation",
    "application_received": "Application received",
    "draft_reminder": "Reminder before a call closes",
    "campaign_news": "News of a campaign",
    "event_recorded": "Event recorded",
}
STATUS_NAMES = {"sent": "Sent", "failed": "Not delivered", "skipped": "Not sent (unsubscribed)"}


@blp.get("/mes-messages")
@page_requires()
def messages():
    address = preferences.confirmed_address(db_session(), page_account().account_id)
    rows, total = deliveries.history_of(db_session(), address, limit=100)
    locale = LOCALES.get(current_language(), "fr_FR")
    return render_template(
        "pages/my_messages.html", rows=rows, total=total, address=address, kind_names=KIND_NAMES,
        status_names=STATUS_NAMES, when=lambda moment: format_paris(moment, locale) if moment else "",
    )
