"""The fund manager's pages: funds, calls (create, edit, open, close), a call's applications,
one application, the CSV export. Same use cases and schemas as the API.

Forms carry amounts in euros and times as Paris wall-clock values (datetime-local); they are
turned into the API's shapes (cents, lists, rows of documents and criteria) before the API's
schemas read them, so a page and the API accept and refuse the same things.
"""
from __future__ import annotations

import json
import re
from decimal import InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from services.grants import calls, review
from services.grants.api.review import csv_response
from services.grants.models import APPLICATION_STATUSES
from services.grants.organisations import ORGANISATION_KINDS, SECTORS
from services.grants.schemas.calls import CallChangesSchema, CallInputSchema, CallStatusSchema
from services.grants.schemas.funds import FundInputSchema
from services.grants.schemas.review import ApplicationFilterSchema
from services.grants.web.applicant import FUNDING_KIND_NAMES
from services.grants.web.public import STATUS_NAMES, page_helpers
from shared.core.clock import to_paris, utcnow
from shared.web.i18n import current_language, translate
from shared.core.money import Money
from shared.web.pages import load_form, page_requires, render_error
from shared.web.service_app import db_session

blp = Blueprint("manager_pages", __name__, url_prefix="/manage")

MANAGER = "fund_manager"
NEXT_STATUS = {"draft": "open", "open": "closed", "closed": "in_review", "in_review": "decided"}
NEXT_STATUS_ACTIONS = {"open": "Open the call", "closed": "Close the call", "in_review": "Start the review",
                       "decided": "Mark as decided"}
_LEVEL = re.compile(r"^\s*(\d+)\s*:\s*(.*)$")


@blp.context_processor
def _helpers():
    return {**page_helpers(), "next_status": NEXT_STATUS, "next_status_actions": NEXT_STATUS_ACTIONS,
            "funding_kind_name": lambda code: translate(FUNDING_KIND_NAMES.get(code, code))}


# --- Reading forms -----------------------------------------------------------------------------


def _load(schema: Schema, raw: dict, errors: dict) -> dict:
    """The schema's reading of raw values, adding its messages (translated) to errors."""
    try:
        data = schema.load(raw)
    except ValidationError as error:
        for field, messages in error.messages.items():
            # A field the page could not convert already says why; "missing" would add nothing.
            if field not in errors:
                errors[field] = [translate(m) for m in _flat(messages)]
        return {}
    return {} if errors else data


def _flat(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flat(value)]
    return [str(messages)]


def _text(form: MultiDict, name: str) -> str:
    return form.get(name, "").strip()


def _number(text: str):
    # Left as text when it is not a number: the schema then says so for this field.
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _cents(form: MultiDict, name: str, field: str, raw: dict, errors: dict) -> None:
    text = re.sub(r"[\s\u00a0\u202f]", "", _text(form, name)).replace(",", ".").removesuffix("€")
    if not text:
        return
    try:
        raw[field] = Money.euros(text).cents
    except (ValueError, InvalidOperation):
        errors[field] = [translate("Enter an amount in euros, e.g. 1500 or 1500,50.")]


def _rows(form: MultiDict, prefix: str, names: tuple[str, ...]) -> list[dict]:
    """Rows of a repeated group of inputs (`<prefix>-<n>-<name>`); empty rows are left out."""
    numbers = sorted({int(key.split("-")[1]) for key in form if re.fullmatch(rf"{prefix}-\d+-\w+", key)})
    rows = []
    for number in numbers:
        row = {name: _text(form, f"{prefix}-{number}-{name}") for name in names}
        if any(row.values()):
            rows.append(row)
    return rows


def _fund_form(form: MultiDict) -> tuple[dict, dict]:
    errors: dict = {}
    raw = {key: value for key in ("name", "year", "grants_objective") if (value := _text(form, key))}
    for key in ("year", "grants_objective"):
        if key in raw:
            raw[key] = _number(raw[key])
    _cents(form, "envelope", "envelope_cents", raw, errors)
    return _load(FundInputSchema(), raw, errors), errors


def _call_form(form: MultiDict, current=None) -> tuple[dict, dict]:
    """A call from the create/edit form, as CallInputSchema reads it (every field given)."""
    errors: dict = {}
    raw: dict = {}
    for key in ("fund_id", "title_fr", "description_fr", "opens_at", "closes_at"):
        if value := _text(form, key):
            raw[key] = value
    for key in ("title_en", "description_en"):
        raw[key] = _text(form, key) or None
    if "fund_id" in raw:
        raw["fund_id"] = _number(raw["fund_id"])
    _cents(form, "max_award", "max_award_cents", raw, errors)
    raw["postal_codes"] = [code for code in re.split(r"[\s,;]+", _text(form, "postal_codes")) if code]
    raw["sectors"] = form.getlist("sectors")
    raw["organisation_kinds"] = form.getlist("organisation_kinds")
    raw["min_other_funding_share_percent"] = _number(_text(form, "min_other_funding_share_percent") or "0")
    raw["required_documents"] = [
        {"code": row["code"], "label_fr": row["label_fr"], "label_en": row["label_en"] or None}
        for row in _rows(form, "document", ("code", "label_fr", "label_en"))
    ]
    raw["scoring_grid"] = [
        {"code": row["code"], "label_fr": row["label_fr"], "label_en": row["label_en"] or None,
         "weight": _number(row["weight"]), "levels": _levels(row["levels"])}
        for row in _rows(form, "criterion", ("code", "label_fr", "label_en", "weight", "levels"))
    ]
    if current is not None:
        # A datetime-local shows minutes: a time sent back as shown is the stored one, unchanged.
        for key in ("opens_at", "closes_at"):
            if raw.get(key) == _local_input(getattr(current, key)):
                raw.pop(key)
    schema = CallInputSchema() if current is None else CallChangesSchema(partial=True)
    return _load(schema, raw, errors), errors


def _levels(text: str) -> list[dict]:
    """One level a line, "score: description"; a line without a score takes its position."""
    levels = []
    for position, line in enumerate(line for line in text.splitlines() if line.strip()):
        match = _LEVEL.match(line)
        if match:
            levels.append({"score": int(match.group(1)), "description": match.group(2).strip()})
        else:
            levels.append({"score": position, "description": line.strip()})
    return levels


def _local_input(moment) -> str:
    return to_paris(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _call_values(call) -> dict:
    """The form's values for an existing call."""
    values = {
        "fund_id": call.fund_id, "title_fr": call.title_fr, "title_en": call.title_en or "",
        "description_fr": call.description_fr, "description_en": call.description_en or "",
        "opens_at": _local_input(call.opens_at), "closes_at": _local_input(call.closes_at),
        "max_award": f"{call.max_award_cents / 100:.2f}".replace(".", ","),
        "postal_codes": " ".join(call.postal_codes), "sectors": list(call.sectors),
        "organisation_kinds": list(call.organisation_kinds),
        "min_other_funding_share_percent": call.min_other_funding_share_percent,
    }
    for number, document in enumerate(call.required_documents):
        for name in ("code", "label_fr", "label_en"):
            values[f"document-{number}-{name}"] = document.get(name) or ""
    for number, criterion in enumerate(call.scoring_grid):
        for name in ("code", "label_fr", "label_en", "weight"):
            values[f"criterion-{number}-{name}"] = criterion.get(name) or ("0" if name == "weight" else "")
        values[f"criterion-{number}-levels"] = "\n".join(
            f"{level['score']}: {level['description']}" for level in criterion.get("levels", []))
    return values


def _form_values(form: MultiDict) -> dict:
    values = {key: form.get(key) for key in form}
    values["sectors"] = form.getlist("sectors")
    values["organisation_kinds"] = form.getlist("organisation_kinds")
    return values


def _row_count(values: dict, prefix: str, spare: int) -> int:
    numbers = [int(key.split("-")[1]) for key in values if key.startswith(f"{prefix}-")]
    return max(numbers, default=-1) + 1 + spare


def _render_call_form(call, values: dict, errors: dict, status: int):
    return render_template(
        "manager/call_form.html", call=call, values=values, errors=errors,
        funds=calls.list_funds(db_session()), sectors=SECTORS, kinds=ORGANISATION_KINDS,
        document_rows=_row_count(values, "document", 2), criterion_rows=_row_count(values, "criterion", 2),
    ), status


def _refusal_errors(refusal: calls.Refusal) -> dict:
    errors = {field: [translate(m) for m in messages] for field, messages in refusal.errors.items()}
    errors.setdefault("form", []).insert(0, translate(refusal.message))
    return errors


# --- Funds -------------------------------------------------------------------------------------


@blp.route("/funds", methods=["GET", "POST"])
@page_requires(MANAGER)
def funds():
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = request.form
        data, errors = _fund_form(request.form)
        if not errors:
            try:
                fund = calls.create_fund(db_session(), **data)
            except calls.Refusal as refusal:
                errors = _refusal_errors(refusal)
                status = refusal.status
            else:
                flash(translate("Fund created: %(name)s %(year)s.", name=fund.name, year=fund.year))
                return redirect(url_for("manager_pages.funds"))
        else:
            status = 422
    return render_template("manager/funds.html", funds=calls.list_funds(db_session()), errors=errors,
                           values=values), status


# --- Calls -------------------------------------------------------------------------------------


def _calls_page(errors: dict | None = None, status: int = 200):
    now = utcnow()
    return render_template(
        "manager/calls.html", calls=calls.list_calls(db_session()), errors=errors or {},
        shown_status=lambda call: calls.effective_status(call, now),
    ), status


@blp.get("/calls", endpoint="calls")
@page_requires(MANAGER)
def calls_list():
    return _calls_page()


@blp.route("/calls/new", methods=["GET", "POST"])
@page_requires(MANAGER)
def new_call():
    if request.method == "GET":
        return _render_call_form(None, {"min_other_funding_share_percent": 0}, {}, 200)
    data, errors = _call_form(request.form)
    if not errors:
        try:
            call = calls.create_call(db_session(), data)
        except calls.Refusal as refusal:
            errors = _refusal_errors(refusal)
        else:
            flash(translate("Call saved as a draft. Open it when it is ready."))
            return redirect(url_for("manager_pages.edit_call", call_id=call.id))
    return _render_call_form(None, _form_values(request.form), errors, 422)


@blp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
@page_requires(MANAGER)
def edit_call(call_id):
    try:
        call = calls.get_call(db_session(), call_id)
    except calls.Refusal as refusal:
        return render_error(refusal.status, refusal.message)
    if request.method == "GET":
        return _render_call_form(call, _call_values(call), {}, 200)
    data, errors = _call_form(request.form, current=call)
    status = 422
    if not errors:
        try:
            calls.update_call(db_session(), call_id, data)
        except calls.Refusal as refusal:
            errors, status = _refusal_errors(refusal), refusal.status
        else:
            flash(translate("Call saved."))
            return redirect(url_for("manager_pages.edit_call", call_id=call_id))
    return _render_call_form(call, _form_values(request.form), errors, status)


@blp.post("/calls/<int:call_id>/status")
@page_requires(MANAGER)
def move_call(call_id):
    data, errors = load_form(CallStatusSchema(), request.form)
    if errors:
        return _calls_page(errors, 422)
    try:
        call = calls.move_call(db_session(), call_id, data["status"], utcnow())
    except calls.Refusal as refusal:
        return _calls_page(_refusal_errors(refusal), refusal.status)
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
    try:
        call = calls.get_call(db_session(), call_id)
    except calls.Refusal as refusal:
        return render_error(refusal.status, refusal.message)
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
        return render_error(422, "The request has invalid fields; see errors.")
    try:
        body = review.applications_csv(db_session(), call_id, current_language(), **filters)
    except calls.Refusal as refusal:
        return render_error(refusal.status, refusal.message)
    return csv_response(body, call_id)


@blp.get("/applications/<int:application_id>")
@page_requires(MANAGER)
def application(application_id):
    try:
        view = review.application_detail(db_session(), application_id)
    except calls.Refusal as refusal:
        return render_error(refusal.status, refusal.message)
    snapshot = view.application.snapshot
    return render_template(
        "manager/application.html", view=view, application=view.application, call=view.application.call,
        snapshot_json=json.dumps(snapshot, ensure_ascii=False, indent=2, sort_keys=True) if snapshot else None,
    )
