"""Calls for projects: open calls for anyone; creating, editing, opening and closing for the
fund manager."""
from __future__ import annotations

from flask.views import MethodView

from services.grants import awards, calls
from services.grants.schemas.calls import (
    CallChangesSchema,
    CallFilterSchema,
    CallInputSchema,
    CallSchema,
    CallStatusSchema,
)
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.public_reads import keep_until
from shared.web.service_app import db_session, read_session, unit_of_work

blp = Blueprint("calls", __name__, url_prefix="/api", description="Calls for projects")

MANAGER = "fund_manager"


@blp.route("/calls")
class Calls(MethodView):
    @blp.response(200, CallSchema(many=True))
    def get(self):
        """Open calls (no sign-in needed), the nearest closing time first."""
        now = utcnow()
        found = calls.open_calls(read_session(), now)
        keep_until(calls.next_opening_or_closing(found, now))
        return found

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(MANAGER)
    @blp.arguments(CallInputSchema)
    @blp.response(201, CallSchema)
    def post(self, data):
        """Create a call, in draft. Times: ISO 8601 with offset, or Paris time without one."""
        with unit_of_work() as session:
            return calls.create_call(session, data)


@blp.route("/calls/<int:call_id>")
class CallById(MethodView):
    @blp.response(200, CallSchema)
    def get(self, call_id):
        """A call's page data (no sign-in needed); drafts only for the fund manager."""
        principal = current_principal()
        if principal is not None and principal.has_any(MANAGER):
            return calls.get_call(db_session(), call_id)
        return calls.get_public_call(db_session(), call_id)

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(MANAGER)
    @blp.arguments(CallChangesSchema(partial=True))
    @blp.response(200, CallSchema)
    def patch(self, changes, call_id):
        """Change a call. Once open, only changes that cannot hurt applicants are accepted (else 409)."""
        with unit_of_work() as session:
            return calls.update_call(session, call_id, changes)


@blp.route("/calls/<int:call_id>/status")
class CallStatus(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(MANAGER)
    @blp.arguments(CallStatusSchema)
    @blp.response(200, CallSchema)
    def post(self, data, call_id):
        """Move a call on: draft → open → closed → in_review → decided (409 when it cannot).

        To `decided`, this is the decision (`POST /api/manage/calls/<id>/decision`) with its
        defaults: refused while reviews are missing, the jury's comments kept."""
        with unit_of_work() as session:
            return awards.move_call(session, call_id, data["status"], utcnow(), current_principal().account_id)


@blp.route("/manage/calls")
class ManagedCalls(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles(MANAGER)
    @blp.arguments(CallFilterSchema, location="query")
    @blp.response(200, CallSchema(many=True))
    def get(self, filters):
        """Every call, drafts included, optionally of one status."""
        return calls.list_calls(db_session(), filters["status"])
