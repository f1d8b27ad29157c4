"""Events as the notifications worker receives them, checked against their contracts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shared.core import events


def envelope(name: str, version: int, payload: dict, request_id: str | None = "req1") -> dict:
    data = {
        "id": events.new_event_id(),
        "name": name,
        "version": version,
        "producer": "grants",
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "request_id": request_id,
        "payload": payload,
    }
    events.read_envelope(data)  # a test event keeps the contract too
    return data


def person(email="ana@example.org", name="Ana", language="fr") -> dict:
    return {"email": email, "name": name, "language": language}


def account_registered(email="ana@example.org", language="fr", **changes) -> dict:
    payload = {
        **person(email, language=language), "account_id": 1, "service": "grants", "roles": ["applicant"],
        "confirm_url": f"http://127.0.0.1:8001/accounts/confirm/token-for-{email}",
    }
    return envelope("account.registered", 1, {**payload, **changes})


def password_reset(email="ana@example.org", language="fr") -> dict:
    return envelope("account.password_reset_requested", 1, {
        **person(email, language=language), "account_id": 1, "service": "grants",
        "reset_url": "http://127.0.0.1:8001/accounts/reset/tok",
    })


def _application(application_id: int, email: str, language: str, call_id: int = 3) -> dict:
    return {
        **person(email, language=language), "application_id": application_id, "call_id": call_id,
        "call_title": "Aide à l'écriture 2027", "project_title": "Les Ateliers du Port",
        "application_url": f"http://127.0.0.1:8001/applications/{application_id}",
    }


def draft_started(
    application_id=7, email="ana@example.org", language="fr", closes_in=timedelta(days=30), call_id=3
) -> dict:
    closes_at = datetime.now(timezone.utc) + closes_in
    return envelope("application.draft_started", 1, {
        **_application(application_id, email, language, call_id), "closes_at": closes_at.isoformat(),
    })


def closing_extended(closes_at: datetime, call_id=3) -> dict:
    return envelope("call.closing_extended", 1, {
        "call_id": call_id, "call_title": "Aide à l'écriture 2027", "closes_at": closes_at.isoformat(),
    })


def submitted(application_id=7, email="ana@example.org", language="fr") -> dict:
    return envelope("application.submitted", 1, {
        **_application(application_id, email, language), "receipt_number": f"AP-2027-{application_id:05d}",
        "submitted_at": datetime(2027, 3, 3, 13, 5, tzinfo=timezone.utc).isoformat(),
    })


def withdrawn(application_id=7, email="ana@example.org", language="fr") -> dict:
    return envelope("application.withdrawn", 1, {
        **_application(application_id, email, language),
        "withdrawn_at": datetime.now(timezone.utc).isoformat(),
    })


def reviews_pending(revision: int, remind_in: timedelta | None, deadline_in: timedelta | None = timedelta(days=10),
                    panel_member_id=5, email="lea@example.org", language="en") -> dict:
    """What the grants service announces when a juror's reminder should move (None: cancel it)."""
    now = datetime.now(timezone.utc)
    return envelope("jury.reviews_pending", 1, {
        **person(email, "Léa", language), "panel_member_id": panel_member_id, "revision": revision, "call_id": 3,
        "call_title": "Creation grant 2027", "jury_url": "http://127.0.0.1:8001/jury/calls/3",
        "review_deadline": (now + deadline_in).isoformat() if deadline_in else None,
        "remind_at": (now + remind_in).isoformat() if remind_in else None,
    })
