"""The applicant's journey: a draft to an open call, its documents, submission, withdrawal.

Use cases take a session, the applicant's account id and `now` (the server's clock decides when
a call is closed, to the second); they check, write and publish their event in the caller's unit
of work, and raise `Refusal` before anything is written when they refuse.

A draft may be incomplete and is saved as often as the applicant likes. Submission checks
completeness and the call's eligibility rules, all at once, then freezes a snapshot of what
the jury will read and gives a receipt number. Nothing is started, changed or submitted after
the call's closing time; a submitted application never changes again.
"""
from __future__ import annotations

import os
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from services.grants import calls, completeness, documents, jury
from services.grants.completeness import document_label, required_documents
from services.grants.models import Account, Application, Call, Document, FundingSource
from services.grants.profiles import NO_PROFILE, find_profile
from shared.core.clock import to_paris
from shared.core.config import service_public_url
from shared.core.outbox import publish
from shared.core.refusal import Refusal

SERVICE = "grants"
APPLICATION_FIELDS = (
    "project_title", "summary", "description", "requested_cents", "total_budget_cents", "jobs_expected", "timeline",
)
NOT_FOUND = "There is no such application."


# --- Reading ---------------------------------------------------------------------------------


def list_applications(session: Session, account_id: int) -> list[Application]:
    return list(
        session.scalars(
            select(Application)
            .where(Application.account_id == account_id)
            .options(selectinload(Application.call))  # the list shows each call's title
            .order_by(Application.id.desc())
        )
    )


# What an applicant's request reads of an application, in one round trip rather than one lazy load
# or query each: its call (an inner join: every application has one), its short lists, and the
# applicant's organisation, which the call's rules are checked against.
WHOLE_APPLICATION = (
    joinedload(Application.call, innerjoin=True),
    joinedload(Application.funding_sources),
    joinedload(Application.documents),
    joinedload(Application.organisation),
)
# Built once (a draft save starts here), the id bound at each call. Under the lock the row is
# read afresh, even when the session holds the application already.
_WHOLE = select(Application).options(*WHOLE_APPLICATION).where(Application.id == bindparam("application_id"))
_WHOLE_LOCKED = _WHOLE.with_for_update(of=Application).execution_options(populate_existing=True)


def get_own_application(session: Session, account_id: int, application_id: int, lock: bool = False) -> Application:
    """The applicant's own application; another's is answered as if it did not exist. `lock`
    locks the application's row alone (FOR UPDATE OF applications), not its call's: drafts of the
    same call are saved side by side."""
    application = session.execute(
        _WHOLE_LOCKED if lock else _WHOLE, {"application_id": application_id}
    ).unique().scalar_one_or_none()
    if application is None or application.account_id != account_id:
        raise Refusal.not_found(NOT_FOUND)
    return application


def get_readable_application(session: Session, account_id: int, roles, application_id: int) -> Application:
    """An application as someone may read it: its owner, a fund manager, or a juror it is
    assigned to who declared no conflict and is not recused (jury.cleared_application)."""
    if "fund_manager" in roles:
        application = session.get(Application, application_id)
        if application is None:
            raise Refusal.not_found(NOT_FOUND)
        return application
    if "applicant" in roles:
        application = session.get(Application, application_id)
        if application is not None and application.account_id == account_id:
            return application
    if "juror" in roles:
        return jury.cleared_application(session, account_id, application_id)
    if "applicant" in roles:
        raise Refusal.not_found(NOT_FOUND)
    raise Refusal(403, "Your role does not allow this action.")


def document_of(application: Application, code: str) -> Document | None:
    return next((document for document in application.documents if document.kind == code), None)


def is_editable(application: Application, now: datetime) -> bool:
    return application.status == "draft" and calls.accepts_applications(application.call, now)


def can_withdraw(application: Application) -> bool:
    return application.status != "withdrawn" and application.call.status != "decided"


def existing_application_id(session: Session, account_id: int, call_id: int) -> int | None:
    """The applicant's application to this call, if any: one application per applicant and call."""
    return session.scalar(
        select(Application.id).where(Application.call_id == call_id, Application.account_id == account_id)
    )


# --- Refusals shared by the use cases ----------------------------------------------------------


def _ensure_call_accepts(call: Call, now: datetime) -> None:
    if calls.accepts_applications(call, now):
        return
    if call.status in ("open", "closed", "in_review", "decided") and now >= call.closes_at:
        raise Refusal(
            409,
            "The call closed on %(closes_at)s (Paris time): applications can no longer be started, changed or submitted.",
            {"call_id": ["The call is closed."]},
            values={"closes_at": call.closes_at},
        )
    if call.status == "open":
        raise Refusal(
            409, "The call opens on %(opens_at)s (Paris time).", {"call_id": ["The call is not open yet."]},
            values={"opens_at": call.opens_at},
        )
    raise Refusal(409, "This call is not open for applications.", {"call_id": ["This call is not open for applications."]})


def _ensure_editable(application: Application, now: datetime) -> None:
    if application.status == "submitted":
        raise Refusal(409, "This application is submitted: it can no longer change.")
    if application.status == "withdrawn":
        raise Refusal(409, "This application is withdrawn: it can no longer change.")
    _ensure_call_accepts(application.call, now)


# --- Drafts ----------------------------------------------------------------------------------


def start_refusal(session: Session, account_id: int, call: Call | None, now: datetime) -> Refusal | None:
    """Why this applicant cannot start an application to this call now, or None.

    One application per applicant and call (`details.application_id` names theirs); the call
    must take applications; the organisation's profile comes first (`errors.profile`).
    """
    if call is None or call.status == "draft":
        return Refusal.invalid("call_id", "There is no such call.")
    existing = existing_application_id(session, account_id, call.id)
    if existing is not None:
        return Refusal(
            409, "You already have an application to this call.", {"call_id": ["You already have an application to this call."]},
            details={"application_id": existing},
        )
    try:
        _ensure_call_accepts(call, now)
    except Refusal as refusal:
        return refusal
    if find_profile(session, account_id) is None:
        return Refusal.about("profile", 409, NO_PROFILE)
    return None


def start_application(session: Session, account_id: int, call_id: int, now: datetime, data: dict | None = None) -> Application:
    """A new draft to an open call, possibly with first answers (`data` from ApplicationDraftSchema).

    One application per applicant and call. Announces `application.draft_started` so that
    notifications can remind the applicant before the call closes.
    """
    # The applicant's row is locked until the commit: two starts at once cannot both pass the
    # "one application per call" check.
    account = session.scalar(select(Account).where(Account.id == account_id).with_for_update())
    call = session.get(Call, call_id)
    refusal = start_refusal(session, account_id, call, now)
    if refusal is not None:
        raise refusal
    organisation = find_profile(session, account_id)

    application = Application(
        call=call, account_id=account_id, status="draft",
        project_title="", summary="", description="", timeline="",
    )
    _apply(application, data or {})
    session.add(application)
    session.flush()
    completeness.refresh_eligibility(application, organisation)
    publish(session, SERVICE, "application.draft_started", 1, {**_event_ref(account, application), "closes_at": call.closes_at})
    return application


def update_draft(session: Session, account_id: int, application_id: int, changes: dict, now: datetime) -> Application:
    """Save some answers of a draft (any subset; `funding_sources`, when given, replaces the list)."""
    application = get_own_application(session, account_id, application_id, lock=True)
    _ensure_editable(application, now)
    _apply(application, changes)
    completeness.refresh_eligibility(application, application.organisation)
    return application


def _apply(application: Application, changes: dict) -> None:
    for field in APPLICATION_FIELDS:
        if field in changes:
            value = changes[field]
            setattr(application, field, "" if value is None and field in completeness.REQUIRED_TEXTS else value)
    if "funding_sources" in changes:
        application.funding_sources = [
            FundingSource(kind=source["kind"], amount_cents=source["amount_cents"], description=source.get("description") or "")
            for source in changes["funding_sources"]
        ]


# --- Documents -------------------------------------------------------------------------------


def attach_document(
    session: Session,
    account_id: int,
    application_id: int,
    code: str,
    stream: BinaryIO,
    filename: str | None,
    now: datetime,
    directory,
    max_bytes: int,
) -> Document:
    """Store a PDF for one of the call's required documents, replacing the previous one.

    Everything is checked before the file is read; a refused file leaves nothing behind.
    """
    application = get_own_application(session, account_id, application_id, lock=True)
    _ensure_editable(application, now)
    if code not in {document["code"] for document in required_documents(application.call)}:
        raise Refusal.about("code", 422, "This call asks for no document of this kind.")
    stored = store_document(stream, directory, max_bytes)
    document = document_of(application, code)
    if document is None:
        document = Document(kind=code)
        application.documents.append(document)
    # The previous file stays on disk: files are named by content and may be shared.
    document.filename = clean_filename(filename)
    document.sha256 = stored.sha256
    document.size = stored.size
    document.uploaded_at = now
    completeness.refresh_eligibility(application, application.organisation)
    return document


def store_document(stream: BinaryIO, directory, max_bytes: int) -> documents.StoredFile:
    """A PDF upload stored by content, or the refusal every upload of the service gives (413 too
    large, 415 not a PDF); application documents and awards' reports alike."""
    try:
        return documents.store_pdf(stream, directory, max_bytes)
    except documents.DocumentTooLarge:
        megabytes, rest = divmod(max_bytes, 1024 * 1024)
        message, size = (
            ("A document may be at most %(size)s MB.", megabytes) if not rest
            else ("A document may be at most %(size)s bytes.", max_bytes)
        )
        raise Refusal(413, message, {"file": ["This file is too large."]}, values={"size": size}) from None
    except documents.NotAPdf:
        raise Refusal(415, "Only PDF documents are accepted.", {"file": ["This file is not a PDF."]}) from None


def clean_filename(filename: str | None) -> str:
    # Only the name, never a path someone's browser sent along; kept for the download.
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(character for character in name if character.isprintable())
    if not name:
        return "document.pdf"
    return name[-255:]


def open_document(session: Session, account_id: int, roles, application_id: int, code: str, directory) -> tuple[Document, BinaryIO]:
    application = get_readable_application(session, account_id, roles, application_id)
    document = document_of(application, code)
    if document is None:
        raise Refusal.not_found("There is no such document.")
    return document, documents.open_stored(directory, document.sha256)


# --- Submission ------------------------------------------------------------------------------


def submit_application(
    session: Session, account_id: int, application_id: int, now: datetime, changes: dict | None = None
) -> Application:
    """Check completeness and eligibility; freeze the snapshot, give the receipt number and
    announce `application.submitted` (the acknowledgement email).

    `changes` are last answers to save with the submission (a page's form sends them along).
    """
    application = get_own_application(session, account_id, application_id, lock=True)
    if application.status == "submitted":
        raise Refusal(409, "This application is already submitted.")
    _ensure_editable(application, now)
    organisation = application.organisation
    if organisation is None:
        raise Refusal.about("profile", 409, NO_PROFILE)

    if changes:
        _apply(application, changes)
    missing, failures = completeness.submission_problems(application, organisation)
    if missing or failures:
        # The unit of work rolls back: a refused submission leaves nothing behind, the answers
        # sent with it included.
        errors = dict(missing)
        if failures:
            errors["rules"] = completeness.rule_messages(application.call, failures)
        raise Refusal(
            422, "This application cannot be submitted yet: complete it and meet the call's rules (see errors).",
            errors, details={"failures": failures},
        )

    application.status = "submitted"
    application.eligible = True
    application.submitted_at = now
    application.receipt_number = f"TR-{to_paris(now).year}-{application.id:06d}"
    application.snapshot = snapshot(application, organisation)
    account = session.get(Account, account_id)
    publish(
        session, SERVICE, "application.submitted", 1,
        {**_event_ref(account, application), "receipt_number": application.receipt_number, "submitted_at": now},
    )
    return application


def snapshot(application: Application, organisation) -> dict:
    """Everything the jury reads, as it was when submitted (JSON)."""
    call = application.call
    return {
        "application_id": application.id,
        "receipt_number": application.receipt_number,
        "submitted_at": application.submitted_at.isoformat(),
        "call": {"id": call.id, "title_fr": call.title_fr, "title_en": call.title_en},
        "organisation": {
            "legal_name": organisation.legal_name,
            "kind": organisation.kind,
            "siret": organisation.siret,
            "rna": organisation.rna,
            "address": organisation.address,
            "postal_code": organisation.postal_code,
            "city": organisation.city,
            "sector": organisation.sector,
            "head_count": organisation.head_count,
            "created_on": organisation.created_on.isoformat() if organisation.created_on else None,
        },
        "project_title": application.project_title,
        "summary": application.summary,
        "description": application.description,
        "requested_cents": application.requested_cents,
        "total_budget_cents": application.total_budget_cents,
        "other_funding_cents": sum(source.amount_cents for source in application.funding_sources),
        "funding_sources": [
            {"kind": source.kind, "amount_cents": source.amount_cents, "description": source.description}
            for source in application.funding_sources
        ],
        "jobs_expected": application.jobs_expected,
        "timeline": application.timeline,
        "documents": [
            {
                "kind": document.kind,
                "label_fr": document_label(call, document.kind, "fr"),
                "label_en": document_label(call, document.kind, "en"),
                "filename": document.filename,
                "sha256": document.sha256,
                "size": document.size,
            }
            for document in application.documents
        ],
    }


# --- Withdrawal ------------------------------------------------------------------------------


def withdraw_application(session: Session, account_id: int, application_id: int, now: datetime) -> Application:
    """Withdraw a draft or a submitted application, at any time before the call's decision."""
    application = get_own_application(session, account_id, application_id, lock=True)
    if application.status == "withdrawn":
        raise Refusal(409, "This application is already withdrawn.")
    if not can_withdraw(application):
        raise Refusal(409, "The decision on this call is made: the application can no longer be withdrawn.")
    application.status = "withdrawn"
    application.withdrawn_at = now
    jury.application_withdrawn(session, application, now)
    account = session.get(Account, account_id)
    publish(session, SERVICE, "application.withdrawn", 1, {**_event_ref(account, application), "withdrawn_at": now})
    return application


# --- Events ----------------------------------------------------------------------------------


def application_url(application_id: int) -> str:
    return f"{service_public_url(SERVICE)}/applications/{application_id}"


def _event_ref(account: Account, application: Application) -> dict:
    return {
        "email": account.email,
        "name": account.name,
        "language": account.language,
        "application_id": application.id,
        "call_id": application.call_id,
        "call_title": application.call.title(account.language),
        "project_title": application.project_title,
        "application_url": application_url(application.id),
    }
