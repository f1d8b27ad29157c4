"""Pages anyone can read: the platform's home page, the open calls, and a call's page with its
rules and dates."""
from __future__ import annotations

from flask import Blueprint, render_template

from services.grants import calls
from shared.core.organisations import ORGANISATION_KIND_LABELS, SECTOR_LABELS
from shared.core.clock import format_paris, utcnow
from shared.web.i18n import current_language, translate
from shared.core.money import LOCALES, format_money
from shared.web.public_reads import keep_until
from shared.web.service_app import read_session

blp = Blueprint("public_pages", __name__)

STATUS_NAMES = {
    "draft": "Draft", "open": "Open", "closed": "Closed", "in_review": "In review", "decided": "Decided",
    "submitted": "Submitted", "withdrawn": "Withdrawn",
}


def page_helpers() -> dict:
    """What the grants pages show the same way: Paris times, euros, sector and kind names."""
    language = current_language()

    def label(labels: dict, code: str) -> str:
        return labels.get(code, {}).get(language, code)

    return {
        # British English: day before month and a 24-hour clock, as people here read dates.
        "paris": lambda moment: format_paris(moment, LOCALES[language]) if moment else "",
        "euros": lambda cents: format_money(cents, language) if cents is not None else "",
        "sector_label": lambda code: label(SECTOR_LABELS, code),
        "kind_label": lambda code: label(ORGANISATION_KIND_LABELS, code),
        "text_in": lambda item, name: (item.get(f"{name}_en") if language == "en" else None) or item.get(f"{name}_fr"),
        "status_name": lambda code: translate(STATUS_NAMES.get(code, code)),
        "language": language,
    }


@blp.context_processor
def _helpers():
    return page_helpers()


# These three pages are the same for every visitor who is not signed in, in each language: replayed
# from memory until a call or a fund changes, or until the next opening or closing time of
# a call they show (shared.web.public_reads, named in services/grants/app.py).


@blp.get("/home")
def home():
    """The platform's one home page (the proxy serves it at "/"): both halves, the open calls
    and the crowdfunding campaigns."""
    now = utcnow()
    found = calls.open_calls(read_session(), now)
    keep_until(calls.next_opening_or_closing(found, now))
    return render_template("public/home.html", calls=found, now=now,
                           accepts=lambda call: calls.accepts_applications(call, now))


@blp.get("/")
def open_calls():
    now = utcnow()
    found = calls.open_calls(read_session(), now)
    keep_until(calls.next_opening_or_closing(found, now))
    return render_template("public/open_calls.html", calls=found, now=now,
                           accepts=lambda call: calls.accepts_applications(call, now))


@blp.get("/calls/<int:call_id>")
def call_page(call_id):
    call = calls.get_public_call(read_session(), call_id)
    now = utcnow()
    page = render_template(
        "public/call.html", call=call, accepting=calls.accepts_applications(call, now),
        status=calls.effective_status(call, now), not_yet_open=now < call.opens_at,
        sectors=call.sectors or [], kinds=call.organisation_kinds or [],
    )
    keep_until(calls.next_opening_or_closing([call], now))
    return page
