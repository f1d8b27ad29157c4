"""Matchfunding as the API reads and writes it (amounts in integer cents), and the pages' forms
(amounts in euros, read by the same rules)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from services.grants.matching import DEFAULT_CAP_PER_PLEDGE_CENTS, DEFAULT_PLEDGES_PER_BACKER, DEFAULT_RATIO_PERCENT
from services.grants.schemas.awards import BANK_REFERENCE
from shared.core.fields import Id, Trimmed
from shared.core.money import Cents, Euros

NAME = validate.Length(min=1, max=200, error="Give the pot a name of 1 to 200 characters.")
RATIO = validate.Range(min=1, max=1000, error="The ratio is a percentage of the pledge, from 1 to 1000 (100 is 1:1).")
PER_BACKER = validate.Range(min=1, max=100, error="From 1 to 100 pledges per backer.")
CAP = validate.Range(min=1, error="An amount above zero.")


class PotInputSchema(Schema):
    name = Trimmed(required=True, validate=NAME)
    amount_cents = Cents(required=True, validate=CAP, metadata={"description": "Set aside from the fund's envelope"})
    ratio_percent = fields.Integer(strict=True, load_default=DEFAULT_RATIO_PERCENT, validate=RATIO,
                                   metadata={"description": "The match in percent of the pledge: 100 is 1:1"})
    cap_per_pledge_cents = Cents(load_default=DEFAULT_CAP_PER_PLEDGE_CENTS, validate=CAP)
    cap_per_campaign_cents = Cents(load_default=None, allow_none=True, validate=CAP,
                                   metadata={"description": "None: no cap but the pot's"})
    pledges_per_backer = fields.Integer(strict=True, load_default=DEFAULT_PLEDGES_PER_BACKER, validate=PER_BACKER,
                                        metadata={"description": "Matched pledges per backer per campaign"})


class PotChangeSchema(Schema):
    name = Trimmed(validate=NAME)
    amount_cents = Cents(validate=CAP)
    ratio_percent = fields.Integer(strict=True, validate=RATIO)
    cap_per_pledge_cents = Cents(validate=CAP)
    cap_per_campaign_cents = Cents(allow_none=True, validate=CAP)
    pledges_per_backer = fields.Integer(strict=True, validate=PER_BACKER)
    status = fields.String(validate=validate.OneOf(("closed",), error="A pot can only be closed."), metadata={
        "description": "closed: it matches no more pledges and keeps only what its matches hold"})


class PotSchema(Schema):
    id = fields.Integer()
    fund_id = fields.Integer()
    name = fields.String()
    amount_cents = fields.Integer()
    ratio_percent = fields.Integer()
    cap_per_pledge_cents = fields.Integer()
    cap_per_campaign_cents = fields.Integer(allow_none=True)
    pledges_per_backer = fields.Integer()
    status = fields.String()
    reserved_cents = fields.Integer()
    committed_cents = fields.Integer()
    paid_cents = fields.Integer()
    held_cents = fields.Integer()
    left_cents = fields.Integer()
    matches = fields.Integer()
    campaigns = fields.Integer()


class LinkInputSchema(Schema):
    campaign_id = Id(required=True)
    award_id = Id(load_default=None, allow_none=True, metadata={
        "description": "The award whose organisation has the campaign owner's SIREN; none: approved by the fund manager"})


class OwnerLinkInputSchema(Schema):
    campaign_id = Id(required=True)
    award_id = Id(required=True)


class MatchCampaignSchema(Schema):
    campaign_id = fields.Integer()
    title = fields.String()
    legal_name = fields.String()
    siret = fields.String(allow_none=True)
    pot_id = fields.Integer(allow_none=True)
    award_id = fields.Integer(allow_none=True)
    qualified_via = fields.String(allow_none=True, metadata={"description": "award, approval, or none"})
    linked_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)


class PayoutSchema(Schema):
    campaign_id = fields.Integer()
    campaign_title = fields.Function(lambda payout: payout.campaign.title)
    legal_name = fields.Function(lambda payout: payout.campaign.legal_name)
    pot_id = fields.Integer()
    fund_id = fields.Integer()
    amount_cents = fields.Integer()
    status = fields.String(metadata={"description": "committed, paid or cancelled"})
    committed_at = fields.AwareDateTime()
    paid_on = fields.Date(allow_none=True)
    bank_reference = fields.String(allow_none=True)


class PayoutPaymentSchema(Schema):
    paid_on = fields.Date(required=True, metadata={"description": "The date of the transfer (YYYY-MM-DD)"})
    bank_reference = Trimmed(required=True, validate=BANK_REFERENCE)


# --- The pages' forms ----------------------------------------------------------------------------------


def _blank_is_none(form: dict, names: tuple[str, ...]) -> dict:
    return {key: value for key, value in form.items() if not (key in names and str(value).strip() == "")}


class PotFormSchema(PotInputSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount", required=True, validate=CAP)
    cap_per_pledge_cents = Euros(data_key="cap_per_pledge", load_default=DEFAULT_CAP_PER_PLEDGE_CENTS, validate=CAP)
    cap_per_campaign_cents = Euros(data_key="cap_per_campaign", load_default=None, allow_none=True, validate=CAP)
    ratio_percent = fields.Integer(load_default=DEFAULT_RATIO_PERCENT, validate=RATIO)
    pledges_per_backer = fields.Integer(load_default=DEFAULT_PLEDGES_PER_BACKER, validate=PER_BACKER)

    @pre_load
    def _blanks(self, form, **kwargs):
        return _blank_is_none(dict(form), ("cap_per_pledge", "cap_per_campaign", "ratio_percent", "pledges_per_backer"))


class PotChangeFormSchema(PotChangeSchema):
    class Meta:
        unknown = EXCLUDE

    amount_cents = Euros(data_key="amount", validate=CAP)
    cap_per_pledge_cents = Euros(data_key="cap_per_pledge", validate=CAP)
    cap_per_campaign_cents = Euros(data_key="cap_per_campaign", allow_none=True, validate=CAP)
    ratio_percent = fields.Integer(validate=RATIO)
    pledges_per_backer = fields.Integer(validate=PER_BACKER)


class LinkFormSchema(LinkInputSchema):
    class Meta:
        unknown = EXCLUDE

    campaign_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2_147_483_647))
    award_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2_147_483_647))

    @pre_load
    def _blanks(self, form, **kwargs):
        return _blank_is_none(dict(form), ("award_id",))


class PayoutPaymentFormSchema(PayoutPaymentSchema):
    class Meta:
        unknown = EXCLUDE
