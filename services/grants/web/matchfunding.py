"""Matchfunding's page for the fund manager: a fund's matching pots (set one aside, resize it,
change its rules, close it), the campaigns each matches (link one to an award or approve it, or
stop matching it), and the payouts to successful campaigns' owners (record the transfer).

Same use cases as the API, forms read by the form schemas of `schemas/matchfunding.py` (euros);
each action is a form of its own, and works without JavaScript."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from services.grants import awards, calls, matchfunding
from services.grants.models import ACTIVE_AWARD_STATUSES, Award
from services.grants.schemas.matchfunding import (
    LinkFormSchema,
    PayoutPaymentFormSchema,
    PotChangeFormSchema,
    PotFormSchema,
)
from services.grants.web.public import page_helpers
from shared.accounts.sessions import page_account, page_requires
from shared.core.clock import to_paris, utcnow
from shared.core.money import euros_text
from shared.core.refusal import INVALID, Refusal
from shared.web.i18n import current_language, translate
from shared.web.pages import load_form, refusal_errors
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("match_pages", __name__)

MANAGER = "fund_manager"
# The API's field names as the forms name them (the forms' amounts are in euros).
FORM_NAMES = {"amount_cents": "amount", "cap_per_pledge_cents": "cap_per_pledge",
              "cap_per_campaign_cents": "cap_per_campaign"}
POT_STATUS_NAMES = {"open": "Matching pledges", "closed": "Closed to new pledges"}
PAYOUT_STATUS_NAMES = {"committed": "Committed, to pay", "paid": "Paid", "cancelled": "Cancelled: the matches were released"}
QUALIFIED_NAMES = {"award": "Linked to an award", "approval": "Approved by the fund manager"}
OUTCOME_NAMES = {"succeeded": "Succeeded", "failed": "Failed", "cancelled": "Cancelled by the fund manager"}


@blp.context_processor
def _helpers():
    return {
        **page_helpers(),
        "pot_status": lambda code: translate(POT_STATUS_NAMES.get(code, code)),
        "payout_status": lambda code: translate(PAYOUT_STATUS_NAMES.get(code, code)),
        "qualified_name": lambda code: translate(QUALIFIED_NAMES.get(code, code)) if code else translate("Not matched"),
        "outcome_name": lambda code: translate(OUTCOME_NAMES.get(code, code)) if code else translate("Not closed yet"),
        "euros_text": lambda cents: euros_text(cents, current_language()),
        "today": to_paris(utcnow()).date().isoformat(),
    }


def _me() -> int:
    return page_account().id


def _page(fund_id: int, *, errors=None, values=None, status=200, form: str | None = None):
    session = db_session()
    fund = calls.get_fund(session, fund_id)
    pots = [matchfunding.pot_figures(session, pot) for pot in matchfunding.fund_pots(session, fund_id)]
    linked = {pot.id: matchfunding.pot_campaigns(session, pot.id) for pot in pots}
    known = matchfunding.known_campaigns(session)
    held = matchfunding.campaign_held(session, [campaign.campaign_id for campaign in known])
    fund_awards = list(session.scalars(select(Award).where(Award.fund_id == fund_id,
                                                           Award.status.in_(ACTIVE_AWARD_STATUSES))
                                       .order_by(Award.id)))
    return render_template(
        "awards/matchfunding.html", fund=fund, pots=pots, linked=linked, known=known, held=held,
        awards=fund_awards, organisation_of=awards.organisation_of,
        payouts=matchfunding.fund_payouts(session, fund_id), committed=awards.committed_cents(session, fund_id),
        remaining=awards.remaining_cents(session, fund), errors=errors or {}, values=values or {}, form=form,
    ), status


@blp.get("/manage/funds/<int:fund_id>/matchfunding")
@page_requires(MANAGER)
def matchfunding_page(fund_id):
    return _page(fund_id)


def _action(fund_id: int, schema, act, form: str, done: str):
    """Read one of the page's forms, run the use case, and come back to the page: with the
    refusal beside the form that was sent, or with `done` said."""
    data, errors = load_form(schema, request.form)
    if errors:
        errors = {FORM_NAMES.get(field, field): messages for field, messages in errors.items()}
        return _page(fund_id, errors={"form": [translate(INVALID)], **errors}, values=request.form, status=422,
                     form=form)
    try:
        with unit_of_work() as session:
            act(session, data)
    except Refusal as refusal:
        return _page(fund_id, errors=refusal_errors(refusal, FORM_NAMES), values=request.form, status=refusal.status,
                     form=form)
    flash(translate(done))
    return redirect(url_for("match_pages.matchfunding_page", fund_id=fund_id) + f"#{form}")


@blp.post("/manage/funds/<int:fund_id>/match-pots")
@page_requires(MANAGER)
def create_pot(fund_id):
    return _action(fund_id, PotFormSchema(), lambda session, data: matchfunding.create_pot(
        session, fund_id, data, utcnow(), _me()), "new-pot", "The matching pot is set aside.")


@blp.post("/manage/match-pots/<int:pot_id>/change")
@page_requires(MANAGER)
def change_pot(pot_id):
    pot = matchfunding.get_pot(db_session(), pot_id)
    return _action(pot.fund_id, PotChangeFormSchema(), lambda session, data: matchfunding.update_pot(
        session, pot_id, data, utcnow(), _me()), f"pot-{pot_id}", "The matching pot is changed.")


@blp.post("/manage/match-pots/<int:pot_id>/close")
@page_requires(MANAGER)
def close_pot(pot_id):
    pot = matchfunding.get_pot(db_session(), pot_id)
    return _action(pot.fund_id, PotChangeFormSchema(), lambda session, data: matchfunding.update_pot(
        session, pot_id, {"status": "closed"}, utcnow(), _me()), f"pot-{pot_id}",
        "The matching pot is closed: what its matches do not hold is back in the envelope.")


@blp.post("/manage/match-pots/<int:pot_id>/campaigns")
@page_requires(MANAGER)
def link(pot_id):
    pot = matchfunding.get_pot(db_session(), pot_id)
    return _action(pot.fund_id, LinkFormSchema(), lambda session, data: matchfunding.link_campaign(
        session, pot_id, data, utcnow(), _me()), f"link-{pot_id}", "The campaign's pledges are matched from now on.")


@blp.post("/manage/match-pots/<int:pot_id>/campaigns/<int:campaign_id>/unlink")
@page_requires(MANAGER)
def unlink(pot_id, campaign_id):
    pot = matchfunding.get_pot(db_session(), pot_id)
    return _action(pot.fund_id, LinkFormSchema(partial=True), lambda session, data: matchfunding.unlink_campaign(
        session, pot_id, campaign_id, utcnow()), f"link-{pot_id}",
        "The campaign's pledges to come are no longer matched.")


@blp.post("/manage/match-payouts/<int:campaign_id>/payment")
@page_requires(MANAGER)
def payout_payment(campaign_id):
    payout = matchfunding.get_payout(db_session(), campaign_id)
    return _action(payout.fund_id, PayoutPaymentFormSchema(), lambda session, data: matchfunding.record_payout_paid(
        session, campaign_id, data, utcnow(), _me()), f"payout-{campaign_id}", "The payout is recorded as paid.")
