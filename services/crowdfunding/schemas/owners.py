"""A campaign owner's organisation as the API and the page read and write it: the identifiers
checked as the grants check them (shared.core.organisations), SIREN/SIRET and RNA kept compact."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from shared.core.fields import Trimmed

from shared.core.organisations import (
    ORGANISATION_KINDS,
    SECTORS,
    InvalidPostalCode,
    check_organisation_identifiers,
    check_postal_code,
    check_rna,
    check_siren_or_siret,
)

CHOICE = "Must be one of the choices offered."


class OwnerInputSchema(Schema):
    legal_name = Trimmed(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(
        required=True, validate=validate.OneOf(ORGANISATION_KINDS, error=CHOICE),
        metadata={"description": "company, association, sole_trader or project_holder (no company yet)"},
    )
    siret = Trimmed(
        load_default=None, allow_none=True, validate=validate.Length(max=40),
        metadata={"description": "SIREN (9 digits) or SIRET (14 digits); required for a company or a sole trader"},
    )
    rna = Trimmed(
        load_default=None, allow_none=True, validate=validate.Length(max=40),
        metadata={"description": "RNA number (W and 9 digits); required for an association"},
    )
    postal_code = Trimmed(required=True, validate=validate.Length(max=10))
    city = Trimmed(required=True, validate=validate.Length(min=1, max=200))
    sector = fields.String(required=True, validate=validate.OneOf(SECTORS, error=CHOICE))

    @validates("postal_code")
    def _postal_code(self, value, **kwargs):
        try:
            check_postal_code(value)
        except InvalidPostalCode as error:
            raise ValidationError(error.message) from None

    @validates_schema(skip_on_field_errors=False)
    def _identifiers(self, data, **kwargs):
        if "kind" not in data:
            return  # already refused by its own field
        errors = check_organisation_identifiers(data["kind"], data.get("siret"), data.get("rna"))
        if errors:
            raise ValidationError({field: [message] for field, message in errors.items()})

    @post_load
    def _compact(self, data, **kwargs):
        data["siret"] = check_siren_or_siret(data["siret"]) if data.get("siret") else None
        data["rna"] = check_rna(data["rna"]) if data.get("rna") else None
        return data


class OwnerSchema(Schema):
    id = fields.Integer()
    legal_name = fields.String()
    kind = fields.String()
    siret = fields.String(allow_none=True, metadata={"description": "Compact SIREN or SIRET"})
    rna = fields.String(allow_none=True)
    postal_code = fields.String()
    city = fields.String()
    sector = fields.String()
