"""Use cases of the notifications service: from an event to deliveries in the log."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.notifications.models import Delivery


def record_account_registered(session: Session, envelope: dict) -> None:
    payload = envelope["payload"]
    if payload["confirm_url"] is None:
        return  # created already confirmed (command line): nothing to ask of the person
    session.add(
        Delivery(
            event_id=envelope["id"],
            event_name=envelope["name"],
            kind="account_confirmation",
            channel="email",
            recipient_email=payload["email"],
            recipient_name=payload["name"],
            language=payload["language"],
            context={"confirm_url": payload["confirm_url"]},
            status="queued",
            attempts=0,
            request_id=envelope["request_id"],
        )
    )


HANDLERS = {"account.registered": record_account_registered}
