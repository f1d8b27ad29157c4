"""The backer's pages: the pledge form (a visitor signs in or signs up from it and comes back),
the card page with Stripe.js's card field (the one place that needs JavaScript), a pledge's page
(its status, the transfer's IBAN and reference, changing and cancelling it) and "my pledges".
Same use cases and schemas as the API; amounts in euros."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from services.crowdfunding import campaigns, config, pledges, recovery
from services.crowdfunding.schemas.pledges import PledgeChangeFormSchema, PledgeFormSchema
from shared.accounts.sessions import page_account, page_requires
from shared.core.clock import utcnow
from shared.core.money import euros_text
from shared.core.refusal import INVALID, Refusal
from shared.web.i18n import current_language, translate
from shared.web.pages import load_form, refusal_errors, refusal_message
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("backer_pages", __name__)

BACKER = "backer"
FORM_NAMES = {"amount_cents": "amount"}


def _me() -> int:
    return page_account().id


def _payments():
    return current_app.extensions["payments"]


def transfer_details(pledge) -> dict:
    return {"iban": config.platform_iban(), "bic": config.platform_bic(), "holder": config.platform_account_holder(),
            "reference": pledge.reference}


# --- The pledge form ---------------------------------------------------------------------------


def _pledge_page(campaign, values: dict, errors: dict | None = None, status: int = 200):
    now = utcnow()
    view = campaigns.campaign_view(db_session(), campaign, now)
    account = page_account()
    return render_template(
        "backer/pledge.html", campaign=campaign, view=view, values=values, errors=errors or {},
        account=account, is_backer=account is not None and account.has_any(BACKER),
    ), status


@blp.route("/campaigns/<int:campaign_id>/pledge", methods=["GET", "POST"])
def pledge_form(campaign_id):
    """Anyone sees the form; a visitor is offered to sign in or to sign up, and comes back here."""
    now = utcnow()
    campaign = campaigns.get_public_campaign(db_session(), campaign_id, now)
    if not campaigns.accepts_pledges(campaign, now):
        raise Refusal(409, "This campaign has ended: it no longer takes pledges.")
    if request.method == "GET":
        tier = request.args.get("tier", type=int)
        minimum = next((t.minimum_cents for t in campaign.tiers if t.id == tier), None)
        values = {"tier_id": str(tier) if tier else "", "method": "card",
                  "amount": euros_text(minimum, current_language()) if minimum else ""}
        return _pledge_page(campaign, values)

    account = page_account()
    if account is None:
        return redirect(url_for("backer_pages.pledge_form", campaign_id=campaign.id))
    if not account.has_any(BACKER):
        return _pledge_page(campaign, request.form, status=403)
    data, errors = load_form(PledgeFormSchema(), request.form)
    if errors:
        return _pledge_page(campaign, request.form, {"form": [translate(INVALID)], **_named(errors)}, 422)
    try:
        with unit_of_work() as session:
            pledge = pledges.create_pledge(session, _me(), campaign.id, data, now, config.pledge_hold_minutes())
    except Refusal as refusal:
        return _pledge_page(campaign, request.form, refusal_errors(refusal, FORM_NAMES), refusal.status)
    if pledge.method == "card":
        return redirect(url_for("backer_pages.card_page", pledge_id=pledge.id))
    flash(translate("Thank you! Your pledge is recorded: it counts once your transfer arrives."))
    return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge.id))


def _named(errors: dict) -> dict:
    return {FORM_NAMES.get(name, name): messages for name, messages in errors.items()}


# --- The card ------------------------------------------------------------------------------------


@blp.get("/pledges/<int:pledge_id>/card")
@page_requires(BACKER)
def card_page(pledge_id):
    """The card field: the server made the SetupIntent; Stripe.js saves the card with it."""
    now = utcnow()
    pledge = pledges.get_own_pledge(db_session(), _me(), pledge_id)
    if pledge.status != "pending":
        return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge.id))
    setup = pledges.set_up_card(unit_of_work, _payments(), _me(), pledge_id, now)
    pledge = pledges.get_own_pledge(db_session(), _me(), pledge_id)
    return render_template("backer/card.html", pledge=pledge, setup=setup, campaign=pledge.campaign)


@blp.post("/pledges/<int:pledge_id>/card")
@page_requires(BACKER)
def card_saved(pledge_id):
    """Stripe.js says the card is saved: the server asks Stripe itself before confirming."""
    result = pledges.confirm_card(unit_of_work, _payments(), _me(), pledge_id, utcnow())
    if result.outcome in ("confirmed", "already_confirmed"):
        flash(translate("Thank you! Your pledge is confirmed: your card is saved, and nothing is charged before "
                        "the campaign closes."))
        return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge_id))
    if result.outcome == "cancelled":
        flash(translate("Your pledge could not be confirmed: the reward sold out or the campaign closed meanwhile. "
                        "Your card was not kept."), "error")
        return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge_id))
    message = result.pledge.card_error or translate("Your card is not saved yet: enter it in the card field.")
    flash(message, "error")
    return redirect(url_for("backer_pages.card_page", pledge_id=pledge_id))


# --- A pledge, and "my pledges" ----------------------------------------------------------------------


def _render_pledge(pledge, values=None, errors=None, status=200):
    now = utcnow()
    view = campaigns.campaign_view(db_session(), pledge.campaign, now)
    return render_template(
        "backer/pledge_detail.html", pledge=pledge, campaign=pledge.campaign, view=view,
        open=pledges.is_open(pledge, now), transfer=transfer_details(pledge),
        values=values if values is not None else {
            "amount": euros_text(pledge.amount_cents, current_language()),
            "tier_id": str(pledge.tier_id or ""), "public_name": "on" if pledge.public_name else "",
        },
        errors=errors or {},
    ), status


@blp.route("/pledges/<int:pledge_id>", methods=["GET", "POST"])
@page_requires(BACKER)
def pledge_page(pledge_id):
    pledge = pledges.get_own_pledge(db_session(), _me(), pledge_id)
    if request.method == "GET":
        return _render_pledge(pledge)
    data, errors = load_form(PledgeChangeFormSchema(), request.form)
    if errors:
        return _render_pledge(pledge, request.form, {"form": [translate(INVALID)], **_named(errors)}, 422)
    try:
        with unit_of_work() as session:
            pledges.change_pledge(session, _me(), pledge_id, data, utcnow())
    except Refusal as refusal:
        pledge = pledges.get_own_pledge(db_session(), _me(), pledge_id)
        return _render_pledge(pledge, request.form, refusal_errors(refusal, FORM_NAMES), refusal.status)
    flash(translate("Your pledge is changed."))
    return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge_id))


@blp.post("/pledges/<int:pledge_id>/cancel")
@page_requires(BACKER)
def cancel(pledge_id):
    try:
        with unit_of_work() as session:
            pledges.cancel_pledge(session, _me(), pledge_id, utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        flash(refusal_message(refusal), "error")
    else:
        flash(translate("Your pledge is cancelled: nothing will be charged for it."))
    return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge_id))


@blp.get("/pledges")
@page_requires(BACKER)
def my_pledges():
    return render_template("backer/pledges.html", pledges=pledges.my_pledges(db_session(), _me()), now=utcnow(),
                           is_open=pledges.is_open)


# --- The recovery page: finishing a payment the bank refused at the close ----------------------------


def _recovery_page(pledge_id: int, with_card: bool, authenticate_secret: str | None = None, status: int = 200):
    now = utcnow()
    state = recovery.payment_state(unit_of_work, _payments(), _me(), pledge_id)
    open_ = state.pledge.payment_status == "action_needed" and now < state.expires_at
    secret = authenticate_secret or state.client_secret
    setup = None
    if open_ and (with_card or secret is None):
        setup = recovery.new_card(unit_of_work, _payments(), _me(), pledge_id, now)
    return render_template("backer/pay.html", state=state, pledge=state.pledge, campaign=state.pledge.campaign,
                           open=open_, client_secret=secret if open_ else None, setup=setup,
                           js_url=state.js_url, publishable_key=state.publishable_key), status


@blp.get("/pledges/<int:pledge_id>/pay")
@page_requires(BACKER)
def pay_page(pledge_id):
    """Where the backer completes 3-D Secure, or gives another card, before the deadline."""
    return _recovery_page(pledge_id, with_card=request.args.get("card") == "1")


@blp.post("/pledges/<int:pledge_id>/pay/check")
@page_requires(BACKER)
def pay_checked(pledge_id):
    """Stripe.js finished the authentication: the server reads the payment at Stripe."""
    try:
        charged = recovery.check_payment(current_app.extensions["db"], _payments(), _me(), pledge_id, utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        flash(refusal_message(refusal), "error")
        return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge_id))
    if charged.outcome in ("paid", "already_paid"):
        flash(translate("Thank you! Your payment went through."))
        return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge_id))
    flash(translate("The payment is not done yet: confirm it with your bank, or give another card."), "error")
    return redirect(url_for("backer_pages.pay_page", pledge_id=pledge_id))


@blp.post("/pledges/<int:pledge_id>/pay/card")
@page_requires(BACKER)
def pay_with_card(pledge_id):
    """Stripe.js saved another card: the server charges it now."""
    try:
        paid = recovery.pay_with_card(current_app.extensions["db"], _payments(), _me(), pledge_id,
                                      request.form.get("setup_intent_id", ""), utcnow())
    except Refusal as refusal:
        if refusal.status == 404:
            raise
        flash(refusal_message(refusal), "error")
        return redirect(url_for("backer_pages.pay_page", pledge_id=pledge_id, card=1))
    if paid.outcome in ("paid", "already_paid"):
        flash(translate("Thank you! Your payment went through."))
        return redirect(url_for("backer_pages.pledge_page", pledge_id=pledge_id))
    if paid.outcome == "requires_action":
        return _recovery_page(pledge_id, with_card=False, authenticate_secret=paid.client_secret)
    flash(translate("This card was declined too: try another one."), "error")
    return redirect(url_for("backer_pages.pay_page", pledge_id=pledge_id, card=1))
