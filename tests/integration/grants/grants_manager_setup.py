"""What the fund manager's tests share: accounts with tokens, a fund, a complete call."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.people import bearer, person


def account(app, email: str, roles: list[str], name: str = "Someone") -> tuple[int, dict]:
    """A platform account as the service knows it, and the Authorization header of a token for it."""
    someone = person(app, email, roles, name)
    return someone.id, bearer(someone)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def call_payload(fund_id: int, **overrides) -> dict:
    now = datetime.now(timezone.utc)
    payload = {
        "fund_id": fund_id,
        "title_fr": "Aide à la création 2026",
        "title_en": "Creation grant 2026",
        "description_fr": "Pour les projets des industries créatives de la métropole.",
        "opens_at": iso(now - timedelta(days=1)),
        "closes_at": iso(now + timedelta(days=30)),
        "max_award_cents": 1_000_000,
        "postal_codes": ["63000", "63100"],
        "sectors": ["music", "film"],
        "organisation_kinds": ["company", "association"],
        "min_other_funding_share_percent": 20,
        "required_documents": [
            {"code": "budget", "label_fr": "Budget prévisionnel", "label_en": "Provisional budget"},
            {"code": "presentation", "label_fr": "Présentation du projet", "label_en": "Project presentation"},
        ],
        "scoring_grid": [
            {"code": "quality", "label_fr": "Qualité artistique", "label_en": "Artistic quality", "weight": 3,
             "levels": [{"score": 0, "description": "Faible"}, {"score": 2, "description": "Remarquable"}]},
        ],
    }
    payload.update(overrides)
    return payload


def fund(client, headers, **overrides) -> dict:
    body = {"name": "Fonds réactif", "year": 2026, "envelope_cents": 5_000_000, **overrides}
    response = client.post("/api/funds", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def open_call(client, headers, fund_id: int, **overrides) -> dict:
    created = client.post("/api/calls", json=call_payload(fund_id, **overrides), headers=headers)
    assert created.status_code == 201, created.get_json()
    call_id = created.get_json()["id"]
    opened = client.post(f"/api/calls/{call_id}/status", json={"status": "open"}, headers=headers)
    assert opened.status_code == 200, opened.get_json()
    return opened.get_json()
