"""What the applicant's tests share: an applicant with a token and a profile, an open call, real PDFs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from services.grants.models import Call
from tests.integration.grants.grants_manager_setup import account, call_payload, fund, open_call
from tests.pdf import small_pdf  # noqa: F401  (the grants tests take it from here)

PROFILE = {
    "legal_name": "Label Dôme SARL",
    "kind": "company",
    "siret": "732 829 320 00074",
    "address": "12 rue des Gras",
    "postal_code": "63000",
    "city": "Clermont-Ferrand",
    "sector": "music",
    "head_count": 4,
    "created_on": "2019-03-01",
}

# A complete draft for the call of `open_call` (max award €10,000; 20% other funding).
ANSWERS = {
    "project_title": "Tournée des Volcans",
    "summary": "Une tournée de douze dates dans la métropole.",
    "description": "Douze concerts, des ateliers dans les écoles, un disque enregistré en public.",
    "requested_cents": 800_000,
    "total_budget_cents": 2_000_000,
    "jobs_expected": 3,
    "timeline": "Mars à septembre 2027",
    "funding_sources": [
        {"kind": "own_funds", "amount_cents": 700_000, "description": "Fonds propres"},
        {"kind": "bank_loan", "amount_cents": 500_000, "description": "Prêt Crédit Agricole"},
    ],
}


def manager(app) -> dict:
    """The fund manager's Authorization header."""
    return account(app, "manager@example.org", ["fund_manager"], "Manon")[1]


def a_call(app, **overrides) -> dict:
    """An open call made through the fund manager's API."""
    client = app.test_client()
    headers = manager(app)
    return open_call(client, headers, fund(client, headers)["id"], **overrides)


def a_draft_call(app) -> dict:
    """A call the fund manager has not opened yet."""
    client = app.test_client()
    headers = manager(app)
    created = client.post("/api/calls", json=call_payload(fund(client, headers, name="Fonds brouillon")["id"]), headers=headers)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def applicant(app, email="ana@example.org", name="Ana", profile: dict | None = PROFILE) -> tuple[int, dict]:
    """A confirmed applicant with a token, with their organisation's profile unless profile=None."""
    account_id, headers = account(app, email, ["applicant"], name)
    if profile is not None:
        response = app.test_client().put("/api/profile", json=profile, headers=headers)
        assert response.status_code == 200, response.get_json()
    return account_id, headers


def set_closing_time(app, call_id: int, closes_at: datetime) -> None:
    """Move a call's closing time directly (the API only lets an open call close later)."""
    with app.extensions["db"].unit_of_work() as session:
        session.execute(update(Call).where(Call.id == call_id).values(closes_at=closes_at))


def in_seconds(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)
