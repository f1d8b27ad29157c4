"""The applicant's pages: their organisation, their applications, the application form with
"Save draft", document uploads, "Submit" and "Withdraw". Same use cases and schemas as the API.

Amounts are written in euros on the pages and become cents before the use cases see them.
Every refusal is shown on the page it came from, per field and per failing rule, in the
person's language.
"""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from marshmallow import ValidationError

from babel.numbers import format_decimal

from services.grants import applications, calls, completeness, config, profiles
from services.grants.models import FUNDING_KINDS
from shared.core.organisations import ORGANISATION_KINDS, SECTORS
from services.grants.schemas.applications import ApplicationFormSchema, FundingSourceFormSchema
from services.grants.schemas.profiles import ProfileFormSchema
from services.grants.web.public import page_helpers
from shared.core.clock import utcnow
from shared.core.money import LOCALES, euros_text
from shared.core.refusal import INVALID, Refusal
from shared.web.i18n import current_language, translate
from shared.accounts.sessions import page_account, page_requires
from shared.web.pages import here, load_form, refusal_message, safe_next
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("applicant_pages", __name__)

APPLICANT = "applicant"
FUNDING_KIND_NAMES = {
    "own_funds": "Own funds",
    "bank_loan": "Bank loan",
    "crowdfunding": "Crowdfunding",
    "other_public_funding": "Other public funding",
    "private_sponsor": "Private sponsor",
}
# The API's field names as the form names them (the form's amounts are in euros).
FORM_NAMES = {"requested_cents": "requested_euros", "total_budget_cents": "total_budget_euros"}
BLANK_FUNDING_ROWS = 2
TEXT_INPUTS = ("project_title", "summary", "description", "timeline", "jobs_expected")


@blp.context_processor
def _helpers():
    return {
        **page_helpers(),
        "funding_kind_name": lambda code: translate(FUNDING_KIND_NAMES.get(code, code)),
        "funding_kinds": FUNDING_KINDS,
        "euros_text": lambda cents: euros_text(cents, current_language()),
    }


def _me() -> int:
    return page_account().id


# --- The organisation ------------------------------------------------------------------------


@blp.route("/profile", methods=["GET", "POST"])
@page_requires(APPLICANT)
def profile():
    errors: dict = {}
    organisation = profiles.find_profile(db_session(), _me())
    if request.method == "POST":
        values = request.form
        data, errors = load_form(ProfileFormSchema(), request.form)
        if not errors:
            with unit_of_work() as session:
                profiles.save_profile(session, _me(), data)
            flash(translate("Your organisation's profile is saved."))
            return redirect(safe_next(request.args.get("next"), url_for("applicant_pages.my_applications")))
    elif organisation is not None:
        values = {name: getattr(organisation, name) for name in profiles.PROFILE_FIELDS}
        values = {name: ("" if value is None else str(value)) for name, value in values.items()}
    else:
        values = {}
    return render_template(
        "applicant/profile.html", values=values, errors=errors, kinds=ORGANISATION_KINDS, sectors=SECTORS,
        exists=organisation is not None,
    ), (422 if errors else 200)


# --- The list and a new application ----------------------------------------------------------


@blp.get("/applications")
@page_requires(APPLICANT)
def my_applications():
    session = db_session()
    return render_template(
        "applicant/applications.html",
        applications=applications.list_applications(session, _me()),
        has_profile=profiles.find_profile(session, _me()) is not None,
        open_calls=calls.open_calls(session, utcnow()),
    )


@blp.route("/applications/new", methods=["GET", "POST"])
@page_requires(APPLICANT)
def new_application():
    """The call's "Apply" link lands here: a button starts the draft (a link alone changes nothing)."""
    session = db_session()
    call = calls.get_public_call(session, request.args.get("call", type=int) or 0)
    if request.method == "POST":
        try:
            with unit_of_work() as session:
                application = applications.start_application(session, _me(), call.id, utcnow())
        except Refusal as refusal:
            return _start_refused(call, refusal)
        flash(translate("Your draft is started: save it as often as you like, and submit it before the call closes."))
        return redirect(url_for("applicant_pages.application_page", application_id=application.id))
    refusal = applications.start_refusal(session, _me(), call, utcnow())
    if refusal is not None:
        return _start_refused(call, refusal)
    return render_template("applicant/new.html", call=call, refusal=None)


def _start_refused(call, refusal: Refusal):
    """Where a person goes when they cannot start: their own application, the profile to fill
    in first, or the call's page saying why."""
    if "application_id" in refusal.details:
        return redirect(url_for("applicant_pages.application_page", application_id=refusal.details["application_id"]))
    if "profile" in refusal.errors:
        flash(translate("Fill in your organisation's profile first."))
        return redirect(url_for("applicant_pages.profile", next=here()))
    status = 200 if request.method == "GET" else refusal.status
    return render_template("applicant/new.html", call=call, refusal=refusal_message(refusal)), status


# --- The application form --------------------------------------------------------------------


def _form_values(application) -> dict:
    values = {name: getattr(application, name) for name in TEXT_INPUTS}
    values = {name: "" if value is None else str(value) for name, value in values.items()}
    # Shown back as the person's language writes amounts ("8000,50" in French), and read back as written.
    values["requested_euros"] = euros_text(application.requested_cents, current_language())
    values["total_budget_euros"] = euros_text(application.total_budget_cents, current_language())
    return values


def _funding_rows_of(application) -> list[dict]:
    return [
        {"kind": source.kind, "amount_euros": euros_text(source.amount_cents, current_language()),
         "description": source.description}
        for source in application.funding_sources
    ]


def _posted_funding_rows(form) -> list[dict]:
    kinds, amounts, descriptions = (form.getlist(name) for name in ("source_kind", "source_amount", "source_description"))
    rows = []
    for index in range(max(len(kinds), len(amounts), len(descriptions))):
        row = {
            "kind": (kinds[index] if index < len(kinds) else "").strip(),
            "amount_euros": (amounts[index] if index < len(amounts) else "").strip(),
            "description": (descriptions[index] if index < len(descriptions) else "").strip(),
        }
        if any(row.values()):  # empty rows are the form's spare ones
            rows.append(row)
    return rows


def _read_form(form) -> tuple[dict, dict, list[dict]]:
    """The answers as the use cases take them, per-field messages, and the funding rows posted."""
    data, errors = load_form(ApplicationFormSchema(), form)
    rows = _posted_funding_rows(form)
    sources = []
    for index, row in enumerate(rows):
        try:
            sources.append(FundingSourceFormSchema().load({key: value for key, value in row.items() if value}))
        except ValidationError as error:
            errors[f"source_{index}"] = [translate(m) for messages in error.messages.values() for m in messages]
    if errors:
        return {}, errors, rows
    # A form sends every input: an emptied one clears the answer.
    for field in applications.APPLICATION_FIELDS:
        data.setdefault(field, None)
    data["funding_sources"] = sources
    return data, {}, rows


def _rule_messages(application, failures) -> list[tuple[str, str]]:
    """Each failing rule by name, with its message in the person's language."""
    messages = completeness.rule_messages(application.call, failures, current_language(), translate)
    return [(rule, message) for rule, texts in messages.items() for message in texts]


def _render_application(application, *, values=None, rows=None, errors=None, rules=None, message=None, status=200):
    now = utcnow()
    editable = applications.is_editable(application, now)
    rows = list(rows if rows is not None else _funding_rows_of(application))
    if editable:
        rows += [{"kind": "", "amount_euros": "", "description": ""}] * BLANK_FUNDING_ROWS
    call = application.call
    return render_template(
        "applicant/application.html",
        application=application, call=call, editable=editable,
        values=values if values is not None else _form_values(application),
        rows=rows, errors=errors or {}, rules=rules or [], message=message,
        closed=now >= call.closes_at,
        can_withdraw=applications.can_withdraw(application),
        documents=[
            {**document, "label": completeness.document_label(call, document["code"], current_language()),
             "stored": applications.document_of(application, document["code"])}
            for document in completeness.required_documents(call)
        ],
        max_megabytes=_megabytes(config.max_document_bytes()),
    ), status


def _megabytes(size: int) -> str:
    """10 485 760 bytes as "10" (not "10.0"), 1.5 MiB as "1,5" in French."""
    return format_decimal(Decimal(size) / (1024 * 1024), format="#,##0.#", locale=LOCALES[current_language()])


def _own(application_id):
    return applications.get_own_application(db_session(), _me(), application_id)


def _page_errors(refusal: Refusal) -> dict:
    return {
        FORM_NAMES.get(field, field): [translate(message) for message in messages]
        for field, messages in refusal.errors.items()
        if field != "rules" and isinstance(messages, list)
    }


@blp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@page_requires(APPLICANT)
def application_page(application_id):
    application = _own(application_id)
    if request.method == "GET":
        return _render_application(application)

    data, errors, rows = _read_form(request.form)
    if errors:
        return _render_application(application, values=request.form, rows=rows, errors=errors,
                                   message=translate(INVALID), status=422)
    submitting = request.form.get("action") == "submit"
    try:
        with unit_of_work() as session:
            if submitting:
                application = applications.submit_application(session, _me(), application_id, utcnow(), changes=data)
            else:
                application = applications.update_draft(session, _me(), application_id, data, utcnow())
    except Refusal as refusal:
        application = _own(application_id)
        return _render_application(
            application, values=request.form, rows=rows, errors=_page_errors(refusal),
            rules=_rule_messages(application, refusal.details.get("failures", [])), message=refusal_message(refusal),
            status=refusal.status,
        )
    if submitting:
        flash(translate(
            "Your application is submitted. Receipt number: %(receipt)s. An acknowledgement is on its way by email.",
            receipt=application.receipt_number,
        ))
    else:
        flash(translate("Draft saved."))
    return redirect(url_for("applicant_pages.application_page", application_id=application.id))


@blp.post("/applications/<int:application_id>/documents/<code>")
@page_requires(APPLICANT)
def upload_document(application_id, code):
    application = _own(application_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_application(application, errors={f"document_{code}": [translate("Choose a PDF file.")]},
                                   message=translate("Choose a PDF file."), status=422)
    try:
        with unit_of_work() as session:
            applications.attach_document(
                session, _me(), application_id, code, upload.stream, upload.filename, utcnow(),
                config.documents_dir(), config.max_document_bytes(),
            )
    except Refusal as refusal:
        errors = {f"document_{code}": [translate(m) for m in refusal.errors.get("file", refusal.errors.get("code", []))]}
        return _render_application(_own(application_id), errors=errors, message=refusal_message(refusal),
                                   status=refusal.status)
    flash(translate("Document received."))
    return redirect(url_for("applicant_pages.application_page", application_id=application_id))


@blp.get("/applications/<int:application_id>/documents/<code>")
@page_requires(APPLICANT, "fund_manager")
def download_document(application_id, code):
    account = page_account()
    document, handle = applications.open_document(
        db_session(), account.id, account.roles, application_id, code, config.documents_dir()
    )
    return send_file(handle, mimetype="application/pdf", as_attachment=True, download_name=document.filename)


@blp.post("/applications/<int:application_id>/withdraw")
@page_requires(APPLICANT)
def withdraw(application_id):
    with unit_of_work() as session:
        applications.withdraw_application(session, _me(), application_id, utcnow())
    flash(translate("Your application is withdrawn."))
    return redirect(url_for("applicant_pages.application_page", application_id=application_id))
