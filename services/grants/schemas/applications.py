"""Applications as the API reads and writes them (amounts in cents), and as the pages' forms
send them (amounts in euros)."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, fields, validate

from services.grants.applications import application_url, document_of, is_editable
from services.grants.completeness import required_documents
from services.grants.models import FUNDING_KINDS
from services.grants.schemas.calls import ParisDateTime
from shared.core.clock import utcnow
from shared.core.fields import Id, Trimmed
from shared.core.money import Cents, Euros

MAX_FUNDING_SOURCES = 20


class ApplicationFundingSourceSchema(Schema):
    kind = fields.String(
        required=True, validate=validate.OneOf(FUNDING_KINDS, error="Must be one of the choices offered."),
        metadata={"description": "own_funds, bank_loan, crowdfunding, other_public_funding or private_sponsor"},
    )
    amount_cents = Cents(required=True)
    description = Trimmed(load_default="", validate=validate.Length(max=300))


class ApplicationDraftSchema(Schema):
    """Answers of a draft: any of them, at any time; submission checks that none is missing."""

    project_title = Trimmed(validate=validate.Length(max=300))
    summary = Trimmed(validate=validate.Length(max=2000))
    description = Trimmed(validate=validate.Length(max=20000))
    requested_cents = Cents(allow_none=True)
    total_budget_cents = Cents(allow_none=True)
    jobs_expected = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=100000))
    timeline = Trimmed(validate=validate.Length(max=5000))
    funding_sources = fields.List(
        fields.Nested(ApplicationFundingSourceSchema), validate=validate.Length(max=MAX_FUNDING_SOURCES),
        metadata={"description": "Other funding of the project; when given, replaces the whole list"},
    )


class ApplicationStartSchema(ApplicationDraftSchema):
    call_id = Id(required=True)


class ApplicationDocumentSchema(Schema):
    code = fields.String(attribute="kind")
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer(metadata={"description": "Bytes"})
    uploaded_at = fields.AwareDateTime()
    download_url = fields.Method("_download_url")

    def _download_url(self, document) -> str:
        return f"/api/applications/{document.application_id}/documents/{document.kind}"


class RequiredDocumentStateSchema(Schema):
    code = fields.String()
    label_fr = fields.String()
    label_en = fields.String(allow_none=True)
    uploaded = fields.Boolean()


_REQUIRED_DOCUMENT_STATES = RequiredDocumentStateSchema(many=True)  # made once: a schema costs more to make than to use


class ApplicationSchema(Schema):
    id = fields.Integer()
    call_id = fields.Integer()
    call_title_fr = fields.Function(lambda application: application.call.title_fr)
    call_title_en = fields.Function(lambda application: application.call.title_en)
    closes_at = fields.Function(
        lambda application: ParisDateTime()._serialize(application.call.closes_at, None, None),
        metadata={"description": "The call's closing time (UTC)"},
    )
    status = fields.String(metadata={"description": "draft, submitted or withdrawn"})
    editable = fields.Function(
        lambda application: is_editable(application, utcnow()),
        metadata={"description": "Whether the draft can still be changed and submitted now"},
    )
    project_title = fields.String()
    summary = fields.String()
    description = fields.String()
    requested_cents = fields.Integer(allow_none=True)
    total_budget_cents = fields.Integer(allow_none=True)
    jobs_expected = fields.Integer(allow_none=True)
    timeline = fields.String()
    funding_sources = fields.List(fields.Nested(ApplicationFundingSourceSchema))
    documents = fields.List(fields.Nested(ApplicationDocumentSchema))
    required_documents = fields.Method("_required_documents")
    eligible = fields.Boolean(allow_none=True)
    receipt_number = fields.String(allow_none=True)
    submitted_at = ParisDateTime(allow_none=True)
    withdrawn_at = ParisDateTime(allow_none=True)
    snapshot = fields.Dict(allow_none=True, metadata={"description": "What the jury reads, frozen at submission"})
    url = fields.Function(lambda application: application_url(application.id), metadata={"description": "The page"})

    def _required_documents(self, application) -> list[dict]:
        return _REQUIRED_DOCUMENT_STATES.dump(
            [{**document, "uploaded": document_of(application, document["code"]) is not None}
             for document in required_documents(application.call)]
        )


class ApplicationListItemSchema(Schema):
    id = fields.Integer()
    call_id = fields.Integer()
    call_title_fr = fields.Function(lambda application: application.call.title_fr)
    call_title_en = fields.Function(lambda application: application.call.title_en)
    project_title = fields.String()
    status = fields.String()
    receipt_number = fields.String(allow_none=True)
    submitted_at = ParisDateTime(allow_none=True)


class DocumentUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "A PDF (checked by its content)"})


# --- The pages' forms: euros, as people write them ------------------------------------------------


class ApplicationFormSchema(ApplicationDraftSchema):
    """The application page's form: the same answers, amounts in euros."""

    class Meta:
        unknown = EXCLUDE  # the buttons and the funding rows, read apart

    requested_cents = Euros(data_key="requested_euros", allow_none=True)
    total_budget_cents = Euros(data_key="total_budget_euros", allow_none=True)
    jobs_expected = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))


class FundingSourceFormSchema(ApplicationFundingSourceSchema):
    amount_cents = Euros(data_key="amount_euros", required=True)
