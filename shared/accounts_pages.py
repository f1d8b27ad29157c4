"""People's pages for accounts, the same on every service that has pages: sign-up, email
confirmation, sign-in and sign-out, password reset. They call the same use cases as the API."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from shared import accounts
from shared.accounts_api import ResetRequestSchema, ResetSchema, SignInSchema, SignUpSchema
from shared.i18n import current_language, translate
from shared.pages import load_form, page_account, sign_in_page, sign_out_page
from shared.ratelimit import sign_in_allowed


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never send a person elsewhere after signing in.
    if target and urlparse(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def accounts_pages_blueprint(self_service_roles: tuple[str, ...]) -> Blueprint:
    from shared.service_app import db_session

    blp = Blueprint("accounts_pages", __name__)

    def _settings():
        return current_app.config["SETTINGS"]

    @blp.route("/signup", methods=["GET", "POST"])
    def sign_up():
        errors, values = {}, {}
        if request.method == "POST":
            values = request.form
            data, errors = load_form(SignUpSchema(), request.form)
            if not errors:
                role = data.pop("role") or self_service_roles[0]
                if role not in self_service_roles:
                    errors = {"role": [translate("Choose one of the roles offered.")]}
                else:
                    try:
                        accounts.create_account(db_session(), _settings(), roles=[role], **data)
                    except accounts.AccountError as error:
                        errors = {error.field or "form": [translate(error.message)]}
                    else:
                        flash(translate("Account created: open the link we sent you by email to confirm your address."))
                        return redirect(url_for("accounts_pages.sign_in"))
        return render_template(
            "accounts/sign_up.html", errors=errors, values=values, roles=self_service_roles,
            default_language=current_language(),
        ), (422 if errors else 200)

    @blp.get("/accounts/confirm/<token>")
    def confirm(token):
        try:
            accounts.confirm_email(db_session(), _settings(), token)
        except accounts.AccountError as error:
            return render_template("error.html", code=error.status, message=translate(error.message)), error.status
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
                if not sign_in_allowed(data["email"]):
                    errors, status = {"form": [translate("Too many attempts: wait a minute and try again.")]}, 429
                else:
                    try:
                        account, _token = accounts.sign_in(db_session(), _settings(), data["email"], data["password"])
                    except accounts.AccountError as error:
                        errors, status = {"form": [translate(error.message)]}, error.status
                    else:
                        sign_in_page(account)
                        return redirect(_safe_next(request.args.get("next")))
            else:
                status = 422
        return render_template("accounts/sign_in.html", errors=errors, values=values), status

    @blp.post("/signout")
    def sign_out():
        sign_out_page()
        return redirect("/")

    @blp.route("/accounts/reset", methods=["GET", "POST"])
    def reset_request():
        errors = {}
        if request.method == "POST":
            data, errors = load_form(ResetRequestSchema(), request.form)
            if not errors:
                accounts.request_password_reset(db_session(), _settings(), data["email"])
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
                    accounts.reset_password(db_session(), _settings(), token, data["password"])
                except accounts.AccountError as error:
                    return render_template("error.html", code=error.status, message=translate(error.message)), error.status
                flash(translate("Your password is changed: you can sign in."))
                return redirect(url_for("accounts_pages.sign_in"))
        return render_template("accounts/reset.html", errors=errors, token=token), (422 if errors else 200)

    blp.add_app_template_global(page_account)
    return blp
