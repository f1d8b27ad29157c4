"""People's pages for accounts, the same on every service that has pages: sign-up, email
confirmation, sign-in and sign-out, password reset. They call the same use cases as the API."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from shared.accounts import models as accounts
from shared.accounts.api import ResetRequestSchema, ResetSchema, SignInSchema, sign_up_schema
from shared.accounts.ratelimit import check_email, check_sign_in
from shared.accounts.sessions import page_account, sign_in_page, sign_out_page, signed_in_to
from shared.core.refusal import Refusal
from shared.web.i18n import current_language, translate
from shared.web.pages import load_form, refusal_errors, refusal_message, safe_next
from shared.web.service_app import db_session, unit_of_work


def accounts_pages_blueprint(self_service_roles: tuple[str, ...]) -> Blueprint:
    blp = Blueprint("accounts_pages", __name__, template_folder="templates")

    def _settings():
        return current_app.config["SETTINGS"]

    sign_up_form = sign_up_schema(self_service_roles)

    @blp.route("/signup", methods=["GET", "POST"])
    def sign_up():
        errors, values, status = {}, {}, 200
        if request.method == "POST":
            values = request.form
            data, errors = load_form(sign_up_form(), request.form)
            if not errors:
                role = data.pop("role")
                try:
                    check_email(data["email"])
                    with unit_of_work() as session:
                        accounts.create_account(session, _settings(), roles=[role], **data)
                except Refusal as refusal:
                    errors, status = refusal_errors(refusal), refusal.status
                else:
                    flash(translate("Account created: open the link we sent you by email to confirm your address."))
                    return redirect(url_for("accounts_pages.sign_in"))
        return render_template(
            "accounts/sign_up.html", errors=errors, values=values, roles=self_service_roles,
            default_language=current_language(),
        ), (status if status != 200 else 422) if errors else 200

    @blp.get("/accounts/confirm/<token>")
    def confirm(token):
        with unit_of_work() as session:
            accounts.confirm_email(session, _settings(), token)
        flash(translate("Your email address is confirmed: you can sign in."))
        return redirect(url_for("accounts_pages.sign_in"))

    @blp.route("/signin", methods=["GET", "POST"])
    def sign_in():
        errors, values = {}, {}
        status = 200
        if request.method == "POST":
            values = request.form
            data, errors = load_form(SignInSchema(), request.form)
            if not errors:
                try:
                    check_sign_in(data["email"])
                    account = accounts.sign_in(db_session(), data["email"], data["password"])
                except Refusal as refusal:
                    errors, status = {"form": [refusal_message(refusal)]}, refusal.status
                else:
                    sign_in_page(account)
                    return redirect(safe_next(request.args.get("next")))
            else:
                status = 422
        return render_template("accounts/sign_in.html", errors=errors, values=values), status

    @blp.post("/signout")
    def sign_out():
        account = page_account()
        if account is not None:
            # Every copy of this session's cookie stops working, not only the browser's own.
            with unit_of_work() as session:
                accounts.sign_out(session, account.id)
        sign_out_page()
        return redirect(safe_next(None))

    @blp.route("/accounts/reset", methods=["GET", "POST"])
    def reset_request():
        errors = {}
        if request.method == "POST":
            data, errors = load_form(ResetRequestSchema(), request.form)
            if not errors:
                check_email(data["email"])
                with unit_of_work() as session:
                    accounts.request_password_reset(session, _settings(), data["email"])
                flash(translate("If an account uses this address, we sent it a link to choose a new password."))
                return redirect(url_for("accounts_pages.sign_in"))
        return render_template("accounts/reset_request.html", errors=errors), (422 if errors else 200)

    @blp.route("/accounts/reset/<token>", methods=["GET", "POST"])
    def reset(token):
        errors = {}
        if request.method == "POST":
            data, errors = load_form(ResetSchema(), {**request.form, "token": token})
            if not errors:
                try:
                    with unit_of_work() as session:
                        accounts.reset_password(session, _settings(), token, data["password"])
                except Refusal as refusal:
                    if refusal.status != 422:
                        raise
                    errors = refusal_errors(refusal)
                else:
                    flash(translate("Your password is changed: you can sign in."))
                    return redirect(url_for("accounts_pages.sign_in"))
        return render_template("accounts/reset.html", errors=errors, token=token), (422 if errors else 200)

    blp.add_app_template_global(page_account)
    blp.add_app_template_global(signed_in_to)
    return blp
