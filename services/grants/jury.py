"""The jury: jurors, a call's panel and assignments, declarations of conflicts of interest and
flags of obvious ones, reviews, the deliberation and the review deadline's reminders.

Use cases take a session (and `now`), check, write, and publish their events in the caller's
unit of work; they raise `Refusal` before anything is written when they refuse.

Recusal is enforced here, never in a page: a juror who declared a conflict, or whose flag the
fund manager confirmed, cannot open the application, its documents or its review (404, as if it
were not theirs), and the application gets another juror when one is free. Before declaring, a
juror sees only the project's title and the applicant organisation's name and city.

Jurors see only their own reviews until the fund manager opens the deliberation (no anchoring
on a colleague's scores). Applicants never learn who scored them.

The review deadline's reminder is scheduled by the notifications service, as a delivery with a
`due_at` (the draft reminder's pattern: the time is kept in a database row, the worker's
sweeper wakes it if Redis lost its message, and it is in the delivery log). This service tells
it, with `jury.reviews_pending`, each time what the reminder depends on changes for a juror:
whether they have reviews left, the deadline, the lead time. Nothing polls.
"""
from __future__ import annotations

import csv
import gc
import io
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.grants import calls, documents, ranking
from services.grants.assignment import Need, balanced_assignment
from services.grants.config import SERVICE
from services.grants.models import (
    DEFAULT_DISAGREEMENT_THRESHOLD,
    DEFAULT_REMINDER_DAYS_BEFORE,
    DEFAULT_REVIEWS_PER_APPLICATION,
    Account,
    Application,
    Assignment,
    Call,
    ConflictFlag,
    Declaration,
    JurorProfile,
    Jury,
    JuryLogEntry,
    PanelMember,
    Review,
)
from services.grants.review import CSV_DELIMITER, euros, neutralise
from shared.accounts import projection
from shared.core.clock import to_paris
from shared.core.config import service_public_url
from shared.core.events import Event
from shared.core.outbox import publish
from shared.core.refusal import Refusal

JUROR = "juror"
NOT_ASSIGNED = "There is no such application among your assignments."
NOT_A_JUROR = "There is no such juror: jurors come by invitation."

# Addresses people hold as individuals: two people at gmail.com share no organisation.
WEBMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.fr", "yahoo.com", "ymail.com", "hotmail.fr", "hotmail.com",
    "outlook.fr", "outlook.com", "live.fr", "live.com", "msn.com", "icloud.com", "me.com", "mac.com",
    "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "neuf.fr", "laposte.net", "bbox.fr", "numericable.fr",
    "aol.com", "gmx.fr", "gmx.com", "protonmail.com", "proton.me", "tutanota.com", "yandex.com", "zoho.com",
})

STAGES = ("withdrawn", "to_declare", "recused", "awaiting_check", "to_score", "draft", "submitted")


# --- Obvious conflicts (no database) --------------------------------------------------------------


def siren_of(code: str | None) -> str | None:
    """The SIREN of a SIREN (9 digits) or a SIRET (14: the SIREN and the establishment)."""
    digits = "".join(character for character in code or "" if character.isdigit())
    return digits[:9] if len(digits) in (9, 14) else None


def email_domain(email: str | None) -> str | None:
    _local, at, domain = (email or "").strip().lower().rpartition("@")
    return domain or None if at else None


def obvious_conflicts(
    juror_siren: str | None, juror_email: str | None, applicant_siret: str | None, applicant_email: str | None
) -> list[tuple[str, str]]:
    """The flags a pair calls for, as (rule, what they have in common): the same SIREN; the same
    email domain, unless it is a common webmail's."""
    flags = []
    siren = siren_of(juror_siren)
    if siren is not None and siren == siren_of(applicant_siret):
        flags.append(("same_siren", siren))
    domain = email_domain(juror_email)
    if domain is not None and domain not in WEBMAIL_DOMAINS and domain == email_domain(applicant_email):
        flags.append(("same_email_domain", domain))
    return flags


# --- Jurors ----------------------------------------------------------------------------------------


def record_juror(session: Session, facts: dict, at: datetime) -> JurorProfile | None:
    """Keep the profile of someone who accepted an invitation as a juror (`invitation.accepted`);
    an invitation for other roles leaves no profile. A second acceptance updates the profile
    (a new organisation or SIREN), and its flags."""
    if JUROR not in facts["invited_roles"]:
        return None
    if session.get(Account, facts["account_id"]) is None:
        # Before the account's own event: recorded from this one, which `account.updated` (later)
        # brings up to date.
        projection.record(session, Account, {**facts, "session_version": 0}, at)
    profile = session.get(JurorProfile, facts["account_id"], with_for_update=True)
    if profile is None:
        profile = JurorProfile(account_id=facts["account_id"])
        session.add(profile)
    elif profile.accepted_at is not None and at < profile.accepted_at:
        return profile  # an older acceptance than the one recorded
    profile.email = facts["email"]
    profile.name = facts["name"]
    profile.organisation = facts.get("organisation")
    profile.siren = siren_of(facts.get("siren"))
    profile.accepted_at = at
    session.flush()
    for member in session.scalars(select(PanelMember).where(PanelMember.juror_id == profile.account_id)):
        call = session.get(Call, member.call_id)
        if call.status != "decided":
            _flag(session, call, at, juror_ids={profile.account_id})
    return profile


def record_invitation_accepted(session: Session, event: Event) -> None:
    record_juror(session, dict(event.payload), event.payload["accepted_at"])


def list_jurors(session: Session) -> list[JurorProfile]:
    """Everyone who came by invitation as a juror and holds the role."""
    rows = session.execute(
        select(JurorProfile, Account).join(Account, Account.id == JurorProfile.account_id).order_by(JurorProfile.name)
    )
    return [profile for profile, account in rows if JUROR in (account.roles or ())]


def _juror(session: Session, juror_id: int, field_name: str = "juror_id") -> JurorProfile:
    profile = session.get(JurorProfile, juror_id)
    account = session.get(Account, juror_id)
    if profile is None or account is None or JUROR not in (account.roles or ()):
        raise Refusal.invalid(field_name, NOT_A_JUROR)
    return profile


# --- A call's jury ----------------------------------------------------------------------------------


def jury_settings(session: Session, call_id: int) -> Jury:
    """The call's jury settings (the defaults while none were saved; nothing is written)."""
    calls.get_call(session, call_id)
    jury = session.get(Jury, call_id)
    if jury is None:
        jury = Jury(call_id=call_id, reviews_per_application=DEFAULT_REVIEWS_PER_APPLICATION, review_deadline=None,
                    reminder_days_before=DEFAULT_REMINDER_DAYS_BEFORE,
                    disagreement_threshold=DEFAULT_DISAGREEMENT_THRESHOLD, deliberation_opened_at=None)
    return jury


def _stored_jury(session: Session, call_id: int) -> Jury:
    # The call's row is locked first: two first changes of a call's jury at once do not both
    # insert its row, and every change of one jury waits for the one before.
    session.get(Call, call_id, with_for_update=True)
    jury = session.get(Jury, call_id, with_for_update=True)
    if jury is None:
        jury = jury_settings(session, call_id)
        session.add(jury)
        session.flush()
    return jury


def _ensure_not_decided(call: Call) -> None:
    if call.status == "draft":
        raise Refusal(409, "This call is a draft: its jury is set up once it is open.")
    if call.status == "decided":
        raise Refusal(409, "This call is decided: its jury's work is over.")


def _ensure_closed(call: Call, now: datetime) -> None:
    _ensure_not_decided(call)
    if calls.effective_status(call, now) == "open":
        raise Refusal(409, "Applications are assigned once the call has closed: more may still come in.")


def _ensure_in_review(call: Call) -> None:
    if call.status == "decided":
        raise Refusal(409, "This call is decided: the jury's work is over.")
    if call.status != "in_review":
        raise Refusal(409, "The review of this call has not started yet.")


def update_jury(session: Session, call_id: int, changes: dict, now: datetime, actor_id: int) -> Jury:
    """Reviews per application, the review deadline (entered in Paris time), the reminder's lead
    time in days, the disagreement threshold. A new deadline or lead time moves the reminders."""
    call = calls.get_call(session, call_id)
    _ensure_not_decided(call)
    jury = _stored_jury(session, call_id)
    before = (jury.review_deadline, jury.reminder_days_before)
    for name, value in changes.items():
        setattr(jury, name, value)
    if (jury.review_deadline, jury.reminder_days_before) != before:
        _log(session, call_id, now, actor_id, "deadline_set", details={
            "review_deadline": jury.review_deadline.isoformat() if jury.review_deadline else None,
            "reminder_days_before": jury.reminder_days_before})
        session.flush()
        _announce(session, call, now, _panel_ids(session, call_id))
    return jury


def _panel_ids(session: Session, call_id: int) -> list[int]:
    return list(session.scalars(select(PanelMember.juror_id).where(PanelMember.call_id == call_id)))


def panel(session: Session, call_id: int) -> list[JurorProfile]:
    calls.get_call(session, call_id)
    return list(session.scalars(
        select(JurorProfile).join(PanelMember, PanelMember.juror_id == JurorProfile.account_id)
        .where(PanelMember.call_id == call_id).order_by(JurorProfile.name, JurorProfile.account_id)
    ))


def add_panel_member(session: Session, call_id: int, juror_id: int, now: datetime, actor_id: int) -> JurorProfile:
    call = calls.get_call(session, call_id)
    _ensure_not_decided(call)
    profile = _juror(session, juror_id)
    if session.scalar(select(PanelMember.id).where(PanelMember.call_id == call_id, PanelMember.juror_id == juror_id)):
        raise Refusal.about("juror_id", 409, "This juror is already on the panel.")
    session.add(PanelMember(call_id=call_id, juror_id=juror_id, added_at=now, reminder_revision=0))
    _log(session, call_id, now, actor_id, "panel_member_added", juror_id=juror_id)
    session.flush()
    _flag(session, call, now, juror_ids={juror_id})
    return profile


def remove_panel_member(session: Session, call_id: int, juror_id: int, now: datetime, actor_id: int) -> None:
    """Take a juror off the panel, with their assignments; refused once they submitted a review."""
    call = calls.get_call(session, call_id)
    _ensure_not_decided(call)
    member = session.scalar(
        select(PanelMember).where(PanelMember.call_id == call_id, PanelMember.juror_id == juror_id).with_for_update()
    )
    if member is None:
        raise Refusal.not_found("This juror is not on the panel.")
    if session.scalar(select(Review.id).where(Review.call_id == call_id, Review.juror_id == juror_id,
                                              Review.status == "submitted").limit(1)):
        raise Refusal(409, "This juror has submitted reviews in this call: they stay on the panel.")
    # Their declarations and flags stay, for the record (and apply again if they come back).
    for model in (Review, Assignment):
        session.execute(delete(model).where(model.call_id == call_id, model.juror_id == juror_id))
    _publish_pending(session, call, member, None)
    session.delete(member)
    _log(session, call_id, now, actor_id, "panel_member_removed", juror_id=juror_id)


# --- Assignments and their states -----------------------------------------------------------------------


@dataclass
class Seat:
    """One assignment with what decides what the juror may do with it."""

    assignment: Assignment
    declaration: Declaration | None = None
    flags: list[ConflictFlag] = field(default_factory=list)
    review: Review | None = None
    withdrawn: bool = False  # the applicant withdrew the application since

    @property
    def recused(self) -> bool:
        return (self.declaration is not None and self.declaration.conflict) or any(
            flag.status == "confirmed" for flag in self.flags)

    @property
    def awaiting_check(self) -> bool:
        return any(flag.status == "open" for flag in self.flags)

    @property
    def cleared(self) -> bool:
        """The juror may read the application and score it."""
        return (self.declaration is not None and not self.recused and not self.awaiting_check
                and not self.withdrawn)

    @property
    def submitted(self) -> bool:
        return self.review is not None and self.review.status == "submitted"

    @property
    def counts(self) -> bool:
        """An assignment counts towards the application's reviews unless recused (or the
        application withdrawn)."""
        return not self.recused and not self.withdrawn

    @property
    def pending(self) -> bool:
        return self.counts and not self.submitted

    @property
    def stage(self) -> str:
        if self.withdrawn:
            return "withdrawn"
        if self.recused:
            return "recused"
        if self.declaration is None:
            return "to_declare"
        if self.awaiting_check:
            return "awaiting_check"
        if self.review is None:
            return "to_score"
        return self.review.status


def _seats(session: Session, *where) -> list[Seat]:
    """Assignments matching `where` (conditions on Assignment), with their declaration, flags and
    review, loaded with four queries."""
    assignments = list(session.scalars(select(Assignment).where(*where).order_by(Assignment.id)))
    if not assignments:
        return []
    pairs = {(a.application_id, a.juror_id) for a in assignments}
    application_ids = {a.application_id for a in assignments}
    juror_ids = {a.juror_id for a in assignments}

    def matching(model):
        return [row for row in session.scalars(
            select(model).where(model.application_id.in_(application_ids), model.juror_id.in_(juror_ids)))
            if (row.application_id, row.juror_id) in pairs]

    declarations = {(d.application_id, d.juror_id): d for d in matching(Declaration)}
    reviews = {(r.application_id, r.juror_id): r for r in matching(Review)}
    flags = defaultdict(list)
    for flag in matching(ConflictFlag):
        flags[(flag.application_id, flag.juror_id)].append(flag)
    withdrawn = set(session.scalars(select(Application.id).where(Application.id.in_(application_ids),
                                                                 Application.status == "withdrawn")))
    return [
        Seat(a, declarations.get((a.application_id, a.juror_id)), flags.get((a.application_id, a.juror_id), []),
             reviews.get((a.application_id, a.juror_id)), a.application_id in withdrawn)
        for a in assignments
    ]


def _submitted_applications(session: Session, call_id: int) -> list[Application]:
    return list(session.scalars(
        select(Application).where(Application.call_id == call_id, Application.status == "submitted")
        .order_by(Application.submitted_at, Application.id)
    ))


def _member(session: Session, call_id: int, juror_id: int) -> PanelMember | None:
    return session.scalar(select(PanelMember).where(PanelMember.call_id == call_id, PanelMember.juror_id == juror_id))


@dataclass(frozen=True)
class AssignmentRun:
    added: int
    unfilled: tuple[tuple[int, int], ...]  # (application id, reviews still missing)


def assign_automatically(session: Session, call_id: int, now: datetime, actor_id: int) -> AssignmentRun:
    """Give every submitted application its missing reviews, balancing the jurors' loads and
    never giving a juror an application they are recused or flagged for."""
    call = calls.get_call(session, call_id)
    _ensure_closed(call, now)
    jury = _stored_jury(session, call_id)  # its row lock: two runs at once do not both assign
    jurors = tuple(sorted(_panel_ids(session, call_id)))
    if not jurors:
        raise Refusal(409, "Add jurors to the panel first.")
    _flag(session, call, now)
    applications = _submitted_applications(session, call_id)
    plan = _plan(session, call_id, jury, jurors, [application.id for application in applications])
    for seat in plan.seats:
        session.add(Assignment(call_id=call_id, application_id=seat.application_id, juror_id=seat.juror_id,
                               origin="automatic", assigned_at=now))
    session.flush()
    _announce(session, call, now, {seat.juror_id for seat in plan.seats})
    return AssignmentRun(added=len(plan.seats), unfilled=plan.unfilled)


def _plan(session: Session, call_id: int, jury: Jury, jurors: tuple[int, ...], application_ids: list[int]):
    seats = _seats(session, Assignment.call_id == call_id)
    loads = Counter(seat.assignment.juror_id for seat in seats if seat.counts)
    by_application = defaultdict(list)
    for seat in seats:
        by_application[seat.assignment.application_id].append(seat)
    blocked = defaultdict(set)
    for flag in session.scalars(select(ConflictFlag).where(ConflictFlag.call_id == call_id,
                                                           ConflictFlag.status.in_(("open", "confirmed")))):
        blocked[flag.application_id].add(flag.juror_id)
    for declaration in session.scalars(select(Declaration).where(Declaration.call_id == call_id,
                                                                 Declaration.conflict.is_(True))):
        blocked[declaration.application_id].add(declaration.juror_id)
    needs = tuple(
        Need(
            application_id,
            jury.reviews_per_application,
            assigned=tuple(seat.assignment.juror_id for seat in by_application[application_id] if seat.counts),
            excluded=tuple({seat.assignment.juror_id for seat in by_application[application_id]}
                           | blocked[application_id]),
        )
        for application_id in application_ids
    )
    return balanced_assignment(jurors, dict(loads), needs)


def assign_by_hand(session: Session, call_id: int, application_id: int, juror_id: int, now: datetime,
                   actor_id: int) -> Assignment:
    call = calls.get_call(session, call_id)
    _ensure_closed(call, now)
    application = session.get(Application, application_id)
    if application is None or application.call_id != call_id or application.status != "submitted":
        raise Refusal.invalid("application_id", "There is no such submitted application in this call.")
    if _member(session, call_id, juror_id) is None:
        raise Refusal.invalid("juror_id", "This juror is not on the call's panel.")
    if session.scalar(select(Assignment.id).where(Assignment.application_id == application_id,
                                                  Assignment.juror_id == juror_id)):
        raise Refusal.about("juror_id", 409, "This juror is already assigned to this application.")
    declaration = session.scalar(select(Declaration).where(Declaration.application_id == application_id,
                                                           Declaration.juror_id == juror_id))
    flags = list(session.scalars(select(ConflictFlag).where(ConflictFlag.application_id == application_id,
                                                            ConflictFlag.juror_id == juror_id)))
    if (declaration is not None and declaration.conflict) or any(flag.status == "confirmed" for flag in flags):
        raise Refusal.about("juror_id", 409, "This juror is recused from this application.")
    if any(flag.status == "open" for flag in flags):
        raise Refusal.about("juror_id", 409, "A possible conflict of interest is flagged: confirm or clear it first.")
    assignment = Assignment(call_id=call_id, application_id=application_id, juror_id=juror_id, origin="manual",
                            assigned_at=now)
    session.add(assignment)
    _log(session, call_id, now, actor_id, "assignment_added", application_id=application_id, juror_id=juror_id)
    session.flush()
    _announce(session, call, now, {juror_id})
    return assignment


def unassign(session: Session, assignment_id: int, now: datetime, actor_id: int) -> None:
    """Take an assignment back (its draft review goes with it); refused once it is submitted."""
    assignment = session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        raise Refusal.not_found("There is no such assignment.")
    call = session.get(Call, assignment.call_id)
    _ensure_not_decided(call)
    review = _review_of(session, assignment.application_id, assignment.juror_id)
    if review is not None and review.status == "submitted":
        raise Refusal(409, "This review is submitted: the assignment stays. Reopen the review to change it.")
    if review is not None:
        session.delete(review)
    session.delete(assignment)
    _log(session, call.id, now, actor_id, "assignment_removed", application_id=assignment.application_id,
         juror_id=assignment.juror_id)
    session.flush()
    _announce(session, call, now, {assignment.juror_id})


def _replace(session: Session, call: Call, application_id: int, now: datetime) -> Assignment | None:
    """Another juror for an application that lost one to a recusal, if one is free."""
    jury = jury_settings(session, call.id)
    jurors = tuple(sorted(_panel_ids(session, call.id)))
    plan = _plan(session, call.id, jury, jurors, [application_id])
    if not plan.seats:
        return None
    [seat] = plan.seats[:1]
    assignment = Assignment(call_id=call.id, application_id=application_id, juror_id=seat.juror_id,
                            origin="replacement", assigned_at=now)
    session.add(assignment)
    session.flush()
    _announce(session, call, now, {seat.juror_id})
    return assignment


def application_withdrawn(session: Session, application: Application, now: datetime) -> None:
    """An application withdrawn during the review no longer needs its jurors: their reminders
    follow (its assignments stay, marked withdrawn)."""
    jurors = set(session.scalars(select(Assignment.juror_id).where(Assignment.application_id == application.id)))
    if jurors:
        session.flush()
        _announce(session, session.get(Call, application.call_id), now, jurors)


# --- Flags -------------------------------------------------------------------------------------------------


def _flag(session: Session, call: Call, now: datetime, juror_ids: set[int] | None = None) -> int:
    """Flag the obvious conflicts between the panel's jurors (or these) and the call's submitted
    applications that are not flagged yet; returns how many new flags."""
    jurors = select(JurorProfile, Account).join(Account, Account.id == JurorProfile.account_id).join(
        PanelMember, PanelMember.juror_id == JurorProfile.account_id).where(PanelMember.call_id == call.id)
    if juror_ids is not None:
        jurors = jurors.where(JurorProfile.account_id.in_(juror_ids))
    people = list(session.execute(jurors))
    if not people:
        return 0
    applicants = list(session.execute(
        select(Application.id, Application.snapshot, Account.email)
        .join(Account, Account.id == Application.account_id)
        .where(Application.call_id == call.id, Application.status == "submitted")
    ))
    known = set(session.execute(select(ConflictFlag.application_id, ConflictFlag.juror_id, ConflictFlag.rule)
                                .where(ConflictFlag.call_id == call.id)))
    added = 0
    for profile, account in people:
        for application_id, snapshot, applicant_email in applicants:
            siret = ((snapshot or {}).get("organisation") or {}).get("siret")
            for rule, detail in obvious_conflicts(profile.siren, account.email or profile.email, siret, applicant_email):
                if (application_id, profile.account_id, rule) in known:
                    continue
                session.add(ConflictFlag(call_id=call.id, application_id=application_id, juror_id=profile.account_id,
                                         rule=rule, detail=detail, status="open", flagged_at=now))
                added += 1
    if added:
        session.flush()
    return added


def decide_flag(session: Session, flag_id: int, decision: str, now: datetime, actor_id: int) -> ConflictFlag:
    """Confirm a flag (the juror is recused; the application gets another juror if one is free)
    or clear it. Logged."""
    flag = session.get(ConflictFlag, flag_id, with_for_update=True)
    if flag is None:
        raise Refusal.not_found("There is no such flag.")
    call = session.get(Call, flag.call_id)
    _ensure_not_decided(call)
    if flag.status != "open":
        raise Refusal.about("decision", 409, "This flag is already confirmed." if flag.status == "confirmed"
                            else "This flag is already cleared.")
    flag.status = "confirmed" if decision == "confirm" else "cleared"
    flag.decided_at = now
    flag.decided_by = actor_id
    _log(session, call.id, now, actor_id, f"flag_{flag.status}", application_id=flag.application_id,
         juror_id=flag.juror_id, details={"rule": flag.rule, "detail": flag.detail})
    session.flush()
    assigned = session.scalar(select(Assignment.id).where(Assignment.application_id == flag.application_id,
                                                          Assignment.juror_id == flag.juror_id))
    if flag.status == "confirmed" and assigned:
        _announce(session, call, now, {flag.juror_id})
        _replace(session, call, flag.application_id, now)
    return flag


# --- Declarations ----------------------------------------------------------------------------------------


def _juror_seat(session: Session, juror_id: int, application_id: int) -> tuple[Seat, Call]:
    """The juror's own assignment, or 404 as if the application did not exist. Read with its
    declaration, review, application's status and call in one query, and its flags in another
    (every juror's request starts here: `_seats`, for many seats, takes six for one)."""
    ids = {"application_id": application_id, "juror_id": juror_id}
    found = session.execute(_SEAT, ids).first()
    if found is None:
        raise Refusal.not_found(NOT_ASSIGNED)
    assignment, declaration, review, status, call = found
    if call.status not in ("in_review", "decided"):
        raise Refusal.not_found(NOT_ASSIGNED)
    flags = list(session.scalars(_SEAT_FLAGS, ids))
    return Seat(assignment, declaration, flags, review, status == "withdrawn"), call


# A juror's every request reads its seat: the statements are built once, with their ids bound at
# each call (building them took a tenth of a score saved).
_APPLICATION_ID, _JUROR_ID = bindparam("application_id"), bindparam("juror_id")
_SEAT = (
    select(Assignment, Declaration, Review, Application.status, Call)
    .join(Application, Application.id == Assignment.application_id)
    .join(Call, Call.id == Assignment.call_id)
    .outerjoin(Declaration, (Declaration.application_id == Assignment.application_id)
               & (Declaration.juror_id == Assignment.juror_id))
    .outerjoin(Review, (Review.application_id == Assignment.application_id) & (Review.juror_id == Assignment.juror_id))
    .where(Assignment.application_id == _APPLICATION_ID, Assignment.juror_id == _JUROR_ID)
)
_SEAT_FLAGS = select(ConflictFlag).where(ConflictFlag.application_id == _APPLICATION_ID,
                                         ConflictFlag.juror_id == _JUROR_ID)


def declare(session: Session, juror_id: int, application_id: int, conflict: bool, reason: str | None,
            now: datetime) -> Declaration:
    """The juror's declaration, before they read the application: final (the fund manager can
    reopen it). A conflict recuses them, with its reason; the application gets another juror."""
    seat, call = _juror_seat(session, juror_id, application_id)
    _ensure_in_review(call)
    if seat.withdrawn:
        raise Refusal(409, "The applicant withdrew this application: there is nothing to judge.")
    if seat.declaration is not None:
        raise Refusal(409, "Your declaration is recorded and cannot change; the fund manager can reopen it.")
    reason = (reason or "").strip()
    if conflict and not reason:
        raise Refusal.invalid("reason", "Say what the conflict of interest is.")
    declaration = Declaration(call_id=call.id, application_id=application_id, juror_id=juror_id,
                              conflict=conflict, reason=reason, declared_at=now)
    session.add(declaration)
    session.flush()
    if conflict:
        review = _review_of(session, application_id, juror_id)
        if review is not None and review.status == "draft":
            session.delete(review)
        _announce(session, call, now, {juror_id})
        _replace(session, call, application_id, now)
    return declaration


def reopen_declaration(session: Session, declaration_id: int, now: datetime, actor_id: int) -> None:
    """The fund manager lets a juror declare again: the declaration goes, the log keeps it."""
    declaration = session.get(Declaration, declaration_id, with_for_update=True)
    if declaration is None:
        raise Refusal.not_found("There is no such declaration.")
    call = session.get(Call, declaration.call_id)
    _ensure_not_decided(call)
    _log(session, call.id, now, actor_id, "declaration_reopened", application_id=declaration.application_id,
         juror_id=declaration.juror_id, details={
             "conflict": declaration.conflict, "reason": declaration.reason,
             "declared_at": declaration.declared_at.isoformat()})
    session.delete(declaration)
    session.flush()
    _announce(session, call, now, {declaration.juror_id})


# --- Reviews -------------------------------------------------------------------------------------------------


def _review_of(session: Session, application_id: int, juror_id: int, lock: bool = False) -> Review | None:
    # Under the lock it is read again: the session holds the review as the seat read it, before
    # the lock, and another request may have submitted it since.
    return session.scalar(_REVIEW_LOCKED if lock else _REVIEW, {"application_id": application_id, "juror_id": juror_id})


_REVIEW = select(Review).where(Review.application_id == _APPLICATION_ID, Review.juror_id == _JUROR_ID)
_REVIEW_LOCKED = _REVIEW.with_for_update().execution_options(populate_existing=True)


def _cleared_seat(session: Session, juror_id: int, application_id: int) -> tuple[Seat, Call]:
    """The juror's assignment when they may read it: declared without conflict, not recused, no
    flag waiting. Anything else is a 404, the recused juror's included."""
    seat, call = _juror_seat(session, juror_id, application_id)
    if not seat.cleared:
        raise Refusal.not_found(NOT_ASSIGNED)
    return seat, call


def grid_of(call: Call) -> list[dict]:
    return list(call.scoring_grid or ())


def _check_scores(call: Call, data: dict, complete: bool) -> dict[str, list[str]]:
    """Per-field problems of a review's answers; `complete` when it is being submitted."""
    errors: dict[str, list[str]] = {}
    grid = {criterion["code"]: criterion for criterion in grid_of(call)}
    for item in data.get("criteria", ()):
        criterion = grid.get(item["criterion"])
        if criterion is None:
            errors.setdefault("criteria", []).append("The call's grid has no such criterion.")
            continue
        level = item.get("level")
        if level is not None and level not in {entry["score"] for entry in criterion["levels"]}:
            errors.setdefault(f"level_{criterion['code']}", []).append("Choose one of the criterion's levels.")
    if complete:
        given = {item["criterion"]: item for item in data.get("criteria", ())}
        for code in grid:
            if given.get(code, {}).get("level") is None:
                errors.setdefault(f"level_{code}", []).append("Choose a level.")
            if not (given.get(code, {}).get("comment") or "").strip():
                errors.setdefault(f"comment_{code}", []).append("Write a comment.")
        if data.get("recommendation") is None:
            errors.setdefault("recommendation", []).append("Give your recommendation.")
        if not (data.get("overall_comment") or "").strip():
            errors.setdefault("overall_comment", []).append("Write an overall comment.")
    return errors


def _apply(review: Review, data: dict) -> None:
    levels, comments = dict(review.levels or {}), dict(review.comments or {})
    for item in data.get("criteria", ()):
        if "level" in item:
            if item["level"] is None:
                levels.pop(item["criterion"], None)
            else:
                levels[item["criterion"]] = item["level"]
        if "comment" in item:
            comments[item["criterion"]] = (item["comment"] or "").strip()
    review.levels, review.comments = levels, comments
    if "recommendation" in data:
        review.recommendation = data["recommendation"]
    if "overall_comment" in data:
        review.overall_comment = (data["overall_comment"] or "").strip()


def _first_draft(session: Session, call: Call, application_id: int, juror_id: int, now: datetime) -> Review:
    """A new draft; or the one another request made at the same moment (an autosave and a click),
    read under its lock once that request has committed it."""
    review = Review(call_id=call.id, application_id=application_id, juror_id=juror_id, status="draft",
                    levels={}, comments={}, overall_comment="", created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(review)
    except IntegrityError:
        return _review_of(session, application_id, juror_id, lock=True)
    return review


def _writable_review(session: Session, juror_id: int, application_id: int, now: datetime) -> tuple[Review, Call]:
    seat, call = _cleared_seat(session, juror_id, application_id)
    _ensure_in_review(call)
    review = (_review_of(session, application_id, juror_id, lock=True)
              or _first_draft(session, call, application_id, juror_id, now))
    if review.status == "submitted":
        raise Refusal(409, "Your review is submitted and final; the fund manager can reopen it.")
    return review, call


def save_review(session: Session, juror_id: int, application_id: int, data: dict, now: datetime) -> Review:
    """Save answers as a draft: any of them; given criteria replace theirs."""
    review, call = _writable_review(session, juror_id, application_id, now)
    errors = _check_scores(call, data, complete=False)
    if errors:
        raise Refusal(422, "This review has invalid answers; see errors.", errors)
    _apply(review, data)
    review.updated_at = now
    session.flush()
    return review


def submit_review(session: Session, juror_id: int, application_id: int, now: datetime,
                  data: dict | None = None) -> Review:
    """Submit: every criterion with a level and a comment, a recommendation and an overall
    comment; final afterwards. Refused with 409 after the review deadline."""
    review, call = _writable_review(session, juror_id, application_id, now)
    jury = jury_settings(session, call.id)
    if jury.review_deadline is not None and now > jury.review_deadline:
        raise Refusal(409, "The review deadline passed on %(deadline)s (Paris time): reviews can no longer be submitted.",
                      values={"deadline": jury.review_deadline})
    errors = _check_scores(call, data or {}, complete=False)
    if not errors:
        _apply(review, data or {})
        errors = _check_scores(call, _answers(review), complete=True)
    if errors:
        raise Refusal(422, "This review cannot be submitted yet: complete it (see errors).", errors)
    review.status = "submitted"
    review.submitted_at = now
    review.updated_at = now
    session.flush()
    _announce(session, call, now, {juror_id})
    return review


def _answers(review: Review) -> dict:
    codes = set(review.levels or {}) | set(review.comments or {})
    return {
        "criteria": [{"criterion": code, "level": (review.levels or {}).get(code),
                      "comment": (review.comments or {}).get(code, "")} for code in sorted(codes)],
        "recommendation": review.recommendation,
        "overall_comment": review.overall_comment,
    }


def reopen_review(session: Session, review_id: int, now: datetime, actor_id: int) -> Review:
    """The fund manager gives a submitted review back to its juror, as a draft. Logged."""
    review = session.get(Review, review_id, with_for_update=True)
    if review is None:
        raise Refusal.not_found("There is no such review.")
    call = session.get(Call, review.call_id)
    _ensure_in_review(call)
    if review.status != "submitted":
        raise Refusal(409, "This review is not submitted: there is nothing to reopen.")
    _log(session, call.id, now, actor_id, "review_reopened", application_id=review.application_id,
         juror_id=review.juror_id, details={"submitted_at": review.submitted_at.isoformat()})
    review.status = "draft"
    review.submitted_at = None
    review.updated_at = now
    session.flush()
    _announce(session, call, now, {review.juror_id})
    return review


# --- The deliberation -------------------------------------------------------------------------------------------


def open_deliberation(session: Session, call_id: int, now: datetime, actor_id: int) -> Jury:
    """From now on, jurors see each other's reviews of the applications they were cleared for."""
    call = calls.get_call(session, call_id)
    _ensure_in_review(call)
    jury = _stored_jury(session, call_id)
    if jury.deliberation_opened_at is not None:
        raise Refusal(409, "The deliberation is already open.")
    jury.deliberation_opened_at = now
    _log(session, call_id, now, actor_id, "deliberation_opened")
    return jury


# --- What a juror reads -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    """What a juror sees of an application before declaring: its title, the organisation's
    name and city."""

    application_id: int
    call_id: int
    project_title: str
    organisation: str
    city: str


def _cover(application: Application) -> Cover:
    organisation = (application.snapshot or {}).get("organisation") or {}
    return Cover(application.id, application.call_id, (application.snapshot or {}).get("project_title")
                 or application.project_title, organisation.get("legal_name") or "", organisation.get("city") or "")


@dataclass(frozen=True)
class JurorCall:
    call: Call
    jury: Jury
    assigned: int  # counted (not recused)
    submitted: int
    recused: int


def juror_calls(session: Session, juror_id: int) -> list[JurorCall]:
    """The calls whose panel the juror is on (not drafts), with their progress: scored x of y."""
    found = []
    for call in session.scalars(
        select(Call).join(PanelMember, PanelMember.call_id == Call.id)
        .where(PanelMember.juror_id == juror_id, Call.status != "draft").order_by(Call.closes_at.desc(), Call.id)
    ):
        seats = _seats(session, Assignment.call_id == call.id, Assignment.juror_id == juror_id) \
            if call.status in ("in_review", "decided") else []
        found.append(JurorCall(call, jury_settings(session, call.id), sum(seat.counts for seat in seats),
                               sum(seat.counts and seat.submitted for seat in seats),
                               sum(seat.recused for seat in seats)))
    return found


def juror_call(session: Session, juror_id: int, call_id: int) -> JurorCall:
    for found in juror_calls(session, juror_id):
        if found.call.id == call_id:
            return found
    raise Refusal.not_found("There is no such call among yours.")


@dataclass(frozen=True)
class JurorAssignment:
    seat: Seat
    cover: Cover


def juror_assignments(session: Session, juror_id: int, call_id: int) -> list[JurorAssignment]:
    found = juror_call(session, juror_id, call_id)
    if found.call.status not in ("in_review", "decided"):
        return []
    seats = _seats(session, Assignment.call_id == call_id, Assignment.juror_id == juror_id)
    return [JurorAssignment(seat, _cover(seat.assignment.application)) for seat in seats]


def juror_assignment(session: Session, juror_id: int, application_id: int) -> JurorAssignment:
    """The juror's assignment with its cover: visible when recused too (they declared on it)."""
    seat, _call = _juror_seat(session, juror_id, application_id)
    return JurorAssignment(seat, _cover(seat.assignment.application))


def cleared_application(session: Session, juror_id: int, application_id: int) -> Application:
    """The application, for a juror cleared to read it (404 otherwise)."""
    seat, _call = _cleared_seat(session, juror_id, application_id)
    return seat.assignment.application


def open_juror_document(session: Session, juror_id: int, application_id: int, code: str,
                        directory) -> tuple[dict, BinaryIO]:
    """A document as submitted (the snapshot's), for a juror cleared to read the application."""
    application = cleared_application(session, juror_id, application_id)
    document = next((d for d in (application.snapshot or {}).get("documents", ()) if d.get("kind") == code), None)
    if document is None:
        raise Refusal.not_found("There is no such document.")
    return document, documents.open_stored(directory, document["sha256"])


def juror_review(session: Session, juror_id: int, application_id: int) -> Review | None:
    """The juror's own review of an application they are cleared for (None before a first save)."""
    _cleared_seat(session, juror_id, application_id)
    return _review_of(session, application_id, juror_id)


@dataclass(frozen=True)
class PanelReview:
    juror_name: str
    organisation: str | None
    review: Review
    own: bool


def panel_reviews(session: Session, juror_id: int, application_id: int) -> list[PanelReview]:
    """Every submitted review of the application, with its juror, once the deliberation is open
    (409 before: no juror sees a colleague's scores until then)."""
    _seat, call = _cleared_seat(session, juror_id, application_id)
    if jury_settings(session, call.id).deliberation_opened_at is None:
        raise Refusal(409, "The deliberation is not open yet: the other jurors' reviews are shown once it is.")
    counted = _counted_pairs(session, application_id=application_id)
    return [
        PanelReview(profile.name, profile.organisation, review, review.juror_id == juror_id)
        for review, profile in session.execute(
            select(Review, JurorProfile).join(JurorProfile, JurorProfile.account_id == Review.juror_id)
            .where(Review.application_id == application_id, Review.status == "submitted").order_by(Review.id))
        if (application_id, review.juror_id) in counted
    ]


def _counted_pairs(session: Session, *, call_id: int | None = None,
                   application_id: int | None = None) -> set[tuple[int, int]]:
    """(application, juror) of the assignments that count: assigned and not recused."""

    def where(model):
        conditions = []
        if call_id is not None:
            conditions.append(model.call_id == call_id)
        if application_id is not None:
            conditions.append(model.application_id == application_id)
        return conditions

    assigned = set(session.execute(select(Assignment.application_id, Assignment.juror_id).where(*where(Assignment))))
    return assigned - _recused_pairs(session, where)


def _recused_pairs(session: Session, where) -> set[tuple[int, int]]:
    declared = session.execute(select(Declaration.application_id, Declaration.juror_id)
                               .where(Declaration.conflict.is_(True), *where(Declaration)))
    confirmed = session.execute(select(ConflictFlag.application_id, ConflictFlag.juror_id)
                                .where(ConflictFlag.status == "confirmed", *where(ConflictFlag)))
    return set(declared) | set(confirmed)


# --- What the fund manager reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JurorProgress:
    juror: JurorProfile
    assigned: int
    declared: int
    recused: int
    drafts: int
    submitted: int


def progress(session: Session, call_id: int) -> list[JurorProgress]:
    """The jury's progress, juror by juror."""
    members = panel(session, call_id)
    seats = _seats(session, Assignment.call_id == call_id)
    by_juror = defaultdict(list)
    for seat in seats:
        by_juror[seat.assignment.juror_id].append(seat)
    return [
        JurorProgress(
            member,
            assigned=sum(seat.counts for seat in by_juror[member.account_id]),
            declared=sum(seat.declaration is not None for seat in by_juror[member.account_id]),
            recused=sum(seat.recused for seat in by_juror[member.account_id]),
            drafts=sum(seat.counts and seat.stage == "draft" for seat in by_juror[member.account_id]),
            submitted=sum(seat.counts and seat.submitted for seat in by_juror[member.account_id]),
        )
        for member in members
    ]


@dataclass(frozen=True)
class ApplicationSeats:
    application: Application
    cover: Cover
    seats: tuple[Seat, ...]

    @property
    def counted(self) -> int:
        return sum(seat.counts for seat in self.seats)


def call_assignments(session: Session, call_id: int) -> list[ApplicationSeats]:
    calls.get_call(session, call_id)
    seats = _seats(session, Assignment.call_id == call_id)
    by_application = defaultdict(list)
    for seat in seats:
        by_application[seat.assignment.application_id].append(seat)
    return [ApplicationSeats(application, _cover(application), tuple(by_application[application.id]))
            for application in _submitted_applications(session, call_id)]


@dataclass(frozen=True)
class DeclarationRow:
    declaration: Declaration
    juror: JurorProfile
    application: Cover


@dataclass(frozen=True)
class FlagRow:
    flag: ConflictFlag
    juror: JurorProfile
    application: Cover


def declarations(session: Session, call_id: int) -> list[DeclarationRow]:
    calls.get_call(session, call_id)
    return [
        DeclarationRow(declaration, profile, _cover(application))
        for declaration, profile, application in session.execute(
            select(Declaration, JurorProfile, Application)
            .join(JurorProfile, JurorProfile.account_id == Declaration.juror_id)
            .join(Application, Application.id == Declaration.application_id)
            .where(Declaration.call_id == call_id).order_by(Declaration.declared_at, Declaration.id))
    ]


def flags(session: Session, call_id: int, flag_id: int | None = None) -> list[FlagRow]:
    calls.get_call(session, call_id)
    query = (
        select(ConflictFlag, JurorProfile, Application)
        .join(JurorProfile, JurorProfile.account_id == ConflictFlag.juror_id)
        .join(Application, Application.id == ConflictFlag.application_id)
        .where(ConflictFlag.call_id == call_id).order_by(ConflictFlag.flagged_at, ConflictFlag.id)
    )
    if flag_id is not None:
        query = query.where(ConflictFlag.id == flag_id)
    return [FlagRow(flag, profile, _cover(application)) for flag, profile, application in session.execute(query)]


def seat(session: Session, assignment_id: int) -> Seat:
    [found] = _seats(session, Assignment.id == assignment_id)
    return found


def log_of(session: Session, call_id: int) -> list[JuryLogEntry]:
    calls.get_call(session, call_id)
    return list(session.scalars(select(JuryLogEntry).where(JuryLogEntry.call_id == call_id)
                                .order_by(JuryLogEntry.at.desc(), JuryLogEntry.id.desc())))


def _log(session: Session, call_id: int, now: datetime, actor_id: int | None, action: str, *,
         application_id: int | None = None, juror_id: int | None = None, details: dict | None = None) -> None:
    session.add(JuryLogEntry(call_id=call_id, at=now, actor_id=actor_id, action=action,
                             application_id=application_id, juror_id=juror_id, details=details or {}))


# --- The ranking, and what the awards and the impact need -----------------------------------------------------------


def criteria_of(call: Call) -> tuple[ranking.Criterion, ...]:
    return tuple(ranking.Criterion(c["code"], c["weight"], tuple(level["score"] for level in c["levels"]))
                 for c in grid_of(call))


@dataclass(frozen=True)
class RankedCall:
    call: Call
    jury: Jury
    ranking: ranking.Ranking
    applications: dict  # id: (receipt number, project title, organisation's name)


@contextmanager
def _cycles_collected_after():
    """Reading and ranking a large call makes tens of thousands of objects and no reference
    cycle, so reference counting frees them all; the cycle collector would meanwhile traverse
    the whole heap about every other ranking of 1,000 applications, doubling its time. It runs
    after instead: paused in the whole process for the ranking's duration (about 0.1 s for
    1,000 applications; bench/jury_ranking.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def call_ranking(session: Session, call_id: int) -> RankedCall:
    """The call's ranking (`ranking.rank` on its submitted applications and reviews), read with
    a few plain queries."""
    with _cycles_collected_after():
        return _call_ranking(session, call_id)


def _call_ranking(session: Session, call_id: int) -> RankedCall:
    call = calls.get_call(session, call_id)
    jury = jury_settings(session, call_id)
    rows = session.execute(
        select(Application.id, Application.requested_cents, Application.submitted_at, Application.receipt_number,
               Application.project_title, Application.snapshot["organisation"]["legal_name"].as_string())
        .where(Application.call_id == call_id, Application.status == "submitted")
    ).all()
    assigned, recused = defaultdict(list), defaultdict(set)
    for application_id, juror_id in session.execute(
            select(Assignment.application_id, Assignment.juror_id).where(Assignment.call_id == call_id)):
        assigned[application_id].append(juror_id)
    for application_id, juror_id in _recused_pairs(session, lambda model: [model.call_id == call_id]):
        recused[application_id].add(juror_id)
    criteria = criteria_of(call)
    codes = [criterion.code for criterion in criteria]
    # Each level read by the database from the JSON, as a number: no JSON to decode here.
    reviews = tuple(
        ranking.SubmittedReview(row[0], row[1], tuple(zip(codes, row[3:])), row[2])
        for row in session.execute(
            select(Review.application_id, Review.juror_id, Review.recommendation,
                   *(Review.levels[code].as_integer() for code in codes))
            .where(Review.call_id == call_id, Review.status == "submitted"))
    )
    candidates = tuple(
        ranking.Candidate(row[0], row[1] or 0, row[2], tuple(assigned[row[0]]), tuple(recused[row[0]]))
        for row in rows
    )
    computed = ranking.rank(criteria, candidates, reviews, call.fund.envelope_cents,
                            jury.disagreement_threshold) if _has_range(call) else ranking.Ranking(
        (), (), (), None, None, call.fund.envelope_cents, jury.disagreement_threshold)
    return RankedCall(call, jury, computed, {row[0]: (row[3], row[4], row[5] or "") for row in rows})


def _has_range(call: Call) -> bool:
    return any(criterion.counts for criterion in criteria_of(call))


def missing_reviews(session: Session, call_id: int) -> int:
    """Reviews assigned (and not recused) that are not submitted yet."""
    calls.get_call(session, call_id)
    return sum(seat.pending for seat in _seats(session, Assignment.call_id == call_id))


def reviews_complete(session: Session, call_id: int) -> bool:
    """Whether every assigned review of the call is submitted (recused assignments aside), and
    every submitted application has at least one assignment."""
    if missing_reviews(session, call_id):
        return False
    assigned = set(session.scalars(select(Assignment.application_id).where(Assignment.call_id == call_id)))
    return all(application.id in assigned for application in _submitted_applications(session, call_id))


def scored_application_ids(session: Session, call_id: int | None = None) -> list[int]:
    """Applications with at least one submitted review that counts (the impact's "scored by
    the jury"), in one call or in all."""
    query = select(Review.application_id, Review.juror_id).where(Review.status == "submitted")
    if call_id is not None:
        query = query.where(Review.call_id == call_id)
    counted = _counted_pairs(session, call_id=call_id)
    return sorted({application_id for application_id, juror_id in session.execute(query)
                   if (application_id, juror_id) in counted})


@dataclass(frozen=True)
class CriterionComments:
    code: str
    label_fr: str
    label_en: str | None
    comments: tuple[str, ...]


@dataclass(frozen=True)
class JuryComments:
    """The jury's words on one application, anonymised: no juror's name, organisation or id,
    and in no juror's order (each list is sorted)."""

    application_id: int
    criteria: tuple[CriterionComments, ...]
    overall: tuple[str, ...]


def anonymised_comments(session: Session, application_id: int) -> JuryComments:
    application = session.get(Application, application_id)
    if application is None:
        raise Refusal.not_found("There is no such application.")
    counted = _counted_pairs(session, application_id=application_id)
    reviews = [review for review in session.scalars(
        select(Review).where(Review.application_id == application_id, Review.status == "submitted"))
        if (application_id, review.juror_id) in counted]
    criteria = tuple(
        CriterionComments(c["code"], c["label_fr"], c.get("label_en"), tuple(sorted(
            text for review in reviews if (text := (review.comments or {}).get(c["code"], "").strip()))))
        for c in grid_of(application.call)
    )
    overall = tuple(sorted(text for review in reviews if (text := review.overall_comment.strip())))
    return JuryComments(application_id, criteria, overall)


# --- Exports ---------------------------------------------------------------------------------------------------------

RECOMMENDATION_LABELS = {
    "fund": {"fr": "Financer", "en": "Fund"},
    "maybe": {"fr": "Peut-être", "en": "Maybe"},
    "dont_fund": {"fr": "Ne pas financer", "en": "Don't fund"},
}
_YES_NO = {True: {"fr": "oui", "en": "yes"}, False: {"fr": "non", "en": "no"}}


def _decimal_comma(value) -> str:
    return "" if value is None else str(value).replace(".", ",")


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def reviews_csv(session: Session, call_id: int, language: str = "fr") -> bytes:
    """Every submitted review of the call, one row each: its juror, the level and comment per
    criterion, the recommendation, the overall comment, the raw and corrected scores."""
    language = language if language in ("fr", "en") else "fr"
    ranked = call_ranking(session, call_id)
    scores = {(r.application_id, r.juror_id): r for r in ranked.ranking.reviews}
    grid = grid_of(ranked.call)
    fr = language == "fr"
    header = [
        "N°" if fr else "No.", "Récépissé" if fr else "Receipt", "Projet" if fr else "Project",
        "Structure" if fr else "Organisation", "Juré" if fr else "Juror",
        "Organisation du juré" if fr else "Juror's organisation",
    ]
    for criterion in grid:
        label = (criterion.get("label_en") if not fr else None) or criterion["label_fr"]
        header += [f"{label} : niveau" if fr else f"{label}: level", f"{label} : commentaire" if fr else f"{label}: comment"]
    header += ["Recommandation" if fr else "Recommendation", "Commentaire général" if fr else "Overall comment",
               "Note brute" if fr else "Raw score", "Note corrigée" if fr else "Corrected score",
               "Déposée le (heure de Paris)" if fr else "Submitted at (Paris time)"]
    rows = [header]
    for review, profile in session.execute(
        select(Review, JurorProfile).join(JurorProfile, JurorProfile.account_id == Review.juror_id)
        .where(Review.call_id == call_id, Review.status == "submitted").order_by(Review.application_id, Review.id)
    ):
        receipt, title, organisation = ranked.applications.get(review.application_id, ("", "", ""))
        score = scores.get((review.application_id, review.juror_id))
        row = [review.application_id, receipt, title, organisation, profile.name, profile.organisation or ""]
        for criterion in grid:
            row += [(review.levels or {}).get(criterion["code"], ""), (review.comments or {}).get(criterion["code"], "")]
        row += [
            RECOMMENDATION_LABELS.get(review.recommendation, {}).get(language, review.recommendation or ""),
            review.overall_comment,
            _decimal_comma(score.raw) if score else ("(récusé)" if fr else "(recused)"),
            _decimal_comma(score.corrected) if score else "",
            to_paris(review.submitted_at).strftime("%d/%m/%Y %H:%M") if review.submitted_at else "",
        ]
        rows.append(row)
    return _csv(rows)


def ranking_csv(session: Session, call_id: int, language: str = "fr") -> bytes:
    """The ranked table as the page shows it."""
    language = language if language in ("fr", "en") else "fr"
    fr = language == "fr"
    ranked = call_ranking(session, call_id)
    rows = [[
        "Rang" if fr else "Rank", "N°" if fr else "No.", "Récépissé" if fr else "Receipt",
        "Projet" if fr else "Project", "Structure" if fr else "Organisation",
        "Moyenne brute" if fr else "Raw mean", "Moyenne corrigée" if fr else "Corrected mean",
        "Évaluations faites" if fr else "Reviews done", "Évaluations attendues" if fr else "Reviews assigned",
        "Écart-type" if fr else "Spread", "Désaccord" if fr else "Disagreement",
        "Financer" if fr else "Fund", "Peut-être" if fr else "Maybe", "Ne pas financer" if fr else "Don't fund",
        "Montant demandé (€)" if fr else "Amount requested (€)", "Cumul (€)" if fr else "Running total (€)",
        "Dans l'enveloppe" if fr else "Within the envelope",
    ]]
    for row in ranked.ranking.rows:
        receipt, title, organisation = ranked.applications.get(row.application_id, ("", "", ""))
        rows.append([
            row.rank or "", row.application_id, receipt, title, organisation,
            _decimal_comma(row.raw_mean), _decimal_comma(row.corrected_mean), row.reviews_done, row.reviews_assigned,
            _decimal_comma(row.spread), _YES_NO[row.disagreement][language], row.fund, row.maybe, row.dont_fund,
            euros(row.requested_cents), euros(row.running_total_cents),
            _YES_NO[row.within_envelope][language] if row.rank else "",
        ])
    return _csv(rows)


# --- The reminder ----------------------------------------------------------------------------------------------------


def jury_url(call_id: int) -> str:
    return f"{service_public_url(SERVICE)}/jury/calls/{call_id}"


def _announce(session: Session, call: Call, now: datetime, juror_ids) -> None:
    """Tell the notifications service when to remind each of these jurors, when that changed.

    The panel seat's row is locked first, so that two changes for one juror at once announce in
    turn, each counting what the other committed."""
    jury = jury_settings(session, call.id)
    for juror_id in sorted(set(juror_ids)):
        member = session.scalar(select(PanelMember).where(PanelMember.call_id == call.id,
                                                          PanelMember.juror_id == juror_id).with_for_update())
        if member is None:
            continue
        left = sum(seat.pending for seat in _seats(session, Assignment.call_id == call.id,
                                                    Assignment.juror_id == juror_id))
        remind_at = None
        if left and jury.review_deadline is not None and jury.review_deadline > now:
            remind_at = jury.review_deadline - timedelta(days=jury.reminder_days_before)
        if remind_at != member.announced_remind_at:
            _publish_pending(session, call, member, remind_at)


def _publish_pending(session: Session, call: Call, member: PanelMember, remind_at: datetime | None) -> None:
    if remind_at is None and member.announced_remind_at is None and member.reminder_revision == 0:
        return  # nothing was ever announced for this seat
    jury = jury_settings(session, call.id)
    account = session.get(Account, member.juror_id)
    member.reminder_revision += 1
    member.announced_remind_at = remind_at
    publish(session, SERVICE, "jury.reviews_pending", 1, {
        "email": account.email, "name": account.name, "language": account.language,
        "panel_member_id": member.id, "revision": member.reminder_revision, "call_id": call.id,
        "call_title": call.title(account.language), "review_deadline": jury.review_deadline,
        "remind_at": remind_at, "jury_url": jury_url(call.id),
    })


STAGE_NAMES = {
    "withdrawn": "Withdrawn", "to_declare": "To declare", "recused": "Recused", "awaiting_check": "Awaiting the fund manager's check",
    "to_score": "To score", "draft": "Draft", "submitted": "Submitted",
}
RECOMMENDATION_NAMES = {"fund": "Fund it", "maybe": "Maybe", "dont_fund": "Don't fund it"}
FLAG_RULE_NAMES = {"same_siren": "Same SIREN", "same_email_domain": "Same email domain"}


# --- What the decision needs (issue 11) ------------------------------------------------------------------------------


def unassigned_applications(session: Session, call_id: int) -> int:
    """Submitted applications of the call that no juror was given."""
    assigned = set(session.scalars(select(Assignment.application_id).where(Assignment.call_id == call_id)))
    return sum(application.id not in assigned for application in _submitted_applications(session, call_id))
