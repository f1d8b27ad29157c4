"""The fund manager's reading side: a call's applications, one application, a CSV export."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView

from services.grants import review
from services.grants.schemas.review import (
    ApplicationDetailSchema,
    ApplicationFilterSchema,
    ApplicationSummarySchema,
    CsvQuerySchema,
)
from shared.accounts.auth import require_roles
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session

blp = Blueprint("review", __name__, url_prefix="/api/manage", description="Applications, for the fund manager")


@blp.route("/calls/<int:call_id>/applications")
class CallApplications(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("fund_manager")
    @blp.arguments(ApplicationFilterSchema, location="query")
    @blp.response(200, ApplicationSummarySchema(many=True))
    def get(self, filters, call_id):
        """A call's applications, filtered by status, sector (the organisation's) and eligibility."""
        return review.applications_of_call(db_session(), call_id, **filters)


@blp.route("/calls/<int:call_id>/applications.csv")
class CallApplicationsCsv(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("fund_manager")
    @blp.arguments(CsvQuerySchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv",
                  description="UTF-8 with a byte-order mark, cells separated by semicolons (French Excel)")
    def get(self, query, call_id):
        """A call's applications as a spreadsheet (same filters), one row per application."""
        language = query.pop("lang")
        body = review.applications_csv(db_session(), call_id, language, **query)
        return csv_response(body, call_id)


@blp.route("/applications/<int:application_id>")
class ApplicationById(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("fund_manager")
    @blp.response(200, ApplicationDetailSchema)
    def get(self, application_id):
        """One application in full; a submitted one with the snapshot frozen at submission."""
        return review.application_detail(db_session(), application_id)


def csv_response(body: bytes, call_id: int) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="call-{call_id}-applications.csv"',
        },
    )
