"""Deliveries, for admins: status per event and per recipient, failures, sending again."""
from __future__ import annotations

from flask.views import MethodView

from services.notifications import deliveries
from services.notifications.schemas import DeliveryQuerySchema, DeliverySchema
from shared.accounts.auth import require_roles
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint(
    "deliveries", __name__, url_prefix="/api/deliveries", description="The delivery log (admins)"
)


@blp.route("")
class Deliveries(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("admin")
    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, DeliverySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Deliveries, newest first; filter by status (e.g. failed), event id or recipient."""
        rows, total = deliveries.list_deliveries(
            db_session(),
            **query,
            offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/<int:delivery_id>")
class DeliveryById(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("admin")
    @blp.response(200, DeliverySchema)
    def get(self, delivery_id):
        """One delivery, with its attempts and last error."""
        return deliveries.get_delivery(db_session(), delivery_id)


@blp.route("/<int:delivery_id>/resend")
class Resend(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("admin")
    @blp.response(202, DeliverySchema)
    def post(self, delivery_id):
        """Send a failed delivery again: it goes back in the queue with fresh attempts."""
        with unit_of_work() as session:
            return deliveries.resend(session, delivery_id)
