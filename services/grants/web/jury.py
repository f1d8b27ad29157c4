"""The juror's pages, without JavaScript: my calls and assignments with my progress, the
declaration of conflicts of interest, the application as submitted with its documents, the
scoring form with each level's description, and the panel's reviews once the deliberation is
open. Same use cases and rules as the API (`services.grants.jury`): a recused juror gets the
same 404 here as there.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for

from services.grants import config, jury
from services.grants.models import Call
from services.grants.schemas.jury import DeclarationFormSchema, ReviewFormSchema
from services.grants.web.applicant import FUNDING_KIND_NAMES
from services.grants.web.public import page_helpers
from shared.accounts.sessions import page_account, page_requires
from shared.core.clock import utcnow
from shared.core.refusal import Refusal
from shared.web.i18n import translate
from shared.web.pages import load_form, refusal_errors
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("jury_pages", __name__, url_prefix="/jury")

JUROR = "juror"


@blp.context_processor
def _helpers():
    return {
        **page_helpers(),
        "stage_name": lambda code: translate(jury.STAGE_NAMES.get(code, code)),
        "recommendation_name": lambda code: translate(jury.RECOMMENDATION_NAMES.get(code, code)) if code else "",
        "funding_kind_name": lambda code: translate(FUNDING_KIND_NAMES.get(code, code)),
    }


def _me() -> int:
    return page_account().id


@blp.get("")
@page_requires(JUROR)
def my_calls():
    return render_template("juror/calls.html", calls=jury.juror_calls(db_session(), _me()))


@blp.get("/calls/<int:call_id>")
@page_requires(JUROR)
def my_call(call_id):
    session = db_session()
    found = jury.juror_call(session, _me(), call_id)
    return render_template("juror/call.html", found=found, call=found.call,
                           assignments=jury.juror_assignments(session, _me(), call_id))


def _render_application(application_id: int, errors: dict | None = None, values: dict | None = None,
                        status: int = 200):
    session = db_session()
    mine = jury.juror_assignment(session, _me(), application_id)
    call = session.get(Call, mine.cover.call_id)
    context = {"mine": mine, "seat": mine.seat, "cover": mine.cover, "call": call, "errors": errors or {},
               "values": values or {}, "settings": jury.jury_settings(session, call.id)}
    if mine.seat.cleared:
        application = jury.cleared_application(session, _me(), application_id)
        context["snapshot"] = application.snapshot or {}
        context["review"] = jury.juror_review(session, _me(), application_id)
        if context["settings"].deliberation_opened_at is not None:
            context["panel_reviews"] = jury.panel_reviews(session, _me(), application_id)
    return render_template("juror/application.html", **context), status


@blp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@page_requires(JUROR)
def application(application_id):
    """Before declaring: the cover and the declaration form. Cleared: the application as submitted."""
    if request.method == "GET":
        return _render_application(application_id)
    data, errors = load_form(DeclarationFormSchema(), request.form)
    if errors:
        return _render_application(application_id, errors, request.form, 422)
    try:
        with unit_of_work() as session:
            declaration = jury.declare(session, _me(), application_id, data["conflict"], data["reason"], utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        return _render_application(application_id, refusal_errors(refusal), request.form, refusal.status)
    if declaration.conflict:
        flash(translate("Your conflict of interest is recorded: you are recused from this application."))
        return redirect(url_for("jury_pages.my_call", call_id=declaration.call_id))
    flash(translate("No conflict of interest: you can read and score the application."))
    return redirect(url_for("jury_pages.application", application_id=application_id))


@blp.get("/applications/<int:application_id>/documents/<code>")
@page_requires(JUROR)
def document(application_id, code):
    found, handle = jury.open_juror_document(db_session(), _me(), application_id, code, config.documents_dir())
    return send_file(handle, mimetype="application/pdf", as_attachment=True, download_name=found["filename"])


def _review_values(review) -> dict:
    if review is None:
        return {}
    values = {f"level-{code}": str(level) for code, level in (review.levels or {}).items()}
    values.update({f"comment-{code}": text for code, text in (review.comments or {}).items()})
    values.update(recommendation=review.recommendation or "", overall_comment=review.overall_comment or "")
    return values


def _render_review(application_id: int, errors: dict | None = None, values: dict | None = None, status: int = 200):
    session = db_session()
    mine = jury.juror_assignment(session, _me(), application_id)
    review = jury.juror_review(session, _me(), application_id)  # 404 unless cleared
    call = session.get(Call, mine.cover.call_id)
    return render_template(
        "juror/review.html", cover=mine.cover, call=call, review=review, grid=jury.grid_of(call),
        values=values if values is not None else _review_values(review), errors=errors or {},
        settings=jury.jury_settings(session, call.id), recommendations=jury.RECOMMENDATION_NAMES,
    ), status


def _answers(form, call) -> tuple[dict, dict]:
    """The scoring form read by its schema, every criterion of the grid given: an emptied
    comment clears it (a browser leaves nothing out; load_form drops what is empty)."""
    data, errors = load_form(ReviewFormSchema(), form)
    if errors:
        return data, errors
    given = {item["criterion"]: item for item in data.get("criteria", ())}
    data["criteria"] = [
        {"criterion": criterion["code"], "comment": given.get(criterion["code"], {}).get("comment", ""),
         **({"level": given[criterion["code"]]["level"]} if "level" in given.get(criterion["code"], {}) else {})}
        for criterion in jury.grid_of(call)
    ]
    return data, {}


@blp.route("/applications/<int:application_id>/review", methods=["GET", "POST"])
@page_requires(JUROR)
def review(application_id):
    if request.method == "GET":
        return _render_review(application_id)
    call = db_session().get(Call, jury.juror_assignment(db_session(), _me(), application_id).cover.call_id)
    data, errors = _answers(request.form, call)
    if errors:
        return _render_review(application_id, errors, request.form, 422)
    submitting = request.form.get("action") == "submit"
    try:
        with unit_of_work() as session:
            if submitting:
                jury.submit_review(session, _me(), application_id, utcnow(), data)
            else:
                jury.save_review(session, _me(), application_id, data, utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        return _render_review(application_id, refusal_errors(refusal), request.form, refusal.status)
    if submitting:
        flash(translate("Your review is submitted. Thank you."))
        return redirect(url_for("jury_pages.my_call", call_id=call.id))
    flash(translate("Draft saved."))
    return redirect(url_for("jury_pages.review", application_id=application_id))
