"""The campaign owner's organisation."""
from __future__ import annotations

from flask.views import MethodView

from services.crowdfunding import owners
from services.crowdfunding.schemas.owners import OwnerInputSchema, OwnerSchema
from shared.accounts.auth import current_principal, require_roles
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("owners", __name__, url_prefix="/api", description="Campaign owners' organisations")

OWNER = "campaign_owner"


@blp.route("/owner/organisation")
class Organisation(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.response(200, OwnerSchema)
    def get(self):
        """The organisation the signed-in owner runs campaigns for (404 before it is given)."""
        return owners.get_owner(db_session(), current_principal().account_id)

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(OWNER)
    @blp.arguments(OwnerInputSchema)
    @blp.response(200, OwnerSchema)
    def put(self, data):
        """Give or replace the organisation: SIREN/SIRET, RNA, kind, postal code and sector checked."""
        with unit_of_work() as session:
            return owners.save_owner(session, current_principal().account_id, data)
