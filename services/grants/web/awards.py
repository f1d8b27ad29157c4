"""The awards' pages: for the fund manager, the call's decision page (the ranking beside the
awards, the envelope, the tranche plan, the decision), the grant form, an award (change, cancel,
payments, repayments) and the fund's dashboard with its exports and the SEPA file; for the
applicant, the decision on their application and their award (the agreement: terms, signatory,
IBAN and BIC; reports).

Same use cases as the API; forms are read by the form schemas of `schemas/awards.py` (euros,
percentages), so a page and the API accept and refuse the same things. Every page works
without JavaScript: each action is a form of its own.
"""
from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_percent
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for

from services.grants import awards, config, review
from services.grants.api.awards import download
from services.grants.bank_details import mask_iban
from services.grants.schemas.awards import (
    AcceptFormSchema,
    AwardChangeFormSchema,
    DecisionFormSchema,
    DeclineFormSchema,
    GrantFormSchema,
    PaymentFileFormSchema,
    PaymentFormSchema,
    PlanFormSchema,
    ReasonFormSchema,
    RepaymentFormSchema,
    RepaymentReceivedFormSchema,
    plan_tranches,
)
from services.grants.tranches import DUE_CONDITIONS, MAX_TRANCHES
from services.grants.web.public import page_helpers
from shared.accounts.sessions import page_account, page_requires
from shared.core.clock import to_paris, utcnow
from shared.core.money import LOCALES, euros_text
from shared.core.refusal import INVALID, Refusal
from shared.web.i18n import current_language, translate
from shared.web.pages import load_form, refusal_errors
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("award_pages", __name__)

MANAGER = "fund_manager"
APPLICANT = "applicant"
# The API's field names as the forms name them (the forms' amounts are in euros).
FORM_NAMES = {"amount_cents": "amount"}
AWARD_STATUS_NAMES = {"granted": "Granted", "accepted": "Accepted", "declined": "Declined", "cancelled": "Cancelled"}
TRANCHE_STATUS_NAMES = {"planned": "Not due yet", "due": "Due", "paid": "Paid", "cancelled": "Cancelled"}
DUE_NAMES = {"acceptance": "At acceptance", "interim_report": "On an interim report",
             "final_report": "On the final report"}
OUTCOME_NAMES = {"awarded": "Awarded", "not_selected": "Not selected", "pending": "Not decided yet"}
LOG_ACTIONS = {
    "award_granted": "Award granted", "award_changed": "Award changed", "award_cancelled": "Award cancelled",
    "award_declined": "Award declined by the applicant", "plan_changed": "Tranche plan changed",
    "call_decided": "Call decided", "decided_with_reviews_missing": "Decided with reviews missing",
    "repayment_recorded": "Repayment recorded", "repayment_received": "Repayment received",
}


@blp.context_processor
def _helpers():
    return {
        **page_helpers(),
        "award_status": lambda code: translate(AWARD_STATUS_NAMES.get(code, code)),
        "tranche_status": lambda code: translate(TRANCHE_STATUS_NAMES.get(code, code)),
        "due_name": lambda code: translate(DUE_NAMES.get(code, code)),
        "outcome_name": lambda code: translate(OUTCOME_NAMES.get(code, code)),
        "log_action": lambda code: translate(LOG_ACTIONS.get(code, code)),
        "masked": lambda iban: mask_iban(iban) if iban else "",
        "euros_text": lambda cents: euros_text(cents, current_language()),
        "paid_cents": awards.paid_cents,
        "today": to_paris(utcnow()).date().isoformat(),
        "due_conditions": DUE_CONDITIONS,
        "percent": _percent,
    }


def _percent(share_bp: int) -> str:
    """7000 basis points as "70 %" in French, "70%" in English."""
    language = current_language()
    return format_percent(Decimal(share_bp) / 10_000, "#,##0.##\u00a0%" if language == "fr" else "#,##0.##%",
                          locale=LOCALES[language])


def _me() -> int:
    return page_account().id


# --- The fund manager: the decision page ------------------------------------------------------------------


def _board_page(call_id: int, *, errors: dict | None = None, values: dict | None = None, status: int = 200):
    board = awards.decision_board(db_session(), call_id)
    # Basis points read as a percentage as cents read as euros: 3334 is "33,34".
    plan_rows = [{"share": euros_text(tranche.share_bp, current_language()), "due": tranche.due}
                 for tranche in board.plan.tranches]
    return render_template(
        "awards/decision.html", board=board, call=board.call, errors=errors or {}, values=values or {},
        plan_rows=plan_rows + [{"share": "", "due": ""}] * max(0, min(2, MAX_TRANCHES - len(plan_rows))),
    ), status


@blp.get("/manage/calls/<int:call_id>/awards")
@page_requires(MANAGER)
def call_awards(call_id):
    return _board_page(call_id)


@blp.post("/manage/calls/<int:call_id>/tranche-plan")
@page_requires(MANAGER)
def tranche_plan(call_id):
    data, errors = load_form(PlanFormSchema(), request.form)
    if errors:
        return _board_page(call_id, errors={"form": [translate(INVALID)], **errors}, values=request.form, status=422)
    try:
        with unit_of_work() as session:
            awards.set_call_plan(session, call_id, plan_tranches(data), utcnow(), _me())
    except Refusal as refusal:
        errors = refusal_errors(refusal, {f"tranches.{n}": f"tranche-{n}-share" for n in range(MAX_TRANCHES)})
        return _board_page(call_id, errors=errors, values=request.form, status=refusal.status)
    flash(translate("The tranche plan is saved."))
    return redirect(url_for("award_pages.call_awards", call_id=call_id))


@blp.post("/manage/calls/<int:call_id>/decision")
@page_requires(MANAGER)
def decision(call_id):
    data, errors = load_form(DecisionFormSchema(), request.form)
    if errors:
        return _board_page(call_id, errors=errors, values=request.form, status=422)
    try:
        with unit_of_work() as session:
            decided = awards.decide(session, call_id, utcnow(), _me(), **data)
    except Refusal as refusal:
        return _board_page(call_id, errors=refusal_errors(refusal), values=request.form, status=refusal.status)
    flash(translate("The call is decided: every applicant is told by email.") if not decided.replayed
          else translate("The call was decided already."))
    return redirect(url_for("award_pages.call_awards", call_id=call_id))


# --- The fund manager: granting, changing, cancelling -----------------------------------------------------


def _grant_page(application_id: int, *, errors=None, values=None, status=200):
    view = review.application_detail(db_session(), application_id)
    call = view.application.call
    fund = call.fund
    return render_template(
        "awards/grant.html", view=view, application=view.application, call=call, fund=fund,
        remaining=awards.remaining_cents(db_session(), fund), existing=awards.award_of(db_session(), application_id),
        errors=errors or {}, values=values or {},
    ), status


@blp.route("/manage/applications/<int:application_id>/award", methods=["GET", "POST"])
@page_requires(MANAGER)
def grant(application_id):
    if request.method == "GET":
        return _grant_page(application_id)
    data, errors = load_form(GrantFormSchema(), request.form)
    if errors:
        return _grant_page(application_id, errors={"form": [translate(INVALID)], **errors}, values=request.form,
                           status=422)
    try:
        with unit_of_work() as session:
            granted = awards.grant_award(session, application_id, data, utcnow(), _me())
    except Refusal as refusal:
        return _grant_page(application_id, errors=refusal_errors(refusal, FORM_NAMES), values=request.form,
                           status=refusal.status)
    flash(translate("Award granted: %(amount)s.", amount=page_helpers()["euros"](granted.award.amount_cents)))
    return redirect(url_for("award_pages.call_awards", call_id=granted.award.call_id))


def _award_page(award_id: int, *, errors=None, values=None, status=200, form: str | None = None):
    session = db_session()
    award = awards.get_award(session, award_id)
    return render_template(
        "awards/award.html", award=award, call=award.call, application=award.application,
        organisation=awards.organisation_of(award.application), log=awards.award_log(session, award),
        errors=errors or {}, values=values or {}, form=form,
    ), status


@blp.get("/manage/awards/<int:award_id>")
@page_requires(MANAGER)
def award(award_id):
    return _award_page(award_id)


def _award_action(award_id: int, schema, act, form: str, done: str, names: dict | None = None):
    """Read a form of the award page, run the use case, and come back to the page: with the
    refusal beside the form that was sent, or with `done` said."""
    names = names or FORM_NAMES
    data, errors = load_form(schema, request.form)
    if errors:
        errors = {names.get(field, field): messages for field, messages in errors.items()}
        return _award_page(award_id, errors={"form": [translate(INVALID)], **errors}, values=request.form, status=422,
                           form=form)
    try:
        with unit_of_work() as session:
            act(session, data)
    except Refusal as refusal:
        return _award_page(award_id, errors=refusal_errors(refusal, names), values=request.form,
                           status=refusal.status, form=form)
    flash(translate(done))
    return redirect(url_for("award_pages.award", award_id=award_id))


@blp.post("/manage/awards/<int:award_id>/change")
@page_requires(MANAGER)
def change(award_id):
    def act(session, data):
        reason = data.pop("reason")
        awards.change_award(session, award_id, data, reason, utcnow(), _me())
    return _award_action(award_id, AwardChangeFormSchema(), act, "change", "The award is changed.")


@blp.post("/manage/awards/<int:award_id>/cancel")
@page_requires(MANAGER)
def cancel(award_id):
    return _award_action(award_id, ReasonFormSchema(), lambda session, data: awards.cancel_award(
        session, award_id, data["reason"], utcnow(), _me()), "cancel", "The award is cancelled.",
        {**FORM_NAMES, "reason": "cancel_reason"})


@blp.post("/manage/awards/<int:award_id>/tranches/<int:tranche_id>/payments")
@page_requires(MANAGER)
def payment(award_id, tranche_id):
    return _award_action(award_id, PaymentFormSchema(), lambda session, data: awards.record_payment(
        session, tranche_id, data, utcnow(), _me()), f"payment-{tranche_id}", "The payment is recorded.")


@blp.post("/manage/awards/<int:award_id>/repayments")
@page_requires(MANAGER)
def repayment(award_id):
    return _award_action(award_id, RepaymentFormSchema(), lambda session, data: awards.record_repayment(
        session, award_id, data, utcnow(), _me()), "repayment", "The amount to pay back is recorded.")


@blp.post("/manage/awards/<int:award_id>/repayments/<int:repayment_id>/received")
@page_requires(MANAGER)
def repayment_received(award_id, repayment_id):
    return _award_action(award_id, RepaymentReceivedFormSchema(), lambda session, data: awards.record_repayment_received(
        session, repayment_id, data, utcnow(), _me()), f"received-{repayment_id}", "The repayment is recorded as received.")


# --- The fund manager: the fund's dashboard -----------------------------------------------------------------


@blp.get("/manage/funds/<int:fund_id>/dashboard")
@page_requires(MANAGER)
def dashboard(fund_id):
    session = db_session()
    return render_template("awards/dashboard.html", figures=awards.fund_figures(session, fund_id),
                           due=awards.due_tranches(session, fund_id), errors={})


@blp.get("/manage/funds/<int:fund_id>/awards.csv")
@page_requires(MANAGER)
def awards_csv(fund_id):
    return download(awards.awards_csv(db_session(), fund_id, current_language()), f"fund-{fund_id}-awards.csv",
                    "text/csv")


@blp.get("/manage/funds/<int:fund_id>/payments.csv")
@page_requires(MANAGER)
def payments_csv(fund_id):
    return download(awards.payments_csv(db_session(), fund_id, current_language()), f"fund-{fund_id}-payments.csv",
                    "text/csv")


@blp.get("/manage/funds/<int:fund_id>/payment-file")
@page_requires(MANAGER)
def payment_file(fund_id):
    args = {key: value for key, value in request.args.items() if key != "lang"}
    data, errors = load_form(PaymentFileFormSchema(), args)
    refusal = None
    if not errors:
        try:
            found = awards.payment_file(db_session(), fund_id, data["execution_date"], utcnow(), data["schema"])
        except Refusal as refused:
            refusal = refused
        else:
            return download(found.xml, found.filename, "application/xml")
    session = db_session()
    errors = refusal_errors(refusal) if refusal else {"form": [translate(INVALID)], **errors}
    return render_template("awards/dashboard.html", figures=awards.fund_figures(session, fund_id),
                           due=awards.due_tranches(session, fund_id), errors=errors,
                           ), (refusal.status if refusal else 422)


# --- The applicant ---------------------------------------------------------------------------------------------


@blp.get("/applications/<int:application_id>/decision")
@page_requires(APPLICANT)
def applicant_decision(application_id):
    found = awards.applicant_outcome(db_session(), _me(), application_id, current_language())
    return render_template("awards/outcome.html", found=found, application=found.application,
                           call=found.application.call)


@blp.get("/awards")
@page_requires(APPLICANT)
def my_awards():
    return render_template("awards/my_awards.html", awards=awards.own_awards(db_session(), _me()))


def _applicant_award_page(award_id: int, *, errors=None, values=None, status=200, form: str | None = None):
    award = awards.own_award(db_session(), _me(), award_id)
    return render_template(
        "awards/applicant_award.html", award=award, call=award.call, application=award.application,
        organisation=awards.organisation_of(award.application), terms_version=awards.TERMS_VERSION,
        errors=errors or {}, values=values or {}, form=form,
    ), status


@blp.get("/awards/<int:award_id>")
@page_requires(APPLICANT)
def applicant_award(award_id):
    return _applicant_award_page(award_id)


@blp.post("/awards/<int:award_id>/accept")
@page_requires(APPLICANT)
def accept(award_id):
    data, errors = load_form(AcceptFormSchema(), request.form)
    if not errors:
        try:
            with unit_of_work() as session:
                awards.accept_award(session, _me(), award_id, data, utcnow())
        except Refusal as refusal:
            return _applicant_award_page(award_id, errors=refusal_errors(refusal), values=request.form,
                                         status=refusal.status, form="accept")
        flash(translate("You accepted the award. Thank you: the first payment is on its way."))
        return redirect(url_for("award_pages.applicant_award", award_id=award_id))
    return _applicant_award_page(award_id, errors={"form": [translate(INVALID)], **errors}, values=request.form,
                                 status=422, form="accept")


@blp.post("/awards/<int:award_id>/decline")
@page_requires(APPLICANT)
def decline(award_id):
    data, errors = load_form(DeclineFormSchema(), request.form)
    if errors:
        return _applicant_award_page(award_id, errors={"form": [translate(INVALID)], **errors}, values=request.form,
                                     status=422, form="decline")
    try:
        with unit_of_work() as session:
            awards.decline_award(session, _me(), award_id, data["reason"], utcnow())
    except Refusal as refusal:
        return _applicant_award_page(award_id, errors=refusal_errors(refusal), values=request.form,
                                     status=refusal.status, form="decline")
    flash(translate("You declined the award."))
    return redirect(url_for("award_pages.applicant_award", award_id=award_id))


@blp.post("/awards/<int:award_id>/reports/<any(final, interim):kind>")
@page_requires(APPLICANT)
def upload_report(award_id, kind):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        message = translate("Choose a PDF file.")
        return _applicant_award_page(award_id, errors={"form": [message], f"report_{kind}": [message]}, status=422,
                                     form=f"report_{kind}")
    try:
        with unit_of_work() as session:
            awards.upload_report(session, _me(), award_id, kind, upload.stream, upload.filename, utcnow(),
                                 config.documents_dir(), config.max_document_bytes())
    except Refusal as refusal:
        errors = refusal_errors(refusal, {"file": f"report_{kind}"})
        return _applicant_award_page(award_id, errors=errors, status=refusal.status, form=f"report_{kind}")
    flash(translate("Report received."))
    return redirect(url_for("award_pages.applicant_award", award_id=award_id))


@blp.get("/awards/<int:award_id>/reports/<int:report_id>")
@page_requires(APPLICANT, MANAGER)
def download_report(award_id, report_id):
    account = page_account()
    report, handle = awards.open_report(db_session(), account.id, account.roles, award_id, report_id,
                                        config.documents_dir())
    return send_file(handle, mimetype="application/pdf", as_attachment=True, download_name=report.filename)

