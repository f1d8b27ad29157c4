"""Pledges as the API reads and writes them, and the backer's forms (amounts in euros)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from services.crowdfunding.config import platform_account_holder, platform_bic, platform_iban
from services.crowdfunding.models import PLEDGE_METHODS
from services.crowdfunding.schemas.campaigns import UtcInstant
from shared.core.fields import Id, StrictBoolean
from shared.core.money import Cents, Euros

CHOICE = "Must be one of the choices offered."


class PledgeInputSchema(Schema):
    amount_cents = Cents(required=True, metadata={"description": "Whole cents, at least 100 and the tier's minimum"})
    tier_id = Id(load_default=None, allow_none=True, metadata={"description": "A reward tier of the campaign, or none"})
    public_name = StrictBoolean(load_default=False, metadata={"description": "Show the backer's name on the campaign"})
    method = fields.String(required=True, validate=validate.OneOf(PLEDGE_METHODS, error=CHOICE),
                           metadata={"description": "card (saved now, charged at the close) or transfer"})


class PledgeChangesSchema(Schema):
    amount_cents = Cents()
    tier_id = Id(allow_none=True, metadata={"description": "Another tier of the campaign; null for no reward"})
    public_name = StrictBoolean()


class TransferSchema(Schema):
    iban = fields.String()
    bic = fields.String()
    holder = fields.String()
    reference = fields.String(metadata={"description": "To write in the transfer, so that it is recognised"})


class PledgeSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    campaign_id = fields.Integer()
    tier_id = fields.Integer(allow_none=True)
    amount_cents = fields.Integer()
    public_name = fields.Boolean()
    method = fields.String()
    status = fields.String(metadata={"description": "pending (card not saved yet), awaiting_transfer, confirmed or cancelled"})
    hold_until = UtcInstant(allow_none=True, metadata={"description": "A pending card pledge keeps its place until then"})
    card_last4 = fields.String(allow_none=True)
    card_error = fields.String(allow_none=True)
    confirmed_at = UtcInstant(allow_none=True)
    cancelled_at = UtcInstant(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    created_at = UtcInstant()
    transfer = fields.Method("_transfer", allow_none=True, metadata={
        "description": "For a transfer awaited: the platform's account and the reference to write on it"})

    def _transfer(self, pledge):
        if pledge.method != "transfer" or pledge.status != "awaiting_transfer":
            return None
        return TransferSchema().dump({"iban": platform_iban(), "bic": platform_bic(),
                                      "holder": platform_account_holder(), "reference": pledge.reference})


class BackerPledgeSchema(PledgeSchema):
    """A pledge as its campaign's owner and the fund manager see it."""

    backer_name = fields.String(attribute="backer.name")
    backer_email = fields.String(attribute="backer.email")


class CardSetupSchema(Schema):
    pledge_id = fields.Integer()
    setup_intent_id = fields.String()
    client_secret = fields.String(metadata={"description": "For Stripe.js confirmCardSetup"})
    publishable_key = fields.String()
    js_url = fields.String(metadata={"description": "Where the page loads Stripe.js from"})


class CardOutcomeSchema(Schema):
    outcome = fields.String(metadata={"description": "confirmed, already_confirmed, waiting, card_refused or cancelled"})
    pledge = fields.Nested(PledgeSchema)


# --- The backer's forms --------------------------------------------------------------------------


class PledgeFormSchema(PledgeInputSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount", required=True)
    tier_id = Id(load_default=None, allow_none=True, strict=False)
    public_name = fields.Boolean(load_default=False)

    @pre_load
    def _no_reward(self, form: dict, **kwargs) -> dict:
        data = dict(form)
        if data.get("tier_id") in ("", "none"):
            data["tier_id"] = None
        return data


class PledgeChangeFormSchema(PledgeChangesSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount", required=True)
    tier_id = Id(allow_none=True, strict=False, load_default=None)
    public_name = fields.Boolean(load_default=False)

    @pre_load
    def _no_reward(self, form: dict, **kwargs) -> dict:
        data = dict(form)
        if data.get("tier_id") in ("", "none"):
            data["tier_id"] = None
        return data


class CsvQuerySchema(Schema):
    lang = fields.String(load_default="fr", validate=validate.OneOf(("fr", "en"), error=CHOICE),
                         metadata={"description": "The language of the column names and statuses"})
