"""Funds (fund manager only)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from services.grants import calls
from services.grants.schemas.funds import FundInputSchema, FundSchema
from shared.accounts.auth import require_roles
from shared.web.service_app import db_session

blp = Blueprint("funds", __name__, url_prefix="/api", description="Funds: yearly envelopes for calls")


def refuse(refusal: calls.Refusal):
    abort(refusal.status, message=refusal.message, messages={"json": refusal.errors} if refusal.errors else {})


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
        try:
            return calls.create_fund(db_session(), **data)
        except calls.Refusal as refusal:
            refuse(refusal)


@blp.route("/funds/<int:fund_id>")
class FundById(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("fund_manager")
    @blp.response(200, FundSchema)
    def get(self, fund_id):
        """One fund."""
        try:
            return calls.get_fund(db_session(), fund_id)
        except calls.Refusal as refusal:
            refuse(refusal)
