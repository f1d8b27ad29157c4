"""The applicant's applications: drafts, submission, withdrawal."""
from __future__ import annotations

from flask.views import MethodView

from services.grants import applications
from services.grants.schemas.applications import (
    ApplicationDraftSchema,
    ApplicationSchema,
    ApplicationStartSchema,
    ApplicationListItemSchema,
)
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("applications", __name__, url_prefix="/api", description="Applications to calls for projects")

APPLICANT = "applicant"


def _me() -> int:
    return current_principal().account_id


@blp.route("/applications")
class Applications(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(APPLICANT)
    @blp.response(200, ApplicationListItemSchema(many=True))
    def get(self):
        """Your applications, the latest first, with their status."""
        return applications.list_applications(db_session(), _me())

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(APPLICANT)
    @blp.arguments(ApplicationStartSchema)
    @blp.response(201, ApplicationSchema)
    def post(self, data):
        """Start a draft to an open call, with any first answers.

        One application per call (409 for a second); your organisation's profile comes first
        (409 without it); 409 once the call has closed.
        """
        call_id = data.pop("call_id")
        with unit_of_work() as session:
            return applications.start_application(session, _me(), call_id, utcnow(), data)


@blp.route("/applications/<int:application_id>")
class ApplicationById(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(APPLICANT)
    @blp.response(200, ApplicationSchema)
    def get(self, application_id):
        """One of your applications."""
        return applications.get_own_application(db_session(), _me(), application_id)

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(APPLICANT)
    @blp.arguments(ApplicationDraftSchema)
    @blp.response(200, ApplicationSchema)
    def patch(self, changes, application_id):
        """Save answers of a draft: any of them, incomplete is fine; `funding_sources` replaces the list.

        409 once submitted or withdrawn, or after the call's closing time.
        """
        with unit_of_work() as session:
            return applications.update_draft(session, _me(), application_id, changes, utcnow())


@blp.route("/applications/<int:application_id>/submit")
class Submit(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(APPLICANT)
    @blp.response(200, ApplicationSchema)
    def post(self, application_id):
        """Submit: 422 with every missing field and every failing rule by name (`errors.json.rules`);
        on success the application is frozen, gets its receipt number and an acknowledgement email."""
        with unit_of_work() as session:
            return applications.submit_application(session, _me(), application_id, utcnow())


@blp.route("/applications/<int:application_id>/withdraw")
class Withdraw(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(APPLICANT)
    @blp.response(200, ApplicationSchema)
    def post(self, application_id):
        """Withdraw your application, at any time before the call's decision."""
        with unit_of_work() as session:
            return applications.withdraw_application(session, _me(), application_id, utcnow())
