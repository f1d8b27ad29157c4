"""Documents of an application: PDF uploads per required document, and their download."""
from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from services.grants import applications, config
from services.grants.schemas.applications import ApplicationDocumentSchema, DocumentUploadSchema
from shared.accounts.auth import current_principal, require_roles
from shared.core.clock import utcnow
from shared.web.blueprint import Blueprint
from shared.web.service_app import db_session, unit_of_work

blp = Blueprint("documents", __name__, url_prefix="/api", description="Documents of applications (PDF)")


@blp.route("/applications/<int:application_id>/documents/<string:code>")
class DocumentByCode(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles("applicant")
    @blp.arguments(DocumentUploadSchema, location="files")
    @blp.response(200, ApplicationDocumentSchema)
    def put(self, files, application_id, code):
        """Upload or replace one of the call's required documents (multipart field `file`).

        PDF only, checked by content (415 otherwise); at most MAX_DOCUMENT_BYTES (10 MB by
        default; 413 above); 422 for a document the call does not ask for.
        """
        upload = files["file"]
        with unit_of_work() as session:
            return applications.attach_document(
                session, current_principal().account_id, application_id, code,
                upload.stream, upload.filename, utcnow(), config.documents_dir(), config.max_document_bytes(),
            )

    @blp.doc(security=[{"bearerAuth": []}])
    @require_roles()
    @blp.response(200, {"type": "string", "format": "binary"}, description="The PDF", content_type="application/pdf")
    def get(self, application_id, code):
        """Download a document: its applicant or a fund manager."""
        principal = current_principal()
        document, handle = applications.open_document(
            db_session(), principal.account_id, principal.roles, application_id, code, config.documents_dir()
        )
        return send_file(handle, mimetype="application/pdf", as_attachment=True, download_name=document.filename)
