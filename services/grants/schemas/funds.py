"""Funds as the API reads and writes them."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.core.money import Cents, Euros


class FundInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    envelope_cents = Cents(required=True, validate=validate.Range(min=1, error="The envelope must be above zero."))
    grants_objective = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"description": "Number of grants aimed at; by default 5 the first year of a fund, 10 after."},
    )


class FundSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    year = fields.Integer()
    envelope_cents = fields.Integer()
    grants_objective = fields.Integer()
    call_ids = fields.Function(lambda fund: [call.id for call in fund.calls])


class FundFormSchema(FundInputSchema):
    """The fund form of the fund manager's pages: the envelope in euros."""

    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    envelope_cents = Euros(data_key="envelope", required=True,
                           validate=validate.Range(min=1, error="The envelope must be above zero."))
    grants_objective = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=1000))
