"""Documents through the API: PDFs checked by content, size limits, replacement, who may download."""
import hashlib
import io

import pytest
from sqlalchemy import select

from services.grants.models import Document
from tests.integration.grants.applicant_setup import a_call, applicant, manager, small_pdf
from tests.integration.grants.grants_manager_setup import account
from tests.people import person, sign_in


@pytest.fixture
def draft(grants_app, grants):
    call = a_call(grants_app)
    _, headers = applicant(grants_app)
    response = grants.post("/api/applications", json={"call_id": call["id"]}, headers=headers)
    assert response.status_code == 201
    return response.get_json()["id"], headers


def upload(client, headers, application_id, code, content, filename="file.pdf", field="file"):
    return client.put(
        f"/api/applications/{application_id}/documents/{code}",
        data={field: (io.BytesIO(content), filename)}, headers=headers, content_type="multipart/form-data",
    )


def stored_documents(app) -> list[tuple[str, str, int]]:
    with app.extensions["db"].unit_of_work() as session:
        return [(d.kind, d.sha256, d.size) for d in session.scalars(select(Document).order_by(Document.id))]


def files_in(directory) -> set[str]:
    return {path.name for path in directory.iterdir()} if directory.exists() else set()


def test_upload_stores_the_pdf_by_its_sha256_and_replaces_it(grants_app, grants, draft, documents_dir):
    application_id, headers = draft
    first = small_pdf("Budget v1")
    response = upload(grants, headers, application_id, "budget", first, filename="/home/ana/budget.pdf")
    assert response.status_code == 200
    body = response.get_json()
    digest = hashlib.sha256(first).hexdigest()
    assert (body["code"], body["sha256"], body["size"], body["filename"]) == ("budget", digest, len(first), "budget.pdf")
    assert (documents_dir / f"{digest}.pdf").read_bytes() == first

    second = small_pdf("Budget v2")
    replaced = upload(grants, headers, application_id, "budget", second, filename="budget-2.pdf")
    assert replaced.status_code == 200
    assert stored_documents(grants_app) == [("budget", hashlib.sha256(second).hexdigest(), len(second))]

    download = grants.get(body["download_url"], headers=headers)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == second
    assert 'filename=budget-2.pdf' in download.headers["Content-Disposition"]
    state = grants.get(f"/api/applications/{application_id}", headers=headers).get_json()["required_documents"]
    assert [(d["code"], d["uploaded"]) for d in state] == [("budget", True), ("presentation", False)]


def test_a_pdf_is_known_by_its_content_not_its_name(grants_app, grants, draft, documents_dir):
    application_id, headers = draft
    renamed = upload(grants, headers, application_id, "budget", b"Just some text, honestly.\n" * 100, filename="budget.pdf")
    assert renamed.status_code == 415
    assert renamed.get_json()["errors"]["json"] == {"file": ["This file is not a PDF."]}
    assert stored_documents(grants_app) == [] and not any(n.endswith(".pdf") or n.endswith(".part") for n in files_in(documents_dir))
    pdf_named_txt = upload(grants, headers, application_id, "budget", small_pdf(), filename="notes.txt")
    assert pdf_named_txt.status_code == 200


def test_too_large_is_413_and_keeps_the_previous_document(grants_app, grants, draft, documents_dir, monkeypatch):
    application_id, headers = draft
    kept = small_pdf("kept")
    assert upload(grants, headers, application_id, "budget", kept).status_code == 200
    monkeypatch.setenv("MAX_DOCUMENT_BYTES", "2000")
    padded = small_pdf().replace(b"%PDF-1.4\n", b"%PDF-1.4\n%" + b"x" * 3000 + b"\n")
    assert len(padded) > 2000
    response = upload(grants, headers, application_id, "budget", padded)
    assert response.status_code == 413
    assert response.get_json()["message"] == "A document may be at most 2000 bytes."
    assert stored_documents(grants_app) == [("budget", hashlib.sha256(kept).hexdigest(), len(kept))]
    assert files_in(documents_dir) == {f"{hashlib.sha256(kept).hexdigest()}.pdf"}


def test_above_the_request_limit_is_413_in_json(grants_app, grants, draft):
    application_id, headers = draft
    huge = b"%PDF-1.4\n" + b"0" * (12 * 1024 * 1024 + 10) + b"\n%%EOF\n"
    response = upload(grants, headers, application_id, "budget", huge)
    assert response.status_code == 413 and response.get_json()["code"] == 413
    assert stored_documents(grants_app) == []


def test_ten_megabytes_by_default(grants_app, grants, draft):
    application_id, headers = draft
    eleven = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024) + b"\n%%EOF\n"
    response = upload(grants, headers, application_id, "budget", eleven)
    assert response.status_code == 413 and response.get_json()["message"] == "A document may be at most 10 MB."


def test_unknown_document_or_missing_file_is_422(grants_app, grants, draft):
    application_id, headers = draft
    unknown = upload(grants, headers, application_id, "selfie", small_pdf())
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"]["json"] == {"code": ["This call asks for no document of this kind."]}
    missing = upload(grants, headers, application_id, "budget", small_pdf(), field="other")
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]["files"]
    assert stored_documents(grants_app) == []


def test_downloads_for_the_owner_the_fund_manager_and_assigned_jurors_only(grants_app, grants, draft):
    application_id, headers = draft
    content = small_pdf("secret budget")
    assert upload(grants, headers, application_id, "budget", content).status_code == 200
    path = f"/api/applications/{application_id}/documents/budget"
    assert grants.get(path, headers=manager(grants_app)).data == content
    _, other_applicant = applicant(grants_app, "eve@example.org", "Eve")
    assert grants.get(path, headers=other_applicant).status_code == 404
    # A juror reads only the applications assigned to them (tests/integration/grants/test_jury_api.py).
    _, juror = account(grants_app, "juror@example.org", ["juror"], "Jules")
    assert grants.get(path, headers=juror).status_code == 404
    _, backer = account(grants_app, "backer@example.org", ["backer"], "Bea")
    assert grants.get(path, headers=backer).status_code == 403
    assert grants.get(path).status_code == 401
    assert grants.get(f"/api/applications/{application_id}/documents/presentation", headers=headers).status_code == 404


def test_a_document_whose_file_was_lost_is_a_410_not_a_server_error(grants_app, grants, draft, documents_dir):
    application_id, headers = draft
    assert upload(grants, headers, application_id, "budget", small_pdf("lost budget")).status_code == 200
    for stored in documents_dir.iterdir():
        stored.unlink()
    for reader in (headers, manager(grants_app)):
        answer = grants.get(f"/api/applications/{application_id}/documents/budget", headers=reader)
        assert answer.status_code == 410
        assert answer.get_json()["message"] == "This document's file is no longer stored: ask the applicant to send it again."
    browser = grants_app.test_client()
    sign_in(browser, person(grants_app, "ana@example.org", ["applicant"], "Ana"))
    page = browser.get(f"/applications/{application_id}/documents/budget")
    assert page.status_code == 410
    assert "n'est plus conservé" in page.get_data(as_text=True).replace("&#39;", "'")


def test_the_request_limit_follows_the_document_limit(monkeypatch):
    from services.grants.app import create_app

    monkeypatch.setenv("MAX_DOCUMENT_BYTES", str(20 * 1024 * 1024))
    assert create_app({"TESTING": True}).config["MAX_CONTENT_LENGTH"] == 22 * 1024 * 1024
