"""The applicant's profile: the organisation they apply for."""
from __future__ import annotations

from flask.views import MethodView

from services.grants import profiles
from services.grants.schemas.profiles import ProfileInputSchema, ProfileSchema
from shared.accounts.auth import current_principal, require_roles
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("profile", __name__, url_prefix="/api", description="The applicant's organisation")


@blp.route("/profile")
class Profile(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("applicant")
    @blp.response(200, ProfileSchema)
    def get(self):
        """Your organisation (404 until you have described it)."""
        return profiles.get_profile(db_session(), current_principal().account_id)

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("applicant")
    @blp.arguments(ProfileInputSchema)
    @blp.response(200, ProfileSchema)
    def put(self, data):
        """Describe your organisation, or replace its description (every field at once).

        SIREN/SIRET are checked (Luhn, with La Poste's exception) and stored compact.
        """
        with unit_of_work() as session:
            return profiles.save_profile(session, current_principal().account_id, data)
