"""The accounts API every service serves: sign-up, email confirmation, sign-in and sign-out,
password reset and change, who am I."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from shared.web.blueprint import Blueprint
from marshmallow import Schema, fields, validate

from shared.accounts import models as accounts
from shared.accounts.auth import current_principal, require_roles, token_for
from shared.accounts.ratelimit import check_email, check_sign_in
from shared.core.events import LANGUAGES
from shared.core.refusal import Refusal
from shared.web.service_app import db_session, unit_of_work

LIMITED = "Above the limits per address and per client (see Retry-After)"
UNAVAILABLE = "The limits' store (Redis) does not answer: refused rather than unlimited"


class SignUpSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    language = fields.String(load_default="fr", validate=validate.OneOf(LANGUAGES))


def sign_up_schema(self_service_roles: tuple[str, ...]) -> type[SignUpSchema]:
    """SignUpSchema with the roles a service lets people choose: an enum in its OpenAPI document,
    the first one by default."""
    return type(
        "SignUpSchema",
        (SignUpSchema,),
        {
            "role": fields.String(
                load_default=self_service_roles[0],
                validate=validate.OneOf(self_service_roles, error="Choose one of the roles offered."),
            )
        },
    )


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


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))


def accounts_blueprint(self_service_roles: tuple[str, ...]) -> Blueprint:
    blp = Blueprint("accounts", __name__, url_prefix="/api", description="Accounts and sign-in")

    @blp.route("/accounts")
    class Accounts(MethodView):
        @blp.arguments(sign_up_schema(self_service_roles))
        @blp.response(201, AccountSchema)
        @blp.alt_response(429, description=LIMITED)
        @blp.alt_response(503, description=UNAVAILABLE)
        def post(self, data):
            """Sign up; a confirmation link is sent by email.

            The password must be hard to guess (zxcvbn); names lose control characters; an address
            must be deliverable without SMTPUTF8 (ASCII before the @; an internationalised domain
            is kept in its IDNA form)."""
            role = data.pop("role")
            check_email(data["email"])
            with unit_of_work() as session:
                return accounts.create_account(session, current_app.config["SETTINGS"], roles=[role], **data)

    @blp.route("/accounts/confirm")
    class Confirm(MethodView):
        @blp.arguments(ConfirmSchema)
        @blp.response(200, AccountSchema)
        def post(self, data):
            """Confirm an email address with the token from the link."""
            with unit_of_work() as session:
                return accounts.confirm_email(session, current_app.config["SETTINGS"], data["token"])

    @blp.route("/accounts/password-reset")
    class PasswordResetRequest(MethodView):
        @blp.arguments(ResetRequestSchema)
        @blp.response(202)
        @blp.alt_response(429, description=LIMITED)
        @blp.alt_response(503, description=UNAVAILABLE)
        def post(self, data):
            """Ask for a password reset link by email (the answer is the same for unknown addresses)."""
            check_email(data["email"])
            with unit_of_work() as session:
                accounts.request_password_reset(session, current_app.config["SETTINGS"], data["email"])
            return ""

    @blp.route("/accounts/password")
    class PasswordReset(MethodView):
        @blp.arguments(ResetSchema)
        @blp.response(200, AccountSchema)
        def post(self, data):
            """Set a new password with the token from the reset link; every session and token of the
            account issued before ends."""
            with unit_of_work() as session:
                return accounts.reset_password(session, current_app.config["SETTINGS"], data["token"], data["password"])

    @blp.route("/auth/token")
    class Token(MethodView):
        @blp.arguments(SignInSchema)
        @blp.response(200, TokenSchema)
        @blp.alt_response(429, description=LIMITED)
        @blp.alt_response(503, description=UNAVAILABLE)
        def post(self, data):
            """Sign in: exchange an email and password for an access token."""
            settings = current_app.config["SETTINGS"]
            check_sign_in(data["email"])
            token = token_for(settings, accounts.sign_in(db_session(), data["email"], data["password"]))
            return {"access_token": token, "token_type": "Bearer", "expires_in": settings.token_ttl_seconds}

    @blp.route("/auth/sign-out")
    class SignOut(MethodView):
        @blp.doc(security=[{"bearerAuth": []}])
        @require_roles()
        @blp.response(204)
        def post(self):
            """Sign out everywhere: this token and every session and token issued before it stop working."""
            with unit_of_work() as session:
                accounts.sign_out(session, current_principal().account_id)
            return ""

    @blp.route("/accounts/me/password")
    class PasswordChange(MethodView):
        @blp.doc(security=[{"bearerAuth": []}])
        @require_roles()
        @blp.arguments(PasswordChangeSchema)
        @blp.response(200, TokenSchema)
        def post(self, data):
            """Change your password: every session and token issued before ends; a new token comes back."""
            settings = current_app.config["SETTINGS"]
            with unit_of_work() as session:
                account = accounts.change_password(
                    session, current_principal().account_id, data["current_password"], data["new_password"]
                )
            return {"access_token": token_for(settings, account), "token_type": "Bearer",
                    "expires_in": settings.token_ttl_seconds}

    @blp.route("/accounts/me")
    class Me(MethodView):
        @blp.doc(security=[{"bearerAuth": []}])
        @require_roles()
        @blp.response(200, AccountSchema)
        def get(self):
            """The signed-in account."""
            account = db_session().get(accounts.Account, current_principal().account_id)
            if account is None:
                raise Refusal(404, "This account no longer exists.")
            return account

    return blp
