"""Matchfunding's events as the grants worker receives them from crowdfunding, by their
contracts (shared/core/events.py), and a way to hand them to the grants' real handlers."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.grants.actors import HANDLERS
from shared.core import events
from shared.core.consumer import consume

SIRET = "73282932000074"  # the test applicants' organisation (applicant_setup.PROFILE)
OTHER_SIRET = "55210055400013"


def organisation(siret: str | None = SIRET, legal_name: str = "Label Dôme SARL") -> dict:
    return {"siret": siret, "siren": siret[:9] if siret else None, "rna": None, "legal_name": legal_name,
            "kind": "company", "sector": "music", "postal_code": "63000", "city": "Clermont-Ferrand"}


def envelope(name: str, payload: dict, version: int = 1) -> dict:
    # Dumped by the contract as the outbox writes it (a test event keeps the contract too).
    return {"id": events.new_event_id(), "name": name, "version": version, "producer": "crowdfunding",
            "occurred_at": datetime.now(timezone.utc).isoformat(), "request_id": "req-match",
            "payload": events.dump_payload(name, version, payload)}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _owner(language: str = "fr") -> dict:
    return {"email": "owner@example.org", "name": "Olga", "language": language}


def published(campaign_id: int, owner_account_id: int = 900, siret: str | None = SIRET) -> dict:
    return envelope("campaign.published", {
        **_owner(), "campaign_id": campaign_id, "campaign_title": f"Campagne {campaign_id}",
        "campaign_url": f"http://127.0.0.1:8000/financement-participatif/campaigns/{campaign_id}",
        "starts_at": _now(), "ends_at": _now() + timedelta(days=20), "goal_cents": 500_000,
        "funding_model": "all_or_nothing", "owner_account_id": owner_account_id, "organisation": organisation(siret)})


def requested(pledge_id: int, campaign_id: int, amount_cents: int, backer_account_id: int | None = None,
              owner_account_id: int = 900, siret: str | None = SIRET) -> dict:
    return envelope("match.requested", {
        "pledge_id": pledge_id, "campaign_id": campaign_id,
        "backer_account_id": backer_account_id if backer_account_id is not None else 10_000 + pledge_id,
        "owner_account_id": owner_account_id, "organisation": organisation(siret),
        "campaign_title": f"Campagne {campaign_id}", "amount_cents": amount_cents, "requested_at": _now()})


def _pledge(pledge_id: int, campaign_id: int, amount_cents: int) -> dict:
    return {"email": "bea@example.org", "name": "Béa", "language": "fr", "pledge_id": pledge_id,
            "reference": f"REF{pledge_id}", "campaign_id": campaign_id, "campaign_title": f"Campagne {campaign_id}",
            "campaign_url": f"http://127.0.0.1:8000/financement-participatif/campaigns/{campaign_id}",
            "pledge_url": f"http://127.0.0.1:8000/financement-participatif/pledges/{pledge_id}",
            "amount_cents": amount_cents, "tier_title": None, "method": "card", "funding_model": "all_or_nothing",
            "ends_at": _now()}


def cancelled(pledge_id: int, campaign_id: int, amount_cents: int = 5_000) -> dict:
    return envelope("pledge.cancelled", {**_pledge(pledge_id, campaign_id, amount_cents), "reason": "backer",
                                         "cancelled_at": _now()})


def changed(pledge_id: int, campaign_id: int, amount_cents: int, previous_cents: int) -> dict:
    return envelope("pledge.changed", {**_pledge(pledge_id, campaign_id, amount_cents),
                                       "previous_amount_cents": previous_cents, "changed_at": _now()})


def failed(pledge_id: int, campaign_id: int, amount_cents: int = 5_000) -> dict:
    return envelope("pledge.failed", {**_pledge(pledge_id, campaign_id, amount_cents), "backer_account_id": 1,
                                      "attempt": 1, "reason": "expired", "failed_at": _now(), "owner": _owner()})


def refunded(pledge_id: int, campaign_id: int, amount_cents: int, refunded_total_cents: int, refund_id: int = 1) -> dict:
    return envelope("pledge.refunded", {
        **_pledge(pledge_id, campaign_id, amount_cents), "backer_account_id": 1, "attempt": 1, "refund_id": refund_id,
        "refund_cents": refunded_total_cents, "refunded_total_cents": refunded_total_cents,
        "fully_refunded": refunded_total_cents >= amount_cents, "reason": "requested_by_customer",
        "refunded_at": _now()})


def closed(name: str, campaign_id: int, owner_account_id: int = 900, **extra) -> dict:
    """campaign.succeeded, .failed or .cancelled."""
    payload = {**_owner(), "campaign_id": campaign_id, "campaign_title": f"Campagne {campaign_id}",
               "campaign_url": f"http://127.0.0.1:8000/financement-participatif/campaigns/{campaign_id}",
               "owner_account_id": owner_account_id, "organisation": organisation(), "funding_model": "all_or_nothing",
               "goal_cents": 500_000, "ends_at": _now(), "closed_at": _now(), "pledged_cents": 600_000,
               "card_pledged_cents": 600_000, "transfer_cents": 0, "backers": 12, **extra}
    if name in ("campaign.failed", "campaign.cancelled"):
        payload.setdefault("recipients", [])
    if name == "campaign.cancelled":
        payload.setdefault("cancelled_at", _now())
        payload.setdefault("reason", "fraud")
    return envelope(name, payload)


def handle(app, data: dict) -> bool:
    """The grants' real handlers, through `consume`: once per event id."""
    return consume(app.extensions["db"], HANDLERS, data)
