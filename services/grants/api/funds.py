"""Funds (fund manager only)."""
from __future__ import annotations

from flask.views import MethodView

from services.grants import calls
from services.grants.schemas.funds import FundInputSchema, FundSchema
from shared.accounts.auth import require_roles
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("funds", __name__, url_prefix="/api", description="Funds: yearly envelopes for calls")


@blp.route("/funds")
class Funds(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("fund_manager")
    @blp.response(200, FundSchema(many=True))
    def get(self):
        """Every fund, the latest year first."""
        return calls.list_funds(db_session())

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("fund_manager")
    @blp.arguments(FundInputSchema)
    @blp.response(201, FundSchema)
    def post(self, data):
        """Create a fund for a year."""
        with unit_of_work() as session:
            return calls.create_fund(session, **data)


@blp.route("/funds/<int:fund_id>")
class FundById(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("fund_manager")
    @blp.response(200, FundSchema)
    def get(self, fund_id):
        """One fund."""
        return calls.get_fund(db_session(), fund_id)
