"""The platform's accounts API: sign-up, email confirmation, sign-in and sign-out, password reset
and change, who am I, roles taken with one click, invitations, and the public keys (JWKS)."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from services.accounts import accounts
from services.accounts.config import INVITED_ROLES, SELF_ADDED_ROLES, SELF_SERVICE_ROLES
from services.accounts.ratelimit import check_email, check_sign_in
from shared.accounts.auth import current_principal, require_roles
from shared.core.events import LANGUAGES
from shared.web.blueprint import Blueprint
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


class SignUpAnswerSchema(Schema):
    email = fields.String(metadata={"description": "The address the confirmation link goes to"})
    message = fields.String()


class DetailsSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class RoleSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(SELF_ADDED_ROLES))


class InvitationInputSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organisation = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    siren = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{9}$"))
    roles = fields.List(fields.String(validate=validate.OneOf(INVITED_ROLES)), required=True,
                        validate=validate.Length(min=1, max=3))


class InvitationSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    organisation = fields.String(allow_none=True)
    siren = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    created_at = fields.AwareDateTime()
    accepted_at = fields.AwareDateTime(allow_none=True)


class AcceptInvitationSchema(Schema):
    token = fields.String(required=True)
    password = fields.String(load_default=None, load_only=True, validate=validate.Length(min=10, max=200))
    language = fields.String(load_default="fr", validate=validate.OneOf(LANGUAGES))


SIGN_UP_ANSWER = "If this address can receive email, a link is on its way to it: open it to confirm your account."


def _token_answer(account) -> dict:
    settings = current_app.config["SETTINGS"]
    token = current_app.extensions["signer"].mint(account, "access", settings.token_ttl_seconds)
    return {"access_token": token, "token_type": "Bearer", "expires_in": settings.token_ttl_seconds}


blp = Blueprint("accounts", __name__, url_prefix="/api", description="The platform's accounts and sign-in")


@blp.route("/accounts")
class Accounts(MethodView):
    @blp.arguments(sign_up_schema(SELF_SERVICE_ROLES))
    @blp.response(202, SignUpAnswerSchema)
    @blp.alt_response(429, description=LIMITED)
    @blp.alt_response(503, description=UNAVAILABLE)
    def post(self, data):
        """Sign up; a confirmation link is sent by email.

        The answer is the same whether the address already has an account or not (its owner is
        told by email instead), so nobody can learn who has an account here. The password must
        be hard to guess (zxcvbn); names lose control characters; an address must be
        deliverable without SMTPUTF8 (ASCII before the @; an internationalised domain is kept in
        its IDNA form)."""
        role = data.pop("role")
        check_email(data["email"])
        with unit_of_work() as session:
            accounts.create_account(session, current_app.config["SETTINGS"], roles=[role], **data)
        return {"email": accounts.deliverable_email(data["email"]), "message": SIGN_UP_ANSWER}


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
        """Sign in: exchange an email and password for an access token, valid on every service."""
        check_sign_in(data["email"])
        return _token_answer(accounts.sign_in(db_session(), data["email"], data["password"]))


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


@blp.route("/accounts/me")
class Me(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles()
    @blp.response(200, AccountSchema)
    def get(self):
        """The signed-in account."""
        return accounts.get_account(db_session(), current_principal().account_id)

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles()
    @blp.arguments(DetailsSchema)
    @blp.response(200, AccountSchema)
    def patch(self, changes):
        """Change your name or language (every service learns it)."""
        with unit_of_work() as session:
            return accounts.update_details(session, current_principal().account_id, changes)


@blp.route("/accounts/me/password")
class PasswordChange(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, TokenSchema)
    def post(self, data):
        """Change your password: every session and token issued before ends; a new token comes back."""
        with unit_of_work() as session:
            account = accounts.change_password(
                session, current_principal().account_id, data["current_password"], data["new_password"]
            )
        return _token_answer(account)


@blp.route("/accounts/me/roles")
class MyRoles(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles()
    @blp.arguments(RoleSchema)
    @blp.response(200, TokenSchema)
    def post(self, data):
        """Take a role with the same account (an applicant becomes a campaign owner); a token with
        the new role comes back."""
        with unit_of_work() as session:
            account = accounts.take_role(session, current_principal().account_id, data["role"])
        return _token_answer(account)


@blp.route("/invitations")
class Invitations(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("fund_manager", "admin")
    @blp.arguments(InvitationInputSchema)
    @blp.response(201, InvitationSchema)
    def post(self, data):
        """Invite a juror, a referent or a fund manager by email (fund managers and admins)."""
        with unit_of_work() as session:
            return accounts.invite(session, current_app.config["SETTINGS"], current_principal().account_id, data)


@blp.route("/invitations/accept")
class AcceptInvitation(MethodView):
    @blp.arguments(AcceptInvitationSchema)
    @blp.response(200, TokenSchema)
    def post(self, data):
        """Accept an invitation with the token of its link: a newcomer chooses a password; a person
        who has an account gets the roles added."""
        with unit_of_work() as session:
            account = accounts.accept_invitation(
                session, current_app.config["SETTINGS"], data["token"], data["password"], data["language"]
            )
        return _token_answer(account)
