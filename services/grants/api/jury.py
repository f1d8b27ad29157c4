"""The jury: the fund manager's panel, assignments, declarations, flags, progress, ranking and
deliberation (`/api/manage/...`), and the jurors' own assignments, declarations and reviews
(`/api/jury/...`)."""
from __future__ import annotations

from flask import Response, send_file
from flask.views import MethodView

from services.grants import config, jury
from services.grants.schemas.jury import (
    ApplicationSeatsSchema,
    AssignmentInputSchema,
    AssignmentRunSchema,
    CsvLanguageSchema,
    DeclarationInputSchema,
    DeclarationSchema,
    DeclarationsAndFlagsSchema,
    FlagDecisionSchema,
    FlagSchema,
    JurorAssignmentSchema,
    JurorCallSchema,
    JurorSchema,
    JurySchema,
    JurySettingsInputSchema,
    LogEntrySchema,
    PanelMemberInputSchema,
    PanelReviewSchema,
    ProgressSchema,
    RankingSchema,
    ReviewInputSchema,
    ReviewSchema,
    SeatSchema,
    SubmittedApplicationSchema,
    ranking_answer,
)
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.core.refusal import Refusal
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("jury", __name__, url_prefix="/api", description="The jury: panels, conflicts of interest, reviews, ranking")

MANAGER = "fund_manager"
JUROR = "juror"
AUTH = [{"bearerAuth": []}]


def _me() -> int:
    return current_principal().account_id


def csv_download(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"'})


# --- The fund manager ---------------------------------------------------------------------------------


@blp.route("/manage/jurors")
class Jurors(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, JurorSchema(many=True))
    def get(self):
        """Every juror who accepted an invitation (invite them with `POST /comptes/api/invitations`)."""
        return jury.list_jurors(db_session())


@blp.route("/manage/calls/<int:call_id>/jury")
class CallJury(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, JurySchema)
    def get(self, call_id):
        """The call's jury settings (3 reviews per application, a reminder 3 days before the
        deadline and a disagreement threshold of 15 points until changed)."""
        return jury.jury_settings(db_session(), call_id)

    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(JurySettingsInputSchema)
    @blp.response(200, JurySchema)
    def patch(self, changes, call_id):
        """Change the settings; a new deadline (Paris time without an offset) or lead time moves
        the jurors' reminders."""
        with unit_of_work() as session:
            return jury.update_jury(session, call_id, changes, utcnow(), _me())


@blp.route("/manage/calls/<int:call_id>/jury/members")
class PanelMembers(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, JurorSchema(many=True))
    def get(self, call_id):
        """The call's panel."""
        return jury.panel(db_session(), call_id)

    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(PanelMemberInputSchema)
    @blp.response(201, JurorSchema)
    def post(self, data, call_id):
        """Add an invited juror to the panel; obvious conflicts with the call's applications are flagged."""
        with unit_of_work() as session:
            return jury.add_panel_member(session, call_id, data["juror_id"], utcnow(), _me())


@blp.route("/manage/calls/<int:call_id>/jury/members/<int:juror_id>")
class PanelMember(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(204)
    def delete(self, call_id, juror_id):
        """Take a juror off the panel with their assignments (409 once they submitted a review)."""
        with unit_of_work() as session:
            jury.remove_panel_member(session, call_id, juror_id, utcnow(), _me())


@blp.route("/manage/calls/<int:call_id>/assignments")
class Assignments(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, ApplicationSeatsSchema(many=True))
    def get(self, call_id):
        """Every submitted application with its jurors and where each one stands."""
        return jury.call_assignments(db_session(), call_id)

    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(AssignmentInputSchema)
    @blp.response(201, SeatSchema)
    def post(self, data, call_id):
        """Assign a juror by hand (409 when recused, flagged or already assigned)."""
        with unit_of_work() as session:
            assignment = jury.assign_by_hand(session, call_id, data["application_id"], data["juror_id"], utcnow(), _me())
            return jury.seat(session, assignment.id)


@blp.route("/manage/calls/<int:call_id>/assignments/automatic")
class AutomaticAssignment(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, AssignmentRunSchema)
    def post(self, call_id):
        """Give every submitted application its missing reviews, balancing the jurors' loads and
        respecting recusals and flags; once the call has closed."""
        with unit_of_work() as session:
            return jury.assign_automatically(session, call_id, utcnow(), _me())


@blp.route("/manage/assignments/<int:assignment_id>")
class AssignmentById(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(204)
    def delete(self, assignment_id):
        """Take an assignment back (409 once its review is submitted)."""
        with unit_of_work() as session:
            jury.unassign(session, assignment_id, utcnow(), _me())


@blp.route("/manage/calls/<int:call_id>/declarations")
class Declarations(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, DeclarationsAndFlagsSchema)
    def get(self, call_id):
        """Every declaration with its reason and time, and every flag of an obvious conflict."""
        session = db_session()
        return {"declarations": jury.declarations(session, call_id), "flags": jury.flags(session, call_id)}


@blp.route("/manage/declarations/<int:declaration_id>/reopen")
class ReopenDeclaration(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(204)
    def post(self, declaration_id):
        """Let the juror declare again (logged)."""
        with unit_of_work() as session:
            jury.reopen_declaration(session, declaration_id, utcnow(), _me())


@blp.route("/manage/flags/<int:flag_id>")
class FlagById(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(FlagDecisionSchema)
    @blp.response(200, FlagSchema)
    def post(self, data, flag_id):
        """Confirm a flag (a recusal: the application gets another juror if one is free) or clear it (logged)."""
        with unit_of_work() as session:
            flag = jury.decide_flag(session, flag_id, data["decision"], utcnow(), _me())
            [row] = jury.flags(session, flag.call_id, flag.id)
            return row


@blp.route("/manage/calls/<int:call_id>/jury/progress")
class Progress(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, ProgressSchema(many=True))
    def get(self, call_id):
        """Each juror's progress: assigned, declared, recused, drafts, submitted."""
        return jury.progress(db_session(), call_id)


@blp.route("/manage/calls/<int:call_id>/jury/log")
class JuryLog(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, LogEntrySchema(many=True))
    def get(self, call_id):
        """What was reopened, confirmed, cleared or changed by hand, the latest first."""
        return jury.log_of(db_session(), call_id)


@blp.route("/manage/reviews/<int:review_id>/reopen")
class ReopenReview(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, ReviewSchema)
    def post(self, review_id):
        """Give a submitted review back to its juror as a draft (logged)."""
        with unit_of_work() as session:
            return jury.reopen_review(session, review_id, utcnow(), _me())


@blp.route("/manage/calls/<int:call_id>/deliberation")
class Deliberation(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, JurySchema)
    def post(self, call_id):
        """Open the deliberation: jurors see each other's reviews from now on."""
        with unit_of_work() as session:
            return jury.open_deliberation(session, call_id, utcnow(), _me())


@blp.route("/manage/calls/<int:call_id>/ranking")
class Ranking(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, RankingSchema)
    def get(self, call_id):
        """The ranked table: raw and corrected means, reviews done of those assigned, spread and
        disagreement, recommendations, requested amounts and their running total against the
        fund's envelope; `tie_rule` says how ties are broken."""
        return ranking_answer(jury.call_ranking(db_session(), call_id))


@blp.route("/manage/calls/<int:call_id>/ranking.csv")
class RankingCsv(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(CsvLanguageSchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv",
                  description="UTF-8 with a byte-order mark, cells separated by semicolons (French Excel)")
    def get(self, query, call_id):
        """The ranked table as a spreadsheet."""
        return csv_download(jury.ranking_csv(db_session(), call_id, query["lang"]), f"call-{call_id}-ranking.csv")


@blp.route("/manage/calls/<int:call_id>/reviews.csv")
class ReviewsCsv(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(CsvLanguageSchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv",
                  description="UTF-8 with a byte-order mark, cells separated by semicolons (French Excel)")
    def get(self, query, call_id):
        """Every score and comment, one row per submitted review."""
        return csv_download(jury.reviews_csv(db_session(), call_id, query["lang"]), f"call-{call_id}-reviews.csv")


# --- The juror ---------------------------------------------------------------------------------------------


@blp.route("/jury/calls")
class MyCalls(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.response(200, JurorCallSchema(many=True))
    def get(self):
        """The calls whose panel you are on, with your progress (scored x of y)."""
        return jury.juror_calls(db_session(), _me())


@blp.route("/jury/calls/<int:call_id>/assignments")
class MyAssignments(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.response(200, JurorAssignmentSchema(many=True))
    def get(self, call_id):
        """Your assignments in a call (once its review has started)."""
        return jury.juror_assignments(db_session(), _me(), call_id)


@blp.route("/jury/applications/<int:application_id>")
class MyAssignment(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.response(200, JurorAssignmentSchema)
    def get(self, application_id):
        """One of your assignments: the project's title and the organisation's name and city,
        which is all you see before declaring (404 for an application not assigned to you)."""
        return jury.juror_assignment(db_session(), _me(), application_id)


@blp.route("/jury/applications/<int:application_id>/declaration")
class MyDeclaration(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.arguments(DeclarationInputSchema)
    @blp.response(201, DeclarationSchema)
    def post(self, data, application_id):
        """Declare no conflict, or a conflict with its reason (you are then recused). Final: 409
        for a second one; the fund manager can reopen it."""
        with unit_of_work() as session:
            return jury.declare(session, _me(), application_id, data["conflict"], data["reason"], utcnow())


@blp.route("/jury/applications/<int:application_id>/submitted")
class MyApplication(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.response(200, SubmittedApplicationSchema)
    def get(self, application_id):
        """The application as submitted; 404 until you declared no conflict, and when recused."""
        return jury.cleared_application(db_session(), _me(), application_id)


@blp.route("/jury/applications/<int:application_id>/documents/<string:code>")
class MyDocument(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.response(200, {"type": "string", "format": "binary"}, description="The PDF", content_type="application/pdf")
    def get(self, application_id, code):
        """Download a document of the application as submitted (404 when recused)."""
        document, handle = jury.open_juror_document(db_session(), _me(), application_id, code, config.documents_dir())
        return send_file(handle, mimetype="application/pdf", as_attachment=True, download_name=document["filename"])


@blp.route("/jury/applications/<int:application_id>/review")
class MyReview(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.response(200, ReviewSchema)
    def get(self, application_id):
        """Your review (404 before a first save)."""
        review = jury.juror_review(db_session(), _me(), application_id)
        if review is None:
            raise Refusal.not_found("You have not started this review.")
        return review

    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.arguments(ReviewInputSchema)
    @blp.response(200, ReviewSchema)
    def put(self, data, application_id):
        """Save your review as a draft: any answers; each criterion a level of its grid and a comment."""
        with unit_of_work() as session:
            return jury.save_review(session, _me(), application_id, data, utcnow())


@blp.route("/jury/applications/<int:application_id>/review/submit")
class SubmitMyReview(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.arguments(ReviewInputSchema)
    @blp.response(200, ReviewSchema)
    def post(self, data, application_id):
        """Submit your review, with any last answers: every criterion needs a level and a comment,
        and the recommendation and overall comment are required (422 with each missing one).
        Final afterwards; 409 after the review deadline, which the message gives in Paris time."""
        with unit_of_work() as session:
            return jury.submit_review(session, _me(), application_id, utcnow(), data)


@blp.route("/jury/applications/<int:application_id>/reviews")
class PanelReviews(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(JUROR)
    @blp.response(200, PanelReviewSchema(many=True))
    def get(self, application_id):
        """The panel's submitted reviews of the application, with their jurors: only once the
        fund manager opened the deliberation (409 before)."""
        return jury.panel_reviews(db_session(), _me(), application_id)
