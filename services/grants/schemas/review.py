"""The fund manager's reading of applications."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.grants.models import APPLICATION_STATUSES
from shared.core.organisations import SECTORS
from services.grants.schemas.calls import CHOICE


class ApplicationFilterSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(APPLICATION_STATUSES, error=CHOICE))
    sector = fields.String(load_default=None, validate=validate.OneOf(SECTORS, error=CHOICE))
    eligible = fields.Boolean(load_default=None, allow_none=True)


class CsvQuerySchema(ApplicationFilterSchema):
    lang = fields.String(load_default="fr", validate=validate.OneOf(("fr", "en"), error=CHOICE),
                         metadata={"description": "Language of the column names and labels"})


class OrganisationSchema(Schema):
    legal_name = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    siret = fields.String(allow_none=True)
    rna = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    sector = fields.String(allow_none=True)
    head_count = fields.Integer(allow_none=True)


class FundingSourceSchema(Schema):
    kind = fields.String()
    amount_cents = fields.Integer()
    description = fields.String()


class DocumentSchema(Schema):
    kind = fields.String()
    filename = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.AwareDateTime(allow_none=True)


class ApplicationSummarySchema(Schema):
    """One line of a call's list (an ApplicationView)."""

    id = fields.Integer(attribute="application.id")
    call_id = fields.Integer(attribute="application.call_id")
    status = fields.String(attribute="application.status")
    eligible = fields.Boolean(attribute="application.eligible", allow_none=True)
    receipt_number = fields.String(attribute="application.receipt_number", allow_none=True)
    submitted_at = fields.AwareDateTime(attribute="application.submitted_at", allow_none=True)
    project_title = fields.Function(lambda view: view.value("project_title"))
    requested_cents = fields.Function(lambda view: view.value("requested_cents"))
    total_budget_cents = fields.Function(lambda view: view.value("total_budget_cents"))
    other_funding_cents = fields.Integer()
    applicant_name = fields.String()
    applicant_email = fields.String()
    organisation = fields.Nested(OrganisationSchema)


class ApplicationDetailSchema(ApplicationSummarySchema):
    summary = fields.Function(lambda view: view.value("summary"))
    description = fields.Function(lambda view: view.value("description"))
    jobs_expected = fields.Function(lambda view: view.value("jobs_expected"))
    timeline = fields.Function(lambda view: view.value("timeline"))
    withdrawn_at = fields.AwareDateTime(attribute="application.withdrawn_at", allow_none=True)
    funding_sources = fields.List(fields.Nested(FundingSourceSchema))
    documents = fields.List(fields.Nested(DocumentSchema))
    snapshot = fields.Dict(attribute="application.snapshot", allow_none=True,
                           metadata={"description": "The application as submitted, frozen; null for a draft"})
