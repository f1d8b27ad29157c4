"""The close as the API reads and writes it: charging progress, the recovery page's payment,
refunds, the cancellation, the statement and the payout."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.crowdfunding.schemas.campaigns import UtcInstant
from shared.core.money import Cents

CHOICE = "Must be one of the choices offered."
REASON = validate.Length(min=1, max=2000)


class ChargeProgressSchema(Schema):
    outcome = fields.String(allow_none=True, metadata={"description": "succeeded, failed, cancelled; null before the close"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "Pledges per payment status: paid, to_charge, action_needed, failed, released"})
    cents = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()
    settled = fields.Integer()
    percent_settled = fields.Integer()


class PaymentStateSchema(Schema):
    pledge_id = fields.Function(lambda state: state.pledge.id)
    payment_status = fields.Function(lambda state: state.pledge.payment_status)
    amount_cents = fields.Function(lambda state: state.pledge.amount_cents)
    reason = fields.String(allow_none=True, metadata={"description": "authentication_required, card_declined..."})
    expires_at = UtcInstant(allow_none=True)
    client_secret = fields.String(allow_none=True, metadata={
        "description": "When the bank asks for authentication: for Stripe.js confirmCardPayment"})
    payment_method_id = fields.String(allow_none=True)
    publishable_key = fields.String()
    js_url = fields.String()


class ChargedSchema(Schema):
    outcome = fields.String()


class NewCardChargeSchema(Schema):
    setup_intent_id = fields.String(required=True, validate=validate.Length(min=1, max=255))


class CardPaymentSchema(Schema):
    outcome = fields.String(metadata={"description": "paid, already_paid, requires_action, card_refused, waiting"})
    client_secret = fields.String(allow_none=True)
    payment_method_id = fields.String(allow_none=True)
    message = fields.String(allow_none=True)


class RefundInputSchema(Schema):
    amount_cents = Cents(load_default=None, allow_none=True, metadata={"description": "Omitted: all that is left"})
    reason = fields.String(required=True, validate=REASON)


class RefundDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "refused"), error=CHOICE))
    reason = fields.String(load_default=None, allow_none=True, validate=REASON)


class RefundSchema(Schema):
    id = fields.Integer()
    pledge_id = fields.Integer()
    amount_cents = fields.Integer()
    reason = fields.String()
    status = fields.String(metadata={"description": "requested, refused, approved (being sent), succeeded, failed"})
    requested_at = UtcInstant()
    decided_at = UtcInstant(allow_none=True)
    refusal_reason = fields.String(allow_none=True)
    refunded_at = UtcInstant(allow_none=True)


class CancelInputSchema(Schema):
    reason = fields.String(required=True, validate=REASON)


class CampaignOutcomeSchema(Schema):
    id = fields.Integer()
    outcome = fields.String(allow_none=True)
    closed_at = UtcInstant(allow_none=True)
    cancelled_at = UtcInstant(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    payout_cents = fields.Integer(allow_none=True)
    payout_reference = fields.String(allow_none=True)
    payout_recorded_at = UtcInstant(allow_none=True)


class StatementSchema(Schema):
    pledged_cents = fields.Integer()
    paid_cents = fields.Integer()
    failed_cents = fields.Integer()
    refunded_cents = fields.Integer()
    pending_cents = fields.Integer()
    stripe_fee_cents = fields.Integer(allow_none=True, metadata={"description": "null: not reported by Stripe"})
    stripe_fee_reported = fields.Boolean()
    stripe_fee_known_cents = fields.Integer()
    platform_fee_percent = fields.Function(lambda figures: str(figures.platform_fee_percent))
    platform_fee_cents = fields.Integer()
    net_cents = fields.Integer()


class PayoutInputSchema(Schema):
    amount_cents = Cents(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=140))
