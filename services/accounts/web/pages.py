"""The platform's account pages: sign-up, email confirmation, sign-in and sign-out, password reset,
the session's renewal, invitations, and "my account" (details, roles, password). They call the
same use cases as the API; signing in sets the platform's session cookie for every service."""
from __future__ import annotations

import re
import time
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from services.accounts import accounts
from services.accounts.api.accounts import (
    DetailsSchema,
    InvitationInputSchema,
    PasswordChangeSchema,
    ResetRequestSchema,
    ResetSchema,
    RoleSchema,
    SignInSchema,
    sign_up_schema,
)
from services.accounts.config import INVITED_ROLES, SELF_ADDED_ROLES, SELF_SERVICE_ROLES
from services.accounts.ratelimit import check_email, check_sign_in
from shared.accounts.auth import SESSION_COOKIE
from shared.accounts.sessions import due_for_renewal, page_account, page_requires, session_claims
from shared.core.events import LANGUAGES
from shared.core.refusal import Refusal
from shared.web.i18n import current_language, translate
from shared.core.config import platform_public_url
from shared.web.pages import load_form, refusal_errors, refusal_message, safe_next
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("accounts_pages", __name__)
SIGN_UP_FORM = sign_up_schema(SELF_SERVICE_ROLES)


class InviteFormSchema(InvitationInputSchema):
    """The fund manager's invitation form: one role chosen in a list (a juror by default)."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _one_role(self, form: dict, **kwargs) -> dict:
        data = {key: value for key, value in form.items() if key != "role"}
        data["roles"] = [form["role"]] if form.get("role") else []
        return data


class InvitationFormSchema(Schema):
    password = fields.String(load_default=None, validate=validate.Length(min=10, max=200))
    language = fields.String(load_default="fr", validate=validate.OneOf(LANGUAGES))


def _settings():
    return current_app.config["SETTINGS"]


# Characters a browser drops or reads as "/" in an address (see shared.web.pages.safe_next).
_NOT_IN_AN_ADDRESS = re.compile(r"[\\\x00-\x20\x7f]")


def _safe_next(target: str | None) -> str:
    """Where to send a person after signing in or out: a page of the platform (a path on this site,
    or an address under the platform's one address), never a page elsewhere."""
    settings = _settings()
    home = settings.public_url_of("grants") + "/"
    if target and not _NOT_IN_AN_ADDRESS.search(target):
        parsed, platform = urlparse(target), urlparse(platform_public_url())
        if parsed.scheme in ("http", "https") and (parsed.scheme, parsed.netloc) == (platform.scheme, platform.netloc):
            return target
    return safe_next(target, home)


def _set_session(response, account, auth_time: int):
    """The platform's session cookie: renewed for SESSION_IDLE_SECONDS, never past the lifetime."""
    settings = _settings()
    lifetime_left = auth_time + settings.session_lifetime_seconds - int(time.time())
    ttl = max(1, min(settings.session_idle_seconds, lifetime_left))
    token = current_app.extensions["signer"].mint(account, "session", ttl, auth_time=auth_time)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=ttl, path="/", httponly=True, samesite="Lax",
        secure=settings.public_url.startswith("https://"),
    )
    return response


def _end_session(response):
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax")
    return response


@blp.before_app_request
def _renew_when_due():
    # Read before the view runs: a view that signs out or in sets its own cookie after.
    g.renew = due_for_renewal()


@blp.after_app_request
def _renew(response):
    """The accounts service renews an active person's session on its own pages, in place."""
    claims = g.pop("renew", None)
    if claims is not None and SESSION_COOKIE not in response.headers.get("Set-Cookie", ""):
        _set_session(response, accounts.get_account(db_session(), claims.account_id), claims.auth_time)
    return response


@blp.route("/signup", methods=["GET", "POST"])
def sign_up():
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = request.form
        data, errors = load_form(SIGN_UP_FORM(), request.form)
        status = 422
        if not errors:
            role = data.pop("role")
            try:
                check_email(data["email"])
                with unit_of_work() as session:
                    accounts.create_account(session, _settings(), roles=[role], **data)
            except Refusal as refusal:
                errors, status = refusal_errors(refusal), refusal.status
            else:
                # The same words whether the address had an account or not.
                flash(translate("Account created: open the link we sent you by email to confirm your address."))
                return redirect(url_for("accounts_pages.sign_in"))
    return render_template(
        "accounts/sign_up.html", errors=errors, values=values, roles=SELF_SERVICE_ROLES,
        default_language=current_language(),
    ), (status if errors else 200)


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
        status = 422
        if not errors:
            try:
                check_sign_in(data["email"])
                account = accounts.sign_in(db_session(), data["email"], data["password"])
            except Refusal as refusal:
                errors, status = {"form": [refusal_message(refusal)]}, refusal.status
            else:
                response = redirect(_safe_next(request.args.get("next")))
                return _set_session(response, account, int(time.time()))
    return render_template("accounts/sign_in.html", errors=errors, values=values), status


@blp.route("/signout", methods=["GET", "POST"])
def sign_out():
    """GET asks (a link from any service's header); POST signs out everywhere."""
    account = page_account()
    if request.method == "GET":
        return render_template("accounts/sign_out.html", account=account)
    if account is not None:
        # Every copy of this session's cookie stops working, not only the browser's own.
        with unit_of_work() as session:
            accounts.sign_out(session, account.account_id)
    flash(translate("You are signed out."))
    return _end_session(redirect(url_for("accounts_pages.sign_in")))


@blp.get("/session")
def renew_session():
    """An active person's session, renewed for another idle period (within its lifetime)."""
    claims = session_claims()
    target = _safe_next(request.args.get("next"))
    if claims is None or page_account() is None:
        return _end_session(redirect(url_for("accounts_pages.sign_in", next=target)))
    account = accounts.get_account(db_session(), claims.account_id)
    return _set_session(redirect(target), account, claims.auth_time)


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
                return _end_session(redirect(url_for("accounts_pages.sign_in")))
    return render_template("accounts/reset.html", errors=errors, token=token), (422 if errors else 200)


@blp.route("/invitations/new", methods=["GET", "POST"])
@page_requires("fund_manager", "admin")
def invite():
    """Fund managers invite jurors (with their organisation and its SIREN, which the grants
    service compares with applicants' for conflicts of interest), referents and fund managers."""
    back = request.args.get("next")
    errors, values, status = {}, {"role": request.args.get("role", "juror")}, 200
    if request.method == "POST":
        values = request.form
        data, errors = load_form(InviteFormSchema(), request.form)
        status = 422
        if not errors:
            try:
                with unit_of_work() as session:
                    invitation = accounts.invite(session, _settings(), page_account().id, data)
            except Refusal as refusal:
                errors, status = refusal_errors(refusal), refusal.status
            else:
                flash(translate("Invitation sent to %(email)s.", email=invitation.email))
                return redirect(url_for("accounts_pages.invite", **({"next": back} if back else {})))
    return render_template("accounts/invite.html", errors=errors, values=values, roles=INVITED_ROLES,
                           back=_safe_next(back) if back else None), (status if errors else 200)


@blp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    with unit_of_work() as session:
        invited = accounts.open_invitation(session, _settings(), token)
        has_account = accounts.find_by_email(session, invited.email) is not None
        shown = {"email": invited.email, "name": invited.name, "roles": list(invited.roles),
                 "organisation": invited.organisation}
    errors, status = {}, 200
    if request.method == "POST":
        data, errors = load_form(InvitationFormSchema(), request.form)
        status = 422
        if not errors:
            try:
                with unit_of_work() as session:
                    account = accounts.accept_invitation(session, _settings(), token, data["password"], data["language"])
            except Refusal as refusal:
                errors, status = refusal_errors(refusal), refusal.status
            else:
                flash(translate("Welcome: your invitation is accepted."))
                return _set_session(redirect(url_for("accounts_pages.my_account")), account, int(time.time()))
    return render_template("accounts/invitation.html", invitation=shown, has_account=has_account,
                           errors=errors), (status if errors else 200)


@blp.route("/account", methods=["GET", "POST"])
@page_requires()
def my_account():
    person = page_account()
    errors, status = {}, 200
    if request.method == "POST":
        action = request.form.get("action")
        schema = {"details": DetailsSchema(), "role": RoleSchema(), "password": PasswordChangeSchema()}.get(action)
        if schema is None:
            raise Refusal.invalid("action", "Unknown action.")
        form = request.form.copy()
        form.pop("action")  # which form of the page, not a field of it
        data, errors = load_form(schema, form)
        status = 422
        if not errors:
            try:
                with unit_of_work() as session:
                    if action == "details":
                        account = accounts.update_details(session, person.account_id, data)
                    elif action == "role":
                        account = accounts.take_role(session, person.account_id, data["role"])
                    else:
                        account = accounts.change_password(
                            session, person.account_id, data["current_password"], data["new_password"])
            except Refusal as refusal:
                errors, status = refusal_errors(refusal), refusal.status
            else:
                flash(translate("Saved."))
                response = redirect(url_for("accounts_pages.my_account"))
                # A new password ends the older sessions, this one included: it starts again here.
                auth_time = int(time.time()) if action == "password" else session_claims().auth_time
                return _set_session(response, account, auth_time)
    account = accounts.get_account(db_session(), person.account_id)
    return render_template("accounts/account.html", account=account, errors=errors,
                           addable=[role for role in SELF_ADDED_ROLES if role not in account.roles],
                           languages=LANGUAGES), status
