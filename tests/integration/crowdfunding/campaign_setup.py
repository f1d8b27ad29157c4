"""People and campaigns for the crowdfunding tests, made through the API as their owners would."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from PIL import Image

from tests.people import bearer, person

ORGANISATION = {
    "legal_name": "Label Dôme SARL", "kind": "company", "siret": "732 829 320 00074",
    "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "music",
}


def image(width: int = 1200, height: int = 600, format: str = "PNG") -> bytes:
    picture = Image.new("RGB", (width, height), (40, 90, 160))
    out = io.BytesIO()
    picture.save(out, format)
    return out.getvalue()


def owner(app, email: str = "olga@example.org", name: str = "Olga Martin", language: str = "fr"):
    someone = person(app, email, ["campaign_owner"], name, language)
    return someone, bearer(someone)


def manager(app, email: str = "manon@example.org", language: str = "fr"):
    someone = person(app, email, ["fund_manager"], "Manon Dupré", language)
    return someone, bearer(someone)


def backer(app, email: str, name: str = "Béa", language: str = "fr"):
    someone = person(app, email, ["backer"], name, language)
    return someone, bearer(someone)


def campaign_data(now: datetime | None = None, **overrides) -> dict:
    now = now or datetime.now(timezone.utc)
    data = {
        "title_fr": "Un disque pour la Criée", "title_en": "A record for La Criée",
        "pitch_fr": "Enregistrer notre premier album au studio de la Criée.",
        "pitch_en": "Recording our first album at La Criée's studio.",
        "sector": "music", "goal_cents": 500_000,
        "starts_at": (now - timedelta(minutes=1)).isoformat(), "ends_at": (now + timedelta(days=30)).isoformat(),
        "funding_model": "all_or_nothing",
        "budget": [{"label": "Studio", "amount_cents": 300_000}, {"label": "Pressage", "amount_cents": 200_000}],
    }
    data.update(overrides)
    return data


TIER = {"title_fr": "Le disque", "title_en": "The record", "description_fr": "Le CD dédicacé.",
        "description_en": "The signed CD.", "minimum_cents": 2_000, "quantity": 10, "delivery_month": "2027-06"}


def draft(client, headers, **overrides) -> int:
    """A complete draft of the owner's (organisation, campaign, cover); its id."""
    assert client.put("/api/owner/organisation", json=ORGANISATION, headers=headers).status_code == 200
    created = client.post("/api/campaigns", json=campaign_data(**overrides), headers=headers)
    assert created.status_code == 201, created.get_json()
    campaign_id = created.get_json()["id"]
    cover = client.put(f"/api/campaigns/{campaign_id}/cover", headers=headers,
                       data={"file": (io.BytesIO(image()), "cover.png"), "alt_fr": "Le groupe au studio"},
                       content_type="multipart/form-data")
    assert cover.status_code == 200, cover.get_json()
    return campaign_id


def live(app, tiers=(TIER,), owner_email: str = "olga@example.org", manager_language: str = "fr",
         **overrides) -> dict:
    """A campaign taking pledges now: drafted, submitted, approved. Its JSON, with `tier_ids` and
    the owner's and the manager's headers."""
    client = app.test_client()
    _owner, headers = owner(app, owner_email)
    _manager, manager_headers = manager(app, language=manager_language)
    campaign_id = draft(client, headers, **overrides)
    tier_ids = []
    for tier in tiers:
        added = client.post(f"/api/campaigns/{campaign_id}/tiers", json=tier, headers=headers)
        assert added.status_code == 201, added.get_json()
        tier_ids.append(added.get_json()["id"])
    assert client.post(f"/api/campaigns/{campaign_id}/submit", headers=headers).status_code == 200
    approved = client.post(f"/api/manage/campaigns/{campaign_id}/decision", json={"decision": "approved"},
                           headers=manager_headers)
    assert approved.status_code == 200, approved.get_json()
    return {**approved.get_json(), "tier_ids": tier_ids, "owner_headers": headers, "manager_headers": manager_headers}


def received_transfer(app, campaign: dict, email: str, amount_cents: int, **extra) -> dict:
    """A backer's pledge by bank transfer to a `live` campaign, which the fund manager marks
    received (it then counts): the pledge's JSON."""
    client = app.test_client()
    _someone, headers = backer(app, email)
    created = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=headers,
                          json={"amount_cents": amount_cents, "method": "transfer", **extra})
    assert created.status_code == 201, created.get_json()
    received = client.post(f"/api/manage/pledges/{created.get_json()['id']}/transfer-received",
                           headers=campaign["manager_headers"])
    assert received.status_code == 200, received.get_json()
    return received.get_json()
