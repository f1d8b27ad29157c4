"""The fund manager's pages: funds, calls (create, edit, open, close), a call's applications,
one application, the CSV export. Same use cases as the API; forms are read by the form schemas
(`FundFormSchema`, `CallFormSchema`: euros, Paris times, rows of documents and criteria), so a
page and the API accept and refuse the same things.
"""
from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from services.grants import awards, calls, review
from services.grants.api.review import csv_response
from services.grants.models import APPLICATION_STATUSES
from shared.core.organisations import ORGANISATION_KINDS, SECTORS
from services.grants.schemas.calls import CallFormSchema, CallStatusSchema, call_form_values, paris_input
from services.grants.schemas.funds import FundFormSchema
from services.grants.schemas.review import ApplicationFilterSchema
from services.grants.web.applicant import FUNDING_KIND_NAMES
from services.grants.web.public import STATUS_NAMES, page_helpers
from shared.core.clock import utcnow
from shared.core.refusal import INVALID, Refusal
from shared.web.i18n import current_language, translate
from shared.accounts.sessions import page_account, page_requires
from shared.web.pages import load_form, refusal_errors
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("manager_pages", __name__, url_prefix="/manage")

MANAGER = "fund_manager"
NEXT_STATUS_ACTIONS = {"open": "Open the call", "closed": "Close the call", "in_review": "Start the review",
                       "decided": "Mark as decided"}
CALL_LIST_INPUTS = ("sectors", "organisation_kinds")
# The API's field names as the forms name them (the forms' amounts are in euros).
FORM_NAMES = {"envelope_cents": "envelope", "max_award_cents": "max_award"}


@blp.context_processor
def _helpers():
    return {**page_helpers(), "next_status": calls.next_status, "next_status_actions": NEXT_STATUS_ACTIONS,
            "funding_kind_name": lambda code: translate(FUNDING_KIND_NAMES.get(code, code))}


# --- Funds -------------------------------------------------------------------------------------


@blp.route("/funds", methods=["GET", "POST"])
@page_requires(MANAGER)
def funds():
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = request.form
        data, errors = load_form(FundFormSchema(), request.form)
        status = 422 if errors else 200
        if not errors:
            try:
                with unit_of_work() as session:
                    fund = calls.create_fund(session, **data)
            except Refusal as refusal:
                errors, status = refusal_errors(refusal, FORM_NAMES), refusal.status
            else:
                flash(translate("Fund created: %(name)s %(year)s.", name=fund.name, year=fund.year))
                return redirect(url_for("manager_pages.funds"))
    return render_template("manager/funds.html", funds=calls.list_funds(db_session()), errors=errors,
                           values=values), status


# --- Calls -------------------------------------------------------------------------------------


def _calls_page(errors: dict | None = None, status: int = 200):
    now = utcnow()
    return render_template(
        "manager/calls.html", calls=calls.list_calls(db_session()), errors=errors or {},
        shown_status=lambda call: calls.effective_status(call, now),
    ), status


def _row_count(values: dict, prefix: str, spare: int) -> int:
    numbers = [int(key.split("-")[1]) for key in values if key.startswith(f"{prefix}-")]
    return max(numbers, default=-1) + 1 + spare


def _render_call_form(call, values: dict, errors: dict, status: int):
    return render_template(
        "manager/call_form.html", call=call, values=values, errors=errors,
        funds=calls.list_funds(db_session()), sectors=SECTORS, kinds=ORGANISATION_KINDS,
        document_rows=_row_count(values, "document", 2), criterion_rows=_row_count(values, "criterion", 2),
    ), status


def _posted_values(form: MultiDict) -> dict:
    values = {key: form.get(key) for key in form}
    for key in CALL_LIST_INPUTS:
        values[key] = form.getlist(key)
    return values


@blp.get("/calls", endpoint="calls")
@page_requires(MANAGER)
def calls_list():
    return _calls_page()


@blp.route("/calls/new", methods=["GET", "POST"])
@page_requires(MANAGER)
def new_call():
    if request.method == "GET":
        return _render_call_form(None, {"min_other_funding_share_percent": 0}, {}, 200)
    data, errors = load_form(CallFormSchema(), request.form, CALL_LIST_INPUTS)
    status = 422
    if not errors:
        try:
            with unit_of_work() as session:
                call = calls.create_call(session, data)
        except Refusal as refusal:
            errors, status = refusal_errors(refusal, FORM_NAMES), refusal.status
        else:
            flash(translate("Call saved as a draft. Open it when it is ready."))
            return redirect(url_for("manager_pages.edit_call", call_id=call.id))
    return _render_call_form(None, _posted_values(request.form), errors, status)


@blp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
@page_requires(MANAGER)
def edit_call(call_id):
    call = calls.get_call(db_session(), call_id)
    if request.method == "GET":
        return _render_call_form(call, call_form_values(call, current_language()), {}, 200)
    form = request.form.copy()
    # A datetime-local shows minutes: a time sent back as shown is the stored one, unchanged.
    for key in ("opens_at", "closes_at"):
        if form.get(key) == paris_input(getattr(call, key)):
            form.pop(key)
    data, errors = load_form(CallFormSchema(partial=True), form, CALL_LIST_INPUTS)
    status = 422
    if not errors:
        try:
            with unit_of_work() as session:
                calls.update_call(session, call_id, data)
        except Refusal as refusal:
            errors, status = refusal_errors(refusal, FORM_NAMES), refusal.status
        else:
            flash(translate("Call saved."))
            return redirect(url_for("manager_pages.edit_call", call_id=call_id))
    return _render_call_form(call, _posted_values(request.form), errors, status)


@blp.post("/calls/<int:call_id>/status")
@page_requires(MANAGER)
def move_call(call_id):
    data, errors = load_form(CallStatusSchema(), request.form)
    if errors:
        return _calls_page(errors, 422)
    try:
        with unit_of_work() as session:
            call = awards.move_call(session, call_id, data["status"], utcnow(), page_account().id)
    except Refusal as refusal:
        return _calls_page(refusal_errors(refusal, FORM_NAMES), refusal.status)
    flash(translate("The call is now: %(status)s.", status=translate(STATUS_NAMES[call.status])))
    return redirect(url_for("manager_pages.calls"))


# --- Applications ------------------------------------------------------------------------------


def _filters():
    # ?lang= chooses the page's language (shared.web.i18n), it is no filter.
    args = MultiDict([(key, value) for key, value in request.args.items(multi=True) if key != "lang"])
    return load_form(ApplicationFilterSchema(), args)


@blp.get("/calls/<int:call_id>/applications")
@page_requires(MANAGER)
def call_applications(call_id):
    call = calls.get_call(db_session(), call_id)
    filters, errors = _filters()
    views = [] if errors else review.applications_of_call(db_session(), call_id, **filters)
    query = {key: value for key, value in request.args.items() if key in ("status", "sector", "eligible") and value}
    return render_template(
        "manager/applications.html", call=call, views=views, errors=errors, filters=request.args,
        statuses=APPLICATION_STATUSES, sectors=SECTORS, csv_query=query,
    ), (422 if errors else 200)


@blp.get("/calls/<int:call_id>/applications.csv")
@page_requires(MANAGER)
def call_applications_csv(call_id):
    filters, errors = _filters()
    if errors:
        raise Refusal(422, INVALID, errors)
    return csv_response(review.applications_csv(db_session(), call_id, current_language(), **filters), call_id)


@blp.get("/applications/<int:application_id>")
@page_requires(MANAGER)
def application(application_id):
    view = review.application_detail(db_session(), application_id)
    snapshot = view.application.snapshot
    return render_template(
        "manager/application.html", view=view, application=view.application, call=view.application.call,
        snapshot_json=json.dumps(snapshot, ensure_ascii=False, indent=2, sort_keys=True) if snapshot else None,
    )
