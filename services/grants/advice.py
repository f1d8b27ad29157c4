"""The alternative funding referent: advice requests from project holders, the advice sessions
the referent holds and records, and the alternative funding organisations obtained.

Any signed-in person may ask for advice; the request reaches the referent's queue and, by
`advice.requested` (the outbox, then the notifications service), every referent's mailbox. The
referent answers with a session, which closes the request. `data` comes validated by
`schemas/impact.py`; these functions check what needs the database and write.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.grants.impact import referents
from services.grants.models import MECHANISMS, Account, AdviceRequest, AdviceSession, AlternativeFunding
from shared.core.clock import to_paris
from shared.core.config import service_public_url
from shared.core.outbox import publish
from shared.core.refusal import Refusal

SERVICE = "grants"
NOT_A_REQUEST = "This advice request does not exist."


def queue_url() -> str:
    return f"{service_public_url(SERVICE)}/referent/advice"


def request_advice(session: Session, account_id: int, data: dict, now: datetime) -> AdviceRequest:
    """A signed-in person asks the referent for advice about their project."""
    account = session.get(Account, account_id)
    if account is None:
        raise Refusal(401, "Sign in first: this route needs a valid access token.")
    unknown = [m for m in data.get("mechanisms", ()) if m not in MECHANISMS]
    if unknown:
        raise Refusal.invalid("mechanisms", "Must be one of the choices offered.")
    request = AdviceRequest(account_id=account.id, organisation=data["organisation"], siren=data.get("siren"),
                            project=data["project"], mechanisms=list(dict.fromkeys(data.get("mechanisms", ()))),
                            status="open", requested_at=now)
    session.add(request)
    session.flush()
    publish(session, SERVICE, "advice.requested", 1, {
        "request_id": request.id, "requester_name": account.name, "requester_email": account.email,
        "organisation": request.organisation, "project": request.project, "mechanisms": request.mechanisms,
        "requested_at": now, "queue_url": queue_url(),
        "recipients": [{"email": r.email, "name": r.name, "language": r.language} for r in referents(session)],
    })
    return request


def requests_of(session: Session, status: str | None = None) -> list[AdviceRequest]:
    query = select(AdviceRequest).order_by(AdviceRequest.requested_at.desc(), AdviceRequest.id.desc())
    if status:
        query = query.where(AdviceRequest.status == status)
    return list(session.scalars(query))


def own_requests(session: Session, account_id: int) -> list[AdviceRequest]:
    return list(session.scalars(select(AdviceRequest).where(AdviceRequest.account_id == account_id)
                                .order_by(AdviceRequest.requested_at.desc())))


def record_session(session: Session, referent_id: int, data: dict, now: datetime) -> AdviceSession:
    """An advice session held: with whom (an organisation, or the request it answers), when, the
    mechanisms discussed and notes. Answering a request twice is refused (409)."""
    request = None
    if data.get("request_id") is not None:
        request = session.get(AdviceRequest, data["request_id"], with_for_update=True)
        if request is None:
            raise Refusal.about("request_id", 404, NOT_A_REQUEST)
        if request.status == "answered":
            raise Refusal(409, "This request was answered already.")
    organisation = data.get("organisation") or (request.organisation if request else None)
    if not organisation:
        raise Refusal.invalid("organisation", "Name the organisation.")
    if data["held_on"] > to_paris(now).date():
        raise Refusal.invalid("held_on", "A session recorded is one held: its date cannot be in the future.")
    held = AdviceSession(
        request_id=request.id if request else None, organisation=organisation,
        siren=data.get("siren") or (request.siren if request else None), held_on=data["held_on"],
        mechanisms=list(dict.fromkeys(data["mechanisms"])), notes=data.get("notes", ""), referent_id=referent_id,
        recorded_at=now, demo=False)
    session.add(held)
    if request is not None:
        request.status = "answered"
    session.flush()
    return held


def sessions_of(session: Session) -> list[AdviceSession]:
    return list(session.scalars(select(AdviceSession).order_by(AdviceSession.held_on.desc(), AdviceSession.id.desc())))


def record_funding(session: Session, referent_id: int, data: dict, now: datetime) -> AlternativeFunding:
    """Alternative funding an organisation obtained: kind, amount, date, source."""
    if data["obtained_on"] > to_paris(now).date():
        raise Refusal.invalid("obtained_on", "Funding recorded is funding obtained: its date cannot be in the future.")
    if data.get("session_id") is not None and session.get(AdviceSession, data["session_id"]) is None:
        raise Refusal.about("session_id", 404, "This advice session does not exist.")
    funding = AlternativeFunding(
        organisation=data["organisation"], siren=data.get("siren"), kind=data["kind"],
        amount_cents=data["amount_cents"], obtained_on=data["obtained_on"], source=data["source"],
        session_id=data.get("session_id"), referent_id=referent_id, recorded_at=now, demo=False)
    session.add(funding)
    session.flush()
    return funding


def funding_of(session: Session) -> list[AlternativeFunding]:
    return list(session.scalars(select(AlternativeFunding)
                                .order_by(AlternativeFunding.obtained_on.desc(), AlternativeFunding.id.desc())))
