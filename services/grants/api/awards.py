"""Awards: the fund manager grants, changes, cancels, decides and pays (`/api/manage/...`); the
applicant reads the outcome, accepts or declines, and sends reports (`/api/awards/...`).

A request sent again has one effect: a grant with the same terms answers the award it made
(200 instead of 201), a payment with the same tranche and bank reference answers the payment it
recorded (200), a decision of a decided call answers that decision (`replayed`)."""
from __future__ import annotations

from flask import Response, send_file
from flask.views import MethodView

from services.grants import awards, config
from services.grants.schemas.awards import (
    AcceptInputSchema,
    ApplicantAwardSchema,
    ApplicantOutcomeSchema,
    AwardChangeSchema,
    AwardSchema,
    BoardSchema,
    DecisionInputSchema,
    DecisionSchema,
    DeclineInputSchema,
    FundFiguresSchema,
    GrantInputSchema,
    LanguageQuerySchema,
    PaymentFileQuerySchema,
    PaymentInputSchema,
    PaymentSchema,
    PlanInputSchema,
    PlanSchema,
    ReasonSchema,
    RepaymentInputSchema,
    RepaymentReceivedSchema,
    RepaymentSchema,
    ReportSchema,
    ReportUploadSchema,
    plan_tranches,
)
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("awards", __name__, url_prefix="/api",
                description="Awards within the envelope, the decision, agreements, tranches and payments")

MANAGER = "fund_manager"
APPLICANT = "applicant"
AUTH = [{"bearerAuth": []}]


def _me() -> int:
    return current_principal().account_id


def download(body: bytes, filename: str, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Type": f"{mimetype}; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"'})


# --- The fund manager: awards and the decision ---------------------------------------------------------------


@blp.route("/manage/calls/<int:call_id>/awards")
class CallAwards(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, BoardSchema)
    def get(self, call_id):
        """The call's ranking beside its awards, the envelope's figures (committed, remaining) and
        the reviews still missing."""
        return awards.decision_board(db_session(), call_id)


@blp.route("/manage/calls/<int:call_id>/tranche-plan")
class CallTranchePlan(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, PlanSchema)
    def get(self, call_id):
        """The call's tranche plan: by default 70 % at acceptance and 30 % on the final report."""
        return awards.call_plan(db_session(), call_id)

    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(PlanInputSchema)
    @blp.response(200, PlanSchema)
    def put(self, data, call_id):
        """Set the plan, until the call is decided: shares in basis points adding up to 10 000,
        the acceptance tranche first and the final report's last (422 naming each tranche)."""
        with unit_of_work() as session:
            return awards.set_call_plan(session, call_id, plan_tranches(data), utcnow(), _me())


@blp.route("/manage/applications/<int:application_id>/award")
class ApplicationAward(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(GrantInputSchema)
    @blp.response(201, AwardSchema)
    @blp.alt_response(200, schema=AwardSchema, description="The same grant was made already: its award")
    def post(self, data, application_id):
        """Grant an award: at most the amount requested and the call's maximum (422), within what
        the fund's envelope has left (409, with `errors.json.amount_cents` saying how much is
        left). One award per application: another grant for it is refused (409)."""
        with unit_of_work() as session:
            granted = awards.grant_award(session, application_id, data, utcnow(), _me())
            return granted.award, (201 if granted.created else 200)


@blp.route("/manage/awards/<int:award_id>")
class AwardById(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, AwardSchema)
    def get(self, award_id):
        """One award with its tranches, payments, repayments and reports."""
        return awards.get_award(db_session(), award_id)

    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(AwardChangeSchema)
    @blp.response(200, AwardSchema)
    def patch(self, changes, award_id):
        """Change the amount or the conditions, with a reason, until the applicant accepts (409
        after). An applicant who was told is told again."""
        reason = changes.pop("reason")
        with unit_of_work() as session:
            return awards.change_award(session, award_id, changes, reason, utcnow(), _me())


@blp.route("/manage/awards/<int:award_id>/cancel")
class CancelAward(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(ReasonSchema)
    @blp.response(200, AwardSchema)
    def post(self, data, award_id):
        """Cancel an award, with a reason: its amount goes back to the envelope, but for what
        was paid, which stays paid (record what is to be paid back)."""
        with unit_of_work() as session:
            return awards.cancel_award(session, award_id, data["reason"], utcnow(), _me())


@blp.route("/manage/calls/<int:call_id>/decision")
class CallDecision(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(DecisionInputSchema)
    @blp.response(200, DecisionSchema)
    def post(self, data, call_id):
        """Decide the call: each submitted application is awarded or not selected, and each
        applicant is emailed. 409 while reviews are missing, unless `with_reviews_missing` (logged).
        A decided call answers its decision again (`replayed`) and writes nothing."""
        with unit_of_work() as session:
            return awards.decide(session, call_id, utcnow(), _me(), **data)


# --- The fund manager: payments ------------------------------------------------------------------------------


@blp.route("/manage/tranches/<int:tranche_id>/payments")
class TranchePayments(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(PaymentInputSchema)
    @blp.response(201, PaymentSchema)
    @blp.alt_response(200, schema=PaymentSchema, description="This payment (tranche and bank reference) was recorded already")
    def post(self, data, tranche_id):
        """Record a payment against a due tranche: its date, amount (at most what is left on the
        tranche, 422) and bank reference, the payment's key within the tranche."""
        with unit_of_work() as session:
            recorded = awards.record_payment(session, tranche_id, data, utcnow(), _me())
            return recorded.payment, (201 if recorded.created else 200)


@blp.route("/manage/awards/<int:award_id>/repayments")
class AwardRepayments(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(RepaymentInputSchema)
    @blp.response(201, RepaymentSchema)
    def post(self, data, award_id):
        """Record an amount a cancelled award's firm is to pay back (at most what it was paid)."""
        with unit_of_work() as session:
            return awards.record_repayment(session, award_id, data, utcnow(), _me())


@blp.route("/manage/repayments/<int:repayment_id>/received")
class RepaymentReceived(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(RepaymentReceivedSchema)
    @blp.response(200, RepaymentSchema)
    def post(self, data, repayment_id):
        """The repayment came in: its date and bank reference."""
        with unit_of_work() as session:
            return awards.record_repayment_received(session, repayment_id, data, utcnow(), _me())


@blp.route("/manage/funds/<int:fund_id>/payment-file")
class PaymentFile(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(PaymentFileQuerySchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/xml",
                  description="A SEPA credit transfer file (pain.001), checked against its schema")
    def get(self, query, fund_id):
        """The SEPA credit transfer file of the fund's tranches due, from the treasury's account,
        for the bank (409 when none is due). The IBANs are whole here, and only here."""
        found = awards.payment_file(db_session(), fund_id, query["execution_date"], utcnow(), query["schema"])
        return download(found.xml, found.filename, "application/xml")


# --- The fund's figures ------------------------------------------------------------------------------------------


@blp.route("/manage/funds/<int:fund_id>/dashboard")
class FundDashboard(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.response(200, FundFiguresSchema)
    def get(self, fund_id):
        """The fund's year: envelope, committed, paid, remaining; grants against the objective;
        per call, applications received and eligible, awards and amounts."""
        return awards.fund_figures(db_session(), fund_id)


@blp.route("/manage/funds/<int:fund_id>/awards.csv")
class AwardsCsv(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(LanguageQuerySchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv",
                  description="UTF-8 with a byte-order mark, cells separated by semicolons (French Excel)")
    def get(self, query, fund_id):
        """The fund's awards, one row each (the IBAN masked)."""
        return download(awards.awards_csv(db_session(), fund_id, query["lang"]), f"fund-{fund_id}-awards.csv",
                        "text/csv")


@blp.route("/manage/funds/<int:fund_id>/payments.csv")
class PaymentsCsv(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(MANAGER)
    @blp.arguments(LanguageQuerySchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="text/csv",
                  description="UTF-8 with a byte-order mark, cells separated by semicolons (French Excel)")
    def get(self, query, fund_id):
        """The fund's payments, one row each."""
        return download(awards.payments_csv(db_session(), fund_id, query["lang"]), f"fund-{fund_id}-payments.csv",
                        "text/csv")


# --- The applicant ------------------------------------------------------------------------------------------------


@blp.route("/applications/<int:application_id>/decision")
class ApplicationDecision(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(APPLICANT)
    @blp.response(200, ApplicantOutcomeSchema)
    def get(self, application_id):
        """The decision on your application: pending, awarded (with the award) or not selected
        (with the jury's anonymised comments, when released, each criterion named in your
        account's language)."""
        return awards.applicant_outcome(db_session(), _me(), application_id)


@blp.route("/awards")
class MyAwards(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(APPLICANT)
    @blp.response(200, ApplicantAwardSchema(many=True))
    def get(self):
        """Your awards, once the call's decision told you of them."""
        return awards.own_awards(db_session(), _me())


@blp.route("/awards/<int:award_id>")
class MyAward(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(APPLICANT)
    @blp.response(200, ApplicantAwardSchema)
    def get(self, award_id):
        """One of your awards (another's is a 404)."""
        return awards.own_award(db_session(), _me(), award_id)


@blp.route("/awards/<int:award_id>/accept")
class AcceptAward(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(APPLICANT)
    @blp.arguments(AcceptInputSchema)
    @blp.response(200, ApplicantAwardSchema)
    def post(self, data, award_id):
        """Accept the agreement: the terms read, the signatory (name and role), the IBAN and BIC
        the grant is paid to (checked; 422 naming each wrong field)."""
        with unit_of_work() as session:
            return awards.accept_award(session, _me(), award_id, data, utcnow())


@blp.route("/awards/<int:award_id>/decline")
class DeclineAward(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(APPLICANT)
    @blp.arguments(DeclineInputSchema)
    @blp.response(200, ApplicantAwardSchema)
    def post(self, data, award_id):
        """Decline the award (its amount goes back to the fund)."""
        with unit_of_work() as session:
            return awards.decline_award(session, _me(), award_id, data["reason"], utcnow())


@blp.route("/awards/<int:award_id>/reports/final")
class FinalReport(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(APPLICANT)
    @blp.arguments(ReportUploadSchema, location="files")
    @blp.response(200, ReportSchema)
    def put(self, files, award_id):
        """Upload the final report (multipart field `file`; PDF, 415 otherwise; at most
        MAX_DOCUMENT_BYTES, 413 above): the last tranche becomes due."""
        return _upload(files, award_id, "final")


@blp.route("/awards/<int:award_id>/reports/interim")
class InterimReport(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(APPLICANT)
    @blp.arguments(ReportUploadSchema, location="files")
    @blp.response(201, ReportSchema)
    def post(self, files, award_id):
        """Upload an interim report (PDF): the next interim tranche becomes due."""
        return _upload(files, award_id, "interim")


def _upload(files, award_id: int, kind: str):
    upload = files["file"]
    with unit_of_work() as session:
        return awards.upload_report(session, _me(), award_id, kind, upload.stream, upload.filename, utcnow(),
                                    config.documents_dir(), config.max_document_bytes())


@blp.route("/awards/<int:award_id>/reports/<int:report_id>")
class ReportById(MethodView):
    @blp.doc(security=AUTH)
    @require_roles(APPLICANT, MANAGER)
    @blp.response(200, {"type": "string", "format": "binary"}, description="The PDF", content_type="application/pdf")
    def get(self, award_id, report_id):
        """Download a report: its applicant or a fund manager."""
        principal = current_principal()
        report, handle = awards.open_report(db_session(), principal.account_id, principal.roles, award_id, report_id,
                                            config.documents_dir())
        return send_file(handle, mimetype="application/pdf", as_attachment=True, download_name=report.filename)
