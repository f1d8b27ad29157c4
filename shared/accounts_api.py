"""The accounts API every service serves: sign-up, email confirmation, sign-in, who am I."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from shared import accounts
from shared.auth import current_principal, require_roles
from shared.events import LANGUAGES
from shared.ratelimit import sign_in_allowed


class SignUpSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    language = fields.String(load_default="fr", validate=validate.OneOf(LANGUAGES))
    role = fields.String(load_default=None)


class AccountSchema(Schema):
    id = fields.Integer()
    email = fields.Email()
    name = fields.String()
    roles = fields.List(fields.String())
    language = fields.String()
    confirmed = fields.Function(lambda account: account.confirmed_at is not None)


class SignInSchema(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class ConfirmSchema(Schema):
    token = fields.String(required=True)


class ResetRequestSchema(Schema):
    email = fields.Email(required=True)


class ResetSchema(Schema):
    token = fields.String(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))


def _abort(error: accounts.AccountError):
    errors = {"json": {error.field: [error.message]}} if error.field else {}
    abort(error.status, message=error.message, messages=errors)


def accounts_blueprint(self_service_roles: tuple[str, ...]) -> Blueprint:
    from shared.service_app import db_session

    blp = Blueprint("accounts", __name__, url_prefix="/api", description="Accounts and sign-in")

    @blp.route("/accounts")
    class Accounts(MethodView):
        @blp.arguments(SignUpSchema)
        @blp.response(201, AccountSchema)
        def post(self, data):
            """Sign up; a confirmation link is sent by email."""
            role = data.pop("role") or self_service_roles[0]
            if role not in self_service_roles:
                abort(422, messages={"json": {"role": [f"Must be one of: {', '.join(self_service_roles)}."]}})
            try:
                return accounts.create_account(
                    db_session(), current_app.config["SETTINGS"], roles=[role], **data
                )
            except accounts.AccountError as error:
                _abort(error)

    @blp.route("/accounts/confirm")
    class Confirm(MethodView):
        @blp.arguments(ConfirmSchema)
        @blp.response(200, AccountSchema)
        def post(self, data):
            """Confirm an email address with the token from the link."""
            try:
                return accounts.confirm_email(db_session(), current_app.config["SETTINGS"], data["token"])
            except accounts.AccountError as error:
                _abort(error)

    @blp.route("/accounts/password-reset")
    class PasswordResetRequest(MethodView):
        @blp.arguments(ResetRequestSchema)
        @blp.response(202)
        def post(self, data):
            """Ask for a password reset link by email (the answer is the same for unknown addresses)."""
            accounts.request_password_reset(db_session(), current_app.config["SETTINGS"], data["email"])
            return ""

    @blp.route("/accounts/password")
    class PasswordReset(MethodView):
        @blp.arguments(ResetSchema)
        @blp.response(200, AccountSchema)
        def post(self, data):
            """Set a new password with the token from the reset link."""
            try:
                return accounts.reset_password(
                    db_session(), current_app.config["SETTINGS"], data["token"], data["password"]
                )
            except accounts.AccountError as error:
                _abort(error)

    @blp.route("/auth/token")
    class Token(MethodView):
        @blp.arguments(SignInSchema)
        @blp.response(200, TokenSchema)
        def post(self, data):
            """Sign in: exchange an email and password for an access token."""
            settings = current_app.config["SETTINGS"]
            if not sign_in_allowed(data["email"]):
                abort(429, message="Too many attempts: wait a minute and try again.")
            try:
                _, token = accounts.sign_in(db_session(), settings, data["email"], data["password"])
            except accounts.AccountError as error:
                _abort(error)
            return {"access_token": token, "token_type": "Bearer", "expires_in": settings.token_ttl_seconds}

    @blp.route("/accounts/me")
    class Me(MethodView):
        @blp.doc(security=[{"bearerAuth": []}])
        @require_roles()
        @blp.response(200, AccountSchema)
        def get(self):
            """The signed-in account."""
            account = db_session().get(accounts.Account, current_principal().account_id)
            if account is None:
                abort(404, message="This account no longer exists.")
            return account

    return blp
