"""What the fund manager reads: a call's applications (filtered), one application in full, and
a spreadsheet of them.

A submitted application is read from its snapshot, frozen at submission: what the applicant
sent, even if their organisation's profile changed since. A draft is read from the live profile.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from services.grants.calls import get_call
from services.grants.models import Account, Application, Organisation
from shared.core.organisations import ORGANISATION_KIND_LABELS, SECTOR_LABELS
from shared.core.refusal import Refusal
from shared.core.clock import to_paris

ORGANISATION_FIELDS = ("legal_name", "kind", "siret", "rna", "address", "postal_code", "city", "sector", "head_count")


@dataclass
class ApplicationView:
    application: Application
    applicant_name: str
    applicant_email: str
    organisation: dict  # ORGANISATION_FIELDS; from the snapshot once submitted
    funding_sources: list[dict] = field(default_factory=list)  # kind, amount_cents, description
    documents: list[dict] = field(default_factory=list)  # kind, filename, size, sha256

    @property
    def other_funding_cents(self) -> int:
        return sum(source["amount_cents"] or 0 for source in self.funding_sources)

    def value(self, name: str):
        """A field of the application as the jury reads it: frozen once submitted."""
        snapshot = self.application.snapshot or {}
        return snapshot[name] if name in snapshot else getattr(self.application, name)

    @property
    def sector(self) -> str | None:
        return self.organisation.get("sector")


def _sector_column():
    # The snapshot's sector for submitted applications, the live profile's for drafts.
    return func.coalesce(Application.snapshot["organisation"]["sector"].as_string(), Organisation.sector)


def applications_of_call(
    session: Session,
    call_id: int,
    *,
    status: str | None = None,
    sector: str | None = None,
    eligible: bool | None = None,
) -> list[ApplicationView]:
    get_call(session, call_id)  # 404 for an unknown call
    query = (
        select(Application, Organisation, Account)
        .join(Account, Account.id == Application.account_id)
        .outerjoin(Organisation, Organisation.account_id == Application.account_id)
        .where(Application.call_id == call_id)
        .options(selectinload(Application.funding_sources), selectinload(Application.documents))
        .order_by(Application.submitted_at.is_(None), Application.submitted_at, Application.id)
    )
    if status is not None:
        query = query.where(Application.status == status)
    if sector is not None:
        query = query.where(_sector_column() == sector)
    if eligible is not None:
        query = query.where(Application.eligible.is_(eligible))
    return [_view(application, organisation, account) for application, organisation, account in session.execute(query)]


def application_detail(session: Session, application_id: int) -> ApplicationView:
    row = session.execute(
        select(Application, Organisation, Account)
        .join(Account, Account.id == Application.account_id)
        .outerjoin(Organisation, Organisation.account_id == Application.account_id)
        .where(Application.id == application_id)
    ).first()
    if row is None:
        raise Refusal.not_found("There is no such application.")
    return _view(*row)


def _view(application: Application, organisation: Organisation | None, account: Account) -> ApplicationView:
    snapshot = application.snapshot or {}
    frozen = snapshot.get("organisation") if isinstance(snapshot.get("organisation"), dict) else None
    if frozen is not None:
        organisation_data = {name: frozen.get(name) for name in ORGANISATION_FIELDS}
    elif organisation is not None:
        organisation_data = {name: getattr(organisation, name) for name in ORGANISATION_FIELDS}
    else:
        organisation_data = dict.fromkeys(ORGANISATION_FIELDS)
    frozen_sources = snapshot.get("funding_sources")
    if isinstance(frozen_sources, list):
        sources = [
            {"kind": s.get("kind"), "amount_cents": s.get("amount_cents"), "description": s.get("description", "")}
            for s in frozen_sources
        ]
    else:
        sources = [
            {"kind": s.kind, "amount_cents": s.amount_cents, "description": s.description}
            for s in application.funding_sources
        ]
    frozen_documents = snapshot.get("documents")
    if isinstance(frozen_documents, list):
        documents = [
            {"kind": d.get("kind"), "filename": d.get("filename"), "size": d.get("size"), "sha256": d.get("sha256"),
             "uploaded_at": None}
            for d in frozen_documents
        ]
    else:
        documents = [
            {"kind": d.kind, "filename": d.filename, "size": d.size, "sha256": d.sha256, "uploaded_at": d.uploaded_at}
            for d in application.documents
        ]
    return ApplicationView(application, account.name, account.email, organisation_data, sources, documents)


# --- The spreadsheet ---------------------------------------------------------------------------

# A semicolon, because French Excel reads a comma as the decimal mark and expects ";" between
# cells; with a comma the whole row lands in one column. Amounts use the decimal comma for the
# same reason, and the UTF-8 byte-order mark makes Excel read accents correctly.
CSV_DELIMITER = ";"

COLUMNS = (
    ("id", "N°", "No."),
    ("receipt_number", "Récépissé", "Receipt"),
    ("status", "Statut", "Status"),
    ("eligible", "Éligible", "Eligible"),
    ("submitted_at", "Déposée le (heure de Paris)", "Submitted at (Paris time)"),
    ("project_title", "Projet", "Project"),
    ("applicant_name", "Demandeur", "Applicant"),
    ("applicant_email", "E-mail", "Email"),
    ("legal_name", "Structure", "Organisation"),
    ("kind", "Forme", "Kind"),
    ("siret", "SIREN/SIRET", "SIREN/SIRET"),
    ("rna", "RNA", "RNA"),
    ("postal_code", "Code postal", "Postal code"),
    ("city", "Commune", "City"),
    ("sector", "Secteur", "Sector"),
    ("requested", "Montant demandé (€)", "Amount requested (€)"),
    ("total_budget", "Budget total (€)", "Total budget (€)"),
    ("other_funding", "Autres financements (€)", "Other funding (€)"),
    ("jobs_expected", "Emplois prévus", "Jobs expected"),
    ("documents", "Pièces jointes", "Documents"),
)

STATUS_LABELS = {
    "draft": {"fr": "Brouillon", "en": "Draft"},
    "submitted": {"fr": "Déposée", "en": "Submitted"},
    "withdrawn": {"fr": "Retirée", "en": "Withdrawn"},
}
YES_NO = {True: {"fr": "oui", "en": "yes"}, False: {"fr": "non", "en": "no"}, None: {"fr": "", "en": ""}}
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DIGITS = re.compile(r"[0-9]+")
# Codes of digits that Excel would turn into numbers (and 14 digits into 7,33E+13).
DIGIT_CODES = {"siret"}


def euros(cents: int | None) -> str:
    """Cents as euros with two decimals and a decimal comma: 123456 → "1234,56"."""
    if cents is None:
        return ""
    return f"{cents // 100},{cents % 100:02d}"


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def digits_as_text(value) -> str:
    """A code made of digits (a SIRET) as a cell Excel shows as text: ="73282932000074".

    As a plain cell, Excel reads 14 digits as a number and shows 7,33E+13. The formula ="…" is
    shown as the digits themselves and holds them as text (copy, sort and lookups see the
    digits), in French Excel too. The alternatives fail: a leading apostrophe is shown as it is
    when Excel opens a CSV, and a leading tab stays in the cell (and is neutralised above).
    Only a value made of digits becomes a formula, so nothing else can be run.
    """
    text = "" if value is None else str(value)
    return f'="{text}"' if _DIGITS.fullmatch(text) else neutralise(text)


def applications_csv(
    session: Session, call_id: int, language: str = "fr", **filters
) -> bytes:
    """The call's applications as a CSV file for Excel: one row per application."""
    language = language if language in ("fr", "en") else "fr"
    views = applications_of_call(session, call_id, **filters)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([fr if language == "fr" else en for _key, fr, en in COLUMNS])
    for view in views:
        row = _csv_row(view, language)
        writer.writerow([digits_as_text(row[key]) if key in DIGIT_CODES else neutralise(row[key])
                         for key, _fr, _en in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_row(view: ApplicationView, language: str) -> dict:
    application, organisation = view.application, view.organisation
    submitted = application.submitted_at
    return {
        "id": application.id,
        "receipt_number": application.receipt_number,
        "status": STATUS_LABELS.get(application.status, {}).get(language, application.status),
        "eligible": YES_NO[application.eligible][language],
        "submitted_at": to_paris(submitted).strftime("%d/%m/%Y %H:%M") if submitted else "",
        "project_title": view.value("project_title"),
        "applicant_name": view.applicant_name,
        "applicant_email": view.applicant_email,
        "legal_name": organisation.get("legal_name"),
        "kind": ORGANISATION_KIND_LABELS.get(organisation.get("kind"), {}).get(language, organisation.get("kind")),
        "siret": organisation.get("siret"),
        "rna": organisation.get("rna"),
        "postal_code": organisation.get("postal_code"),
        "city": organisation.get("city"),
        "sector": SECTOR_LABELS.get(view.sector, {}).get(language, view.sector),
        "requested": euros(view.value("requested_cents")),
        "total_budget": euros(view.value("total_budget_cents")),
        "other_funding": euros(view.other_funding_cents),
        "jobs_expected": view.value("jobs_expected"),
        "documents": ", ".join(document["kind"] for document in view.documents),
    }
