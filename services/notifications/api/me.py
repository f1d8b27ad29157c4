"""The signed-in person's own messages and choices."""
from __future__ import annotations

from flask.views import MethodView

from services.notifications import deliveries, preferences
from services.notifications.schemas import MessageSchema, PreferencesSchema
from shared.accounts.auth import current_principal, require_roles
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("me", __name__, url_prefix="/api/me", description="My messages and preferences")


def _my_address() -> str:
    return preferences.confirmed_address(db_session(), current_principal().account_id)


@blp.route("/messages")
class MyMessages(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles()
    @blp.response(200, MessageSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Messages sent to my confirmed address, newest first."""
        rows, total = deliveries.history_of(
            db_session(),
            _my_address(),
            offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/preferences")
class MyPreferences(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles()
    @blp.response(200, PreferencesSchema)
    def get(self):
        """Which kinds of optional messages I receive (receipts and account messages always arrive)."""
        return preferences.preferences_of(db_session(), _my_address())

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles()
    @blp.arguments(PreferencesSchema)
    @blp.response(200, PreferencesSchema)
    def patch(self, choices):
        """Subscribe to or leave categories of optional messages; categories not sent are unchanged."""
        with unit_of_work() as session:
            return preferences.update_preferences(session, _my_address(), choices)
