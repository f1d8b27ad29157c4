"""The fund manager's jury pages: the panel and the jury's settings with each juror's progress,
the assignments (automatic and by hand), the declarations and flags with the log, the ranking
with its exports, and opening the deliberation. Same use cases as the API
(`services.grants.jury`); forms are read by the jury's form schemas.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from services.grants import calls, jury
from services.grants.api.jury import csv_download
from services.grants.ranking import TIE_RULE
from services.grants.schemas.calls import paris_input
from services.grants.schemas.jury import (
    AssignmentFormSchema,
    FlagDecisionFormSchema,
    JurySettingsFormSchema,
    PanelMemberFormSchema,
)
from services.grants.web.public import page_helpers
from shared.accounts.sessions import accounts_url, page_account, page_requires
from shared.core.clock import utcnow
from shared.core.refusal import Refusal
from shared.web.i18n import current_language, translate
from shared.web.pages import here, load_form, refusal_errors
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("manager_jury_pages", __name__, url_prefix="/manage")

MANAGER = "fund_manager"
ACTION_NAMES = {
    "panel_member_added": "Juror added to the panel", "panel_member_removed": "Juror taken off the panel",
    "assignment_added": "Assigned by hand", "assignment_removed": "Assignment taken back",
    "flag_confirmed": "Flag confirmed (recusal)", "flag_cleared": "Flag cleared",
    "declaration_reopened": "Declaration reopened", "review_reopened": "Review reopened",
    "deliberation_opened": "Deliberation opened", "deadline_set": "Review deadline or reminder changed",
}


@blp.context_processor
def _helpers():
    language = current_language()
    return {
        **page_helpers(),
        "stage_name": lambda code: translate(jury.STAGE_NAMES.get(code, code)),
        "rule_name": lambda code: translate(jury.FLAG_RULE_NAMES.get(code, code)),
        "action_name": lambda code: translate(ACTION_NAMES.get(code, code)),
        "score": lambda value: "—" if value is None else f"{value:.2f}".replace(".", "," if language == "fr" else "."),
    }


def _me() -> int:
    return page_account().id


def _jury_page(call_id: int, errors: dict | None = None, values: dict | None = None, status: int = 200):
    session = db_session()
    call = calls.get_call(session, call_id)
    settings = jury.jury_settings(session, call_id)
    members = jury.panel(session, call_id)
    on_panel = {member.account_id for member in members}
    if values is None:
        values = {"reviews_per_application": settings.reviews_per_application,
                  "review_deadline": paris_input(settings.review_deadline),
                  "reminder_days_before": settings.reminder_days_before,
                  "disagreement_threshold": settings.disagreement_threshold}
    return render_template(
        "manager/jury.html", call=call, settings=settings, values=values, errors=errors or {},
        progress=jury.progress(session, call_id),
        candidates=[juror for juror in jury.list_jurors(session) if juror.account_id not in on_panel],
        missing=jury.missing_reviews(session, call_id),
        invite_url=accounts_url("/invitations/new", next=here()),
    ), status


def _act(call_id: int, page, action, success: str, **values):
    """Run a use case from a button; a refusal shows on the page it came from, with its status."""
    try:
        with unit_of_work() as session:
            result = action(session)
    except Refusal as refusal:
        if refusal.status == 404 and not refusal.errors:
            raise
        return page(call_id, refusal_errors(refusal), status=refusal.status)
    flash(translate(success, **{key: value(result) if callable(value) else value for key, value in values.items()}))
    return None


@blp.route("/calls/<int:call_id>/jury", methods=["GET", "POST"])
@page_requires(MANAGER)
def jury_page(call_id):
    if request.method == "GET":
        return _jury_page(call_id)
    data, errors = load_form(JurySettingsFormSchema(), request.form)
    if errors:
        return _jury_page(call_id, errors, request.form, 422)
    try:
        with unit_of_work() as session:
            jury.update_jury(session, call_id, data, utcnow(), _me())
    except Refusal as refusal:
        return _jury_page(call_id, refusal_errors(refusal), request.form, refusal.status)
    flash(translate("The jury's settings are saved."))
    return redirect(url_for("manager_jury_pages.jury_page", call_id=call_id))


@blp.post("/calls/<int:call_id>/jury/members")
@page_requires(MANAGER)
def add_member(call_id):
    data, errors = load_form(PanelMemberFormSchema(), request.form)
    if errors:
        return _jury_page(call_id, errors, status=422)
    refused = _act(call_id, _jury_page, lambda session: jury.add_panel_member(session, call_id, data["juror_id"],
                                                                             utcnow(), _me()),
                   "%(name)s is on the panel.", name=lambda profile: profile.name)
    return refused or redirect(url_for("manager_jury_pages.jury_page", call_id=call_id))


@blp.post("/calls/<int:call_id>/jury/members/<int:juror_id>/remove")
@page_requires(MANAGER)
def remove_member(call_id, juror_id):
    refused = _act(call_id, _jury_page, lambda session: jury.remove_panel_member(session, call_id, juror_id,
                                                                                utcnow(), _me()),
                   "The juror is off the panel.")
    return refused or redirect(url_for("manager_jury_pages.jury_page", call_id=call_id))


@blp.post("/calls/<int:call_id>/jury/deliberation")
@page_requires(MANAGER)
def open_deliberation(call_id):
    refused = _act(call_id, _jury_page, lambda session: jury.open_deliberation(session, call_id, utcnow(), _me()),
                   "The deliberation is open: jurors see each other's reviews.")
    return refused or redirect(url_for("manager_jury_pages.jury_page", call_id=call_id))


# --- Assignments -----------------------------------------------------------------------------------------


def _assignments_page(call_id: int, errors: dict | None = None, status: int = 200):
    session = db_session()
    return render_template(
        "manager/jury_assignments.html", call=calls.get_call(session, call_id),
        settings=jury.jury_settings(session, call_id), rows=jury.call_assignments(session, call_id),
        members=jury.panel(session, call_id), errors=errors or {},
    ), status


@blp.get("/calls/<int:call_id>/jury/assignments")
@page_requires(MANAGER)
def assignments(call_id):
    return _assignments_page(call_id)


@blp.post("/calls/<int:call_id>/jury/assignments/automatic")
@page_requires(MANAGER)
def assign_automatically(call_id):
    try:
        with unit_of_work() as session:
            run = jury.assign_automatically(session, call_id, utcnow(), _me())
    except Refusal as refusal:
        return _assignments_page(call_id, refusal_errors(refusal), refusal.status)
    flash(translate("Assignments added: %(count)s.", count=run.added))
    if run.unfilled:
        flash(translate("Some applications still lack reviews: no juror is free for them. Add jurors to the panel."),
              "error")
    return redirect(url_for("manager_jury_pages.assignments", call_id=call_id))


@blp.post("/calls/<int:call_id>/jury/assignments")
@page_requires(MANAGER)
def assign_by_hand(call_id):
    data, errors = load_form(AssignmentFormSchema(), request.form)
    if errors:
        return _assignments_page(call_id, errors, 422)
    refused = _act(call_id, _assignments_page, lambda session: jury.assign_by_hand(
        session, call_id, data["application_id"], data["juror_id"], utcnow(), _me()), "Juror assigned.")
    return refused or redirect(url_for("manager_jury_pages.assignments", call_id=call_id))


@blp.post("/calls/<int:call_id>/jury/assignments/<int:assignment_id>/remove")
@page_requires(MANAGER)
def unassign(call_id, assignment_id):
    refused = _act(call_id, _assignments_page, lambda session: jury.unassign(session, assignment_id, utcnow(), _me()),
                   "Assignment taken back.")
    return refused or redirect(url_for("manager_jury_pages.assignments", call_id=call_id))


@blp.post("/calls/<int:call_id>/jury/reviews/<int:review_id>/reopen")
@page_requires(MANAGER)
def reopen_review(call_id, review_id):
    refused = _act(call_id, _assignments_page, lambda session: jury.reopen_review(session, review_id, utcnow(), _me()),
                   "The review is a draft again: its juror can change it.")
    return refused or redirect(url_for("manager_jury_pages.assignments", call_id=call_id))


# --- Declarations and flags --------------------------------------------------------------------------------


def _declarations_page(call_id: int, errors: dict | None = None, status: int = 200):
    session = db_session()
    return render_template(
        "manager/jury_declarations.html", call=calls.get_call(session, call_id),
        declarations=jury.declarations(session, call_id), flags=jury.flags(session, call_id),
        log=jury.log_of(session, call_id), errors=errors or {},
    ), status


@blp.get("/calls/<int:call_id>/jury/declarations")
@page_requires(MANAGER)
def declarations(call_id):
    return _declarations_page(call_id)


@blp.post("/calls/<int:call_id>/jury/declarations/<int:declaration_id>/reopen")
@page_requires(MANAGER)
def reopen_declaration(call_id, declaration_id):
    refused = _act(call_id, _declarations_page, lambda session: jury.reopen_declaration(
        session, declaration_id, utcnow(), _me()), "The declaration is reopened: the juror declares again.")
    return refused or redirect(url_for("manager_jury_pages.declarations", call_id=call_id))


@blp.post("/calls/<int:call_id>/jury/flags/<int:flag_id>")
@page_requires(MANAGER)
def decide_flag(call_id, flag_id):
    data, errors = load_form(FlagDecisionFormSchema(), request.form)
    if errors:
        return _declarations_page(call_id, errors, 422)
    refused = _act(call_id, _declarations_page, lambda session: jury.decide_flag(
        session, flag_id, data["decision"], utcnow(), _me()),
        "Flag confirmed: the juror is recused." if data["decision"] == "confirm" else "Flag cleared.")
    return refused or redirect(url_for("manager_jury_pages.declarations", call_id=call_id))


# --- The ranking --------------------------------------------------------------------------------------------


@blp.get("/calls/<int:call_id>/jury/ranking")
@page_requires(MANAGER)
def ranking(call_id):
    ranked = jury.call_ranking(db_session(), call_id)
    names = {member.account_id: member.name for member in jury.panel(db_session(), call_id)}
    return render_template("manager/jury_ranking.html", call=ranked.call, ranked=ranked, result=ranked.ranking,
                           settings=ranked.jury, tie_rule=TIE_RULE, juror_names=names)


@blp.get("/calls/<int:call_id>/jury/ranking.csv")
@page_requires(MANAGER)
def ranking_csv(call_id):
    return csv_download(jury.ranking_csv(db_session(), call_id, current_language()), f"call-{call_id}-ranking.csv")


@blp.get("/calls/<int:call_id>/jury/reviews.csv")
@page_requires(MANAGER)
def reviews_csv(call_id):
    return csv_download(jury.reviews_csv(db_session(), call_id, current_language()), f"call-{call_id}-reviews.csv")
