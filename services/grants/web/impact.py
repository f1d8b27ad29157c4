"""Impact's pages: the funders' indicators report (fund managers and the referent), the supported
firms and their manual status (fund managers), the public page on alternative funding where
anyone signed in asks the referent for advice, and the referent's queue and records.

Same use cases as the API; forms are read by the API's schemas (`schemas/impact.py`). Every page
works without JavaScript; the report's charts are SVG drawn here, each with its table.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from services.grants import advice, charts, impact, indicators
from services.grants.api.impact import csv_response
from services.grants.models import FIRM_STATUSES, MECHANISMS
from services.grants.schemas.impact import (
    AdviceRequestInputSchema,
    AdviceSessionFormSchema,
    FundingFormSchema,
    ManualStatusInputSchema,
    ReportQuerySchema,
)
from services.grants.survival import MIN_AT_RISK, NO_CLOSURE_YET, TOO_FEW_AT_RISK, UNDEFINED_INTERVAL
from services.grants.web.public import page_helpers
from shared.accounts.sessions import page_account, page_requires, sign_in_url
from shared.core.clock import to_paris, utcnow
from shared.core.refusal import INVALID, Refusal
from shared.web.i18n import current_language, translate
from shared.web.pages import load_form, refusal_errors
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("impact_pages", __name__)

MANAGER = "fund_manager"
REFERENT = "referent"

MECHANISM_NAMES = {
    "crowdfunding": "Crowdfunding", "patronage": "Patronage (mécénat)", "bpifrance": "Bpifrance",
    "regional_investment_fund": "Regional investment funds", "foundation": "Foundations", "bank_loan": "Bank loan",
    "other": "Other",
}
STATUS_NAMES = {"active": "Active", "ceased": "Ceased", "unknown": "Unknown", "invalid": "Unreadable answer"}
KIND_NAMES = {"grant": "Grant", "crowdfunding": "Crowdfunding", "matchfunding": "Matchfunding",
              "both": "Grant and crowdfunding"}
DECLARED_NAMES = {
    "own_funds": "Own funds", "bank_loan": "Bank loan", "crowdfunding": "Crowdfunding",
    "other_public_funding": "Other public funding", "private_sponsor": "Private sponsor",
}
REASONS = {
    TOO_FEW_AT_RISK: "Too few firms still followed to say (fewer than %(count)s)",
    NO_CLOSURE_YET: "No closure yet: no interval can be given",
    UNDEFINED_INTERVAL: "No interval can be given",
}


@blp.context_processor
def _helpers():
    language = current_language()
    return {
        **page_helpers(),
        "mechanism_name": lambda code: translate(MECHANISM_NAMES.get(code, code)),
        "mechanism_names": lambda codes: ", ".join(translate(MECHANISM_NAMES.get(c, c)) for c in codes or ()),
        "firm_status_name": lambda code: translate(STATUS_NAMES.get(code, code)) if code else "—",
        "support_kind_name": lambda code: translate(KIND_NAMES.get(code, code)),
        "declared_name": lambda code: translate(DECLARED_NAMES.get(code, code)),
        "percent": lambda value: charts.percent(value, language) if value is not None else "—",
        "day": lambda value: value.strftime("%d/%m/%Y") if value else "—",
        "mechanisms": MECHANISMS,
    }


def _me() -> int:
    return page_account().id


def _today():
    return to_paris(utcnow()).date()


# --- The report ----------------------------------------------------------------------------------


def point_text(point) -> str:
    """S(t) with its interval, or why there is none, in the page's language."""
    if point.stated:
        language = current_language()
        return translate("%(survival)s (95%% interval %(low)s to %(high)s)", survival=charts.percent(point.survival, language),
                         low=charts.percent(point.low, language), high=charts.percent(point.high, language))
    return translate(REASONS[point.reason], count=MIN_AT_RISK)


def _charts(found: indicators.Report) -> dict:
    language = current_language()
    series = [charts.CurveSeries(translate("Supported firms"), found.supported.curve)]
    if found.comparison.curve.years:
        series.append(charts.CurveSeries(translate("Comparison group (scored, not selected)"), found.comparison.curve))
    references = [charts.ReferenceMark(translate("France, firms created in %(cohort)s (%(source)s)", cohort=b["cohort"],
                                                 source=b["source"]), 5, b["survival"]) for b in found.baselines]
    survival_chart = charts.survival_chart(series, references, charts.ChartText(
        title=translate("Survival of supported firms since their first support"),
        description=translate("Kaplan-Meier survival curves with their 95% confidence bands; the figures are in the "
                              "table below."),
        x_axis=translate("Years since first support"), y_axis=translate("Firms still active")),
        language=language)
    objectives = charts.objectives_chart([charts.YearBar(o.year, o.grants, o.objective) for o in found.outputs],
                                         charts.BarChartText(
        title=translate("Grants awarded against the objective, per year"),
        description=translate("One bar per year for the grants awarded, the objective as a dashed line; the figures "
                              "are in the table above."),
        grants=translate("Grants awarded"), objective=translate("Objective"), y_axis=translate("Number of grants")),
        language=language)
    return {"survival_chart": survival_chart, "objectives_chart": objectives,
            "curve_drawn": len(found.supported.curve.years) >= 2}


def _query() -> tuple[dict, dict]:
    data, errors = load_form(ReportQuerySchema(), request.args)
    return data, errors


@blp.get("/manage/impact")
@page_requires(MANAGER, REFERENT)
def report():
    query, errors = _query()
    if errors:
        return render_template("impact/report.html", report=None, errors={"form": [translate(INVALID)], **errors},
                               values=request.args), 422
    try:
        found = indicators.report(db_session(), query.get("year_from"), query.get("year_to"))
    except Refusal as refusal:
        return render_template("impact/report.html", report=None, errors=refusal_errors(refusal),
                               values=request.args), refusal.status, refusal.headers
    return render_template("impact/report.html", report=found, errors={}, values=request.args, point_text=point_text,
                           tables=indicators.CSV_TABLES, min_at_risk=MIN_AT_RISK,
                           referent_rows=list(zip(found.referent_sessions, found.referent_funding)), **_charts(found))


@blp.get("/manage/impact/report/<string:table>.csv")
@page_requires(MANAGER, REFERENT)
def report_csv(table):
    query, errors = _query()
    if errors:
        raise Refusal(422, INVALID, errors)
    found = indicators.report(db_session(), query.get("year_from"), query.get("year_to"))
    header, rows = indicators.csv_rows(found, table)
    return csv_response(header, rows, f"impact-{table}-{found.year_from}-{found.year_to}.csv")


# --- Supported firms -------------------------------------------------------------------------------


@blp.get("/manage/impact/firms")
@page_requires(MANAGER)
def firms():
    return render_template("impact/firms.html", firms=impact.list_firms(db_session()),
                           follow_up=impact.firm_follow_up)


def _firm_page(firm_id: int, *, errors: dict | None = None, values: dict | None = None, status: int = 200):
    session = db_session()
    firm = impact.get_firm(session, firm_id)
    return render_template("impact/firm.html", firm=firm, checks=impact.checks_of(session, firm_id),
                           manual=impact.manual_statuses_of(session, firm_id), follow_up=impact.firm_follow_up(firm),
                           statuses=FIRM_STATUSES, errors=errors or {}, values=values or {}), status


@blp.get("/manage/impact/firms/<int:firm_id>")
@page_requires(MANAGER)
def firm(firm_id):
    return _firm_page(firm_id)


@blp.post("/manage/impact/firms/<int:firm_id>/status")
@page_requires(MANAGER)
def firm_status(firm_id):
    data, errors = load_form(ManualStatusInputSchema(), request.form)
    if errors:
        return _firm_page(firm_id, errors={"form": [translate(INVALID)], **errors}, values=request.form, status=422)
    try:
        with unit_of_work() as session:
            impact.record_manual_status(session, firm_id, data, utcnow(), _me())
    except Refusal as refusal:
        return _firm_page(firm_id, errors=refusal_errors(refusal), values=request.form, status=refusal.status)
    flash(translate("The status is recorded."))
    return redirect(url_for("impact_pages.firm", firm_id=firm_id))


# --- Advice: the public page and the referent's queue ------------------------------------------------


def _advice_page(*, errors: dict | None = None, values: dict | None = None, status: int = 200):
    account = page_account()
    mine = advice.own_requests(db_session(), account.id) if account else []
    return render_template("impact/advice.html", account=account, mine=mine, errors=errors or {},
                           values=values or {}, sign_in=sign_in_url()), status


@blp.get("/advice")
def advice_page():
    return _advice_page()


@blp.post("/advice")
@page_requires()
def ask_advice():
    data, errors = load_form(AdviceRequestInputSchema(), request.form, list_fields=("mechanisms",))
    if errors:
        return _advice_page(errors={"form": [translate(INVALID)], **errors}, values=request.form, status=422)
    try:
        with unit_of_work() as session:
            advice.request_advice(session, _me(), data, utcnow())
    except Refusal as refusal:
        return _advice_page(errors=refusal_errors(refusal), values=request.form, status=refusal.status)
    flash(translate("Your request is sent: the referent will write to you."))
    return redirect(url_for("impact_pages.advice_page"))


def _queue_page(*, errors: dict | None = None, values: dict | None = None, status: int = 200, form: str = ""):
    session = db_session()
    return render_template("impact/referent.html", open_requests=advice.requests_of(session, "open"),
                           sessions=advice.sessions_of(session), funding=advice.funding_of(session),
                           errors=errors or {}, values=values or {}, failed_form=form, today=_today().isoformat()), status


@blp.get("/referent/advice")
@page_requires(REFERENT)
def queue():
    return _queue_page()


@blp.post("/referent/advice/sessions")
@page_requires(REFERENT)
def record_session():
    data, errors = load_form(AdviceSessionFormSchema(), request.form, list_fields=("mechanisms",))
    form = f"session-{request.form.get('request_id') or 'new'}"
    if errors:
        return _queue_page(errors={"form": [translate(INVALID)], **errors}, values=request.form, status=422, form=form)
    try:
        with unit_of_work() as session:
            advice.record_session(session, _me(), data, utcnow())
    except Refusal as refusal:
        return _queue_page(errors=refusal_errors(refusal), values=request.form, status=refusal.status, form=form)
    flash(translate("The advice session is recorded."))
    return redirect(url_for("impact_pages.queue"))


@blp.post("/referent/alternative-funding")
@page_requires(REFERENT)
def record_funding():
    data, errors = load_form(FundingFormSchema(), request.form)
    if errors:
        return _queue_page(errors={"form": [translate(INVALID)], **errors}, values=request.form, status=422,
                           form="funding")
    try:
        with unit_of_work() as session:
            advice.record_funding(session, _me(), data, utcnow())
    except Refusal as refusal:
        return _queue_page(errors=refusal_errors(refusal, {"amount_cents": "amount"}), values=request.form,
                           status=refusal.status, form="funding")
    flash(translate("The funding is recorded."))
    return redirect(url_for("impact_pages.queue"))
