"""One-click unsubscribe (RFC 8058) and the page its link opens.

Mail clients POST "List-Unsubscribe=One-Click" to the link with no cookie and no form token,
so this blueprint is not a CSRF-protected page blueprint: the signed token in the address is
what authorises the change, and nobody can make one for someone else's address. It is a
flask-smorest blueprint only so that the link is described in the OpenAPI document.
"""
from __future__ import annotations

from flask import current_app, render_template
from flask.views import MethodView
from flask_smorest import Blueprint

from services.notifications import preferences
from shared.core.refusal import Refusal
from shared.web.service_app import unit_of_work

blp = Blueprint(
    "unsubscribe", __name__, url_prefix="/unsubscribe",
    description="One-click unsubscribe links (List-Unsubscribe); the answers are pages.",
)

# What each category is called on the page (translated in the template).
CATEGORY_NAMES = {
    "reminders": "reminders about your applications",
    "campaign_news": "news from crowdfunding campaigns",
}

_PAGE = {"text/html": {"schema": {"type": "string"}}}
_NOT_VALID = {"description": "The link is not valid (altered or made up): nothing changes.", "content": _PAGE}


def _secret() -> str:
    return current_app.config["SETTINGS"].secret_key


def _page(email: str, category: str, done: bool):
    return render_template(
        "pages/unsubscribe.html", email=email, category_name=CATEGORY_NAMES[category], done=done
    )


def _not_valid(refusal: Refusal):
    # Not the JSON answer of the API: whoever follows the link is a person (or their mail client).
    return render_template("pages/unsubscribe_invalid.html"), refusal.status


@blp.route("/<token>")
class Unsubscribe(MethodView):
    @blp.doc(responses={"200": {"description": "A page asking to confirm.", "content": _PAGE}, "404": _NOT_VALID})
    def get(self, token):
        """The page the link opens: it asks to confirm (French, or English with ?lang=en)."""
        try:
            email, category = preferences.read_unsubscribe_token(_secret(), token)
        except Refusal as refusal:
            return _not_valid(refusal)
        return _page(email, category, done=False)

    @blp.doc(
        requestBody={"required": False, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {"List-Unsubscribe": {"type": "string", "example": "One-Click"}}}}}},
        responses={"200": {"description": "Unsubscribed from the link's category; transactional "
                           "messages are still sent.", "content": _PAGE}, "404": _NOT_VALID},
    )
    def post(self, token):
        """Unsubscribe in one click (RFC 8058), or from the confirmation page's button."""
        try:
            with unit_of_work() as session:
                email, category = preferences.unsubscribe_with_token(session, _secret(), token)
        except Refusal as refusal:
            return _not_valid(refusal)
        return _page(email, category, done=True)
