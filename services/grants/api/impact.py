"""Impact: the supported firms and their manual statuses (fund managers), the indicators report
and its CSV tables (fund managers and the referent), advice requests (anyone signed in) and the
referent's records (the referent)."""
from __future__ import annotations

import csv
import io

from flask import Response
from flask.views import MethodView

from services.grants import advice, impact, indicators
from services.grants.schemas.impact import (
    AdviceRequestInputSchema,
    AdviceRequestSchema,
    AdviceSessionInputSchema,
    AdviceSessionSchema,
    FirmDetailSchema,
    FirmSchema,
    FundingInputSchema,
    FundingSchema,
    ManualStatusInputSchema,
    ManualStatusSchema,
    OwnAdviceRequestSchema,
    ReportQuerySchema,
    IndicatorsReportSchema,
    RequestQuerySchema,
)
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("impact", __name__, url_prefix="/api",
                description="Supported firms, the registry's checks, the referent's records and the funders' report")

MANAGER = "fund_manager"
REFERENT = "referent"
AUTH = [{"bearerAuth": []}]


def _me() -> int:
    return current_principal().account_id


def csv_response(header: list[str], rows: list[list], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"'})


# --- The report ----------------------------------------------------------------------------------


@blp.route("/manage/impact/report")
class Report(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER, REFERENT)
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, IndicatorsReportSchema)
    def get(self, query):
        """The indicators report for the years `from`..`to` (by default, since the first support):
        outputs against objectives, alternative funding, survival with its intervals beside the
        baselines and the comparison group."""
        return indicators.as_dict(indicators.report(db_session(), query["year_from"], query["year_to"]))


@blp.route("/manage/impact/report/<string:table>.csv")
class ReportTable(MethodView):
    @blp.doc(security=AUTH, responses={"200": {"description": "the table as CSV",
                                               "content": {"text/csv": {"schema": {"type": "string"}}}}})
    @require_roles(MANAGER, REFERENT)
    @blp.arguments(ReportQuerySchema, location="query")
    def get(self, query, table):
        """One table of the report as CSV: outputs, crowdfunding, matchfunding, declared_funding,
        referent_sessions, referent_funding, survival or baselines."""
        found = indicators.report(db_session(), query["year_from"], query["year_to"])
        header, rows = indicators.csv_rows(found, table)
        return csv_response(header, rows, f"impact-{table}-{found.year_from}-{found.year_to}.csv")


# --- Supported firms -------------------------------------------------------------------------------


@blp.route("/manage/impact/firms")
class Firms(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, FirmSchema(many=True))
    def get(self):
        """Every firm followed: the supported firms and the comparison group, with their status."""
        return impact.list_firms(db_session())


@blp.route("/manage/impact/firms/<int:firm_id>")
class Firm(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, FirmDetailSchema)
    def get(self, firm_id):
        """A firm with its supports, every registry check with its answer, and its manual statuses."""
        session = db_session()
        firm = impact.get_firm(session, firm_id)
        firm.checks = impact.checks_of(session, firm_id)
        firm.manual_statuses = impact.manual_statuses_of(session, firm_id)
        return firm


@blp.route("/manage/impact/firms/<int:firm_id>/status")
class FirmStatus(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(ManualStatusInputSchema)
    @blp.response(201, ManualStatusSchema)
    def post(self, data, firm_id):
        """Record a status by hand (active, ceased on a date, unknown) with its source, for a firm
        the registry cannot answer for."""
        with unit_of_work() as session:
            return impact.record_manual_status(session, firm_id, data, utcnow(), _me())


# --- Advice ---------------------------------------------------------------------------------------


@blp.route("/advice/requests")
class AdviceRequests(MethodView):
    @blp.doc(security=AUTH)
    @require_roles()
    @blp.arguments(AdviceRequestInputSchema)
    @blp.response(201, OwnAdviceRequestSchema)
    def post(self, data):
        """Ask the alternative funding referent for advice about your project (anyone signed in)."""
        with unit_of_work() as session:
            return advice.request_advice(session, _me(), data, utcnow())

    @blp.doc(security=AUTH)
    @require_roles()
    @blp.response(200, OwnAdviceRequestSchema(many=True))
    def get(self):
        """Your own advice requests."""
        return advice.own_requests(db_session(), _me())


@blp.route("/referent/advice/requests")
class ReferentQueue(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(REFERENT)
    @blp.arguments(RequestQuerySchema, location="query")
    @blp.response(200, AdviceRequestSchema(many=True))
    def get(self, query):
        """The referent's queue: the advice requests, newest first (`status` open or answered)."""
        return advice.requests_of(db_session(), query["status"])


@blp.route("/referent/advice/sessions")
class AdviceSessions(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(REFERENT)
    @blp.arguments(AdviceSessionInputSchema)
    @blp.response(201, AdviceSessionSchema)
    def post(self, data):
        """Record an advice session (answering a request, with `request_id`, closes it)."""
        with unit_of_work() as session:
            return advice.record_session(session, _me(), data, utcnow())

    @blp.doc(security=AUTH)
    @require_roles(REFERENT)
    @blp.response(200, AdviceSessionSchema(many=True))
    def get(self):
        return advice.sessions_of(db_session())


@blp.route("/referent/alternative-funding")
class AlternativeFunding(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(REFERENT)
    @blp.arguments(FundingInputSchema)
    @blp.response(201, FundingSchema)
    def post(self, data):
        """Record alternative funding an organisation obtained: kind, amount, date, source."""
        with unit_of_work() as session:
            return advice.record_funding(session, _me(), data, utcnow())

    @blp.doc(security=AUTH)
    @require_roles(REFERENT)
    @blp.response(200, FundingSchema(many=True))
    def get(self):
        return advice.funding_of(db_session())
