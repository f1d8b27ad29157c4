"""A campaign's pledges and backers as its owner and the fund manager read them, and as a CSV
file for Excel (semicolons, decimal commas, a byte-order mark, no cell a spreadsheet would run)."""
from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from services.crowdfunding import campaigns, pledges
from services.crowdfunding.models import Campaign
from shared.core.clock import to_paris
from shared.core.refusal import Refusal

# French Excel reads "," as the decimal mark and expects ";" between cells.
CSV_DELIMITER = ";"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    ("reference", "Référence", "Reference"),
    ("status", "Statut", "Status"),
    ("backer_name", "Contributeur", "Backer"),
    ("backer_email", "E-mail", "Email"),
    ("public_name", "Nom affiché", "Name shown"),
    ("amount", "Montant (€)", "Amount (€)"),
    ("tier", "Contrepartie", "Reward"),
    ("method", "Moyen", "Method"),
    ("created_at", "Promis le (heure de Paris)", "Pledged at (Paris time)"),
    ("confirmed_at", "Confirmé le (heure de Paris)", "Confirmed at (Paris time)"),
)
STATUS_LABELS = {
    "pending": {"fr": "Carte en attente", "en": "Card pending"},
    "awaiting_transfer": {"fr": "Virement attendu", "en": "Transfer awaited"},
    "confirmed": {"fr": "Confirmé", "en": "Confirmed"},
    "cancelled": {"fr": "Annulé", "en": "Cancelled"},
    "failed": {"fr": "Non payé", "en": "Not paid"},
}
METHOD_LABELS = {"card": {"fr": "Carte", "en": "Card"}, "transfer": {"fr": "Virement", "en": "Transfer"}}
YES_NO = {True: {"fr": "oui", "en": "yes"}, False: {"fr": "non", "en": "no"}}


def campaign_for_pledges(session: Session, account_id: int, roles, campaign_id: int) -> Campaign:
    """A campaign whose pledges this person may read: its owner's, or any for a fund manager."""
    if "fund_manager" in roles:
        return campaigns.get_campaign(session, campaign_id)
    if "campaign_owner" in roles:
        return campaigns.get_own_campaign(session, account_id, campaign_id)
    raise Refusal(403, "Your role does not allow this action.")


def euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _when(moment) -> str:
    return to_paris(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def pledges_csv(session: Session, campaign: Campaign, language: str = "fr") -> bytes:
    language = language if language in ("fr", "en") else "fr"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([fr if language == "fr" else en for _key, fr, en in COLUMNS])
    for pledge in pledges.campaign_pledges(session, campaign.id):
        row = {
            "reference": pledge.reference,
            "status": STATUS_LABELS[pledge.status][language],
            "backer_name": pledge.backer.name,
            "backer_email": pledge.backer.email,
            "public_name": YES_NO[pledge.public_name][language],
            "amount": euros(pledge.amount_cents),
            "tier": pledge.tier.title(language) if pledge.tier else "",
            "method": METHOD_LABELS[pledge.method][language],
            "created_at": _when(pledge.created_at),
            "confirmed_at": _when(pledge.confirmed_at),
        }
        writer.writerow([neutralise(row[key]) for key, _fr, _en in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
