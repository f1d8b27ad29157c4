"""Events are contracts between services.

Each event has a name, a version and a marshmallow schema for its payload. A payload is
validated when a producer writes it to its outbox and again when a consumer reads it, so a
service that drifts from the contract fails loudly on its own side.

The envelope carries the event id (the key of idempotent consumption), the request id of the
request that caused it (for logs across services) and when it happened.

A producer names the version it publishes; a consumer has one handler per (name, version) it
understands, and is given an `Event`: the event's identity and its payload as validated against
that version's contract, never the envelope itself.
"""
from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from shared.core.clock import utcnow  # noqa: F401  (re-exported: events are stamped with it)


class EventContractError(ValueError):
    def __init__(self, name: str, version: int, errors):
        super().__init__(f"event {name} v{version} breaks its contract: {errors}")
        self.errors = errors


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    schema: type[Schema]
    consumers: tuple[str, ...]  # services that receive it


REGISTRY: dict[tuple[str, int], EventType] = {}


def event_type(name: str, version: int, consumers: tuple[str, ...]):
    def register(schema: type[Schema]) -> type[Schema]:
        REGISTRY[(name, version)] = EventType(name, version, schema, consumers)
        return schema

    return register


def latest_version(name: str) -> int:
    versions = [v for (n, v) in REGISTRY if n == name]
    if not versions:
        raise EventContractError(name, 0, "unknown event")
    return max(versions)


def lookup(name: str, version: int) -> EventType:
    try:
        return REGISTRY[(name, version)]
    except KeyError:
        raise EventContractError(name, version, "unknown event") from None


@functools.cache
def _schema(schema: type[Schema]) -> Schema:
    # One instance per contract, shared by every thread: a marshmallow schema keeps nothing
    # between two loads or dumps, and building one costs more than the load itself.
    return schema()


def validate_payload(name: str, version: int, payload: dict) -> dict:
    kind = lookup(name, version)
    try:
        return _schema(kind.schema).load(payload)
    except ValidationError as error:
        raise EventContractError(name, version, error.messages) from None


def dump_payload(name: str, version: int, payload: dict) -> dict:
    """Validated, JSON-ready payload for the outbox."""
    loaded = validate_payload(name, version, payload)
    return _schema(lookup(name, version).schema).dump(loaded)


class EnvelopeSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(equal=36))
    name = fields.String(required=True)
    version = fields.Integer(required=True, strict=True)
    producer = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    request_id = fields.String(load_default=None, allow_none=True)
    payload = fields.Dict(required=True)


def new_event_id() -> str:
    return str(uuid.uuid4())


def read_envelope(data: dict) -> dict:
    """Validate an envelope received from the queue, and its payload against its contract."""
    try:
        envelope = _schema(EnvelopeSchema).load(data)
    except ValidationError as error:
        raise EventContractError(str(data.get("name")), data.get("version") or 0, error.messages) from None
    envelope["payload"] = validate_payload(envelope["name"], envelope["version"], envelope["payload"])
    return envelope


@dataclass(frozen=True)
class Event:
    """What a consumer's handler is given: which event, and its payload loaded by its contract."""

    id: str
    name: str
    version: int
    occurred_at: datetime
    payload: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    @classmethod
    def of(cls, envelope: dict) -> Event:
        """The event of an envelope that `read_envelope` has validated."""
        return cls(
            id=envelope["id"],
            name=envelope["name"],
            version=envelope["version"],
            occurred_at=envelope["occurred_at"],
            # Read-only: a handler reads the event, it does not change it for the next one.
            payload=MappingProxyType(envelope["payload"]),
        )


def read_event(data: dict) -> Event:
    """The event in an envelope received from the queue, validated (EventContractError if not)."""
    return Event.of(read_envelope(data))


# --- The contracts ------------------------------------------------------------------------

LANGUAGES = ("fr", "en")


class _Recipient(Schema):
    email = fields.Email(required=True)
    name = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


@event_type("account.registered", 1, consumers=("notifications",))
class AccountRegisteredV1(_Recipient):
    """Someone has an account on a service. confirm_url is set when the address needs confirming."""

    account_id = fields.Integer(required=True, strict=True)
    service = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    confirm_url = fields.Url(load_default=None, allow_none=True, require_tld=False)


@event_type("account.password_reset_requested", 1, consumers=("notifications",))
class PasswordResetRequestedV1(_Recipient):
    account_id = fields.Integer(required=True, strict=True)
    service = fields.String(required=True)
    reset_url = fields.Url(required=True, require_tld=False)


@event_type("account.updated", 1, consumers=("grants", "crowdfunding", "notifications"))
class AccountUpdatedV1(_Recipient):
    """What every service keeps about a person, as it is now (sent on every change: sign-up,
    confirmation, roles, name, language, and the session version that sign-out moves on)."""

    account_id = fields.Integer(required=True, strict=True)
    roles = fields.List(fields.String(), required=True)
    session_version = fields.Integer(required=True, strict=True)


@event_type("account.sign_up_attempted", 1, consumers=("notifications",))
class SignUpAttemptedV1(_Recipient):
    """Someone signed up with an address that has an account: its owner is told, the sign-up
    itself answers as for a new address (nobody learns who has an account)."""

    account_id = fields.Integer(required=True, strict=True)
    sign_in_url = fields.Url(required=True, require_tld=False)
    reset_url = fields.Url(required=True, require_tld=False)


@event_type("account.invited", 1, consumers=("notifications",))
class AccountInvitedV1(_Recipient):
    """A juror, a referent or a fund manager is invited; the recipient is the invited person
    (language: the inviter's, until they choose)."""

    invitation_id = fields.Integer(required=True, strict=True)
    roles = fields.List(fields.String(), required=True)
    organisation = fields.String(load_default=None, allow_none=True)
    siren = fields.String(load_default=None, allow_none=True)
    invited_by = fields.String(required=True)
    accept_url = fields.Url(required=True, require_tld=False)


@event_type("invitation.accepted", 1, consumers=("grants",))
class InvitationAcceptedV1(Schema):
    """An invitation was accepted: by a newcomer who chose a password, or by a person whose
    account got its roles. The grants service keeps its jurors' profiles from it (their
    organisation and SIREN are what the automatic conflict flags compare)."""

    invitation_id = fields.Integer(required=True, strict=True)
    account_id = fields.Integer(required=True, strict=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    roles = fields.List(fields.String(), required=True)  # every role of the account now
    invited_roles = fields.List(fields.String(), required=True)
    organisation = fields.String(load_default=None, allow_none=True)
    siren = fields.String(load_default=None, allow_none=True)
    accepted_at = fields.AwareDateTime(required=True)


class _ApplicationRef(_Recipient):
    """The applicant is the recipient; the call and application are named for the message."""

    application_id = fields.Integer(required=True, strict=True)
    call_id = fields.Integer(required=True, strict=True)
    call_title = fields.String(required=True)
    project_title = fields.String(required=True)
    application_url = fields.Url(required=True, require_tld=False)


@event_type("application.draft_started", 1, consumers=("notifications",))
class ApplicationDraftStartedV1(_ApplicationRef):
    """A draft exists; notifications schedules a reminder before the call closes."""

    closes_at = fields.AwareDateTime(required=True)


@event_type("application.submitted", 1, consumers=("notifications",))
class ApplicationSubmittedV1(_ApplicationRef):
    receipt_number = fields.String(required=True)
    submitted_at = fields.AwareDateTime(required=True)


@event_type("application.withdrawn", 1, consumers=("notifications",))
class ApplicationWithdrawnV1(_ApplicationRef):
    withdrawn_at = fields.AwareDateTime(required=True)


@event_type("call.closing_extended", 1, consumers=("notifications",))
class CallClosingExtendedV1(Schema):
    """An open call now closes later; notifications moves the reminders still to come.

    call_title is the call's French title (the reminders keep the title in each person's language)."""

    call_id = fields.Integer(required=True, strict=True)
    call_title = fields.String(required=True)
    closes_at = fields.AwareDateTime(required=True)


@event_type("jury.reviews_pending", 1, consumers=("notifications",))
class JuryReviewsPendingV1(_Recipient):
    """What a juror's review reminder depends on changed: their reviews left in a call, the
    review deadline or the reminder's lead time. The recipient is the juror.

    `remind_at` is when to remind them; None when there is nothing to remind (no review left,
    no deadline, or the deadline past). `revision` orders the events of one seat on a call's
    panel (`panel_member_id`): an event older than one already handled changes nothing.
    call_title is in the juror's language."""

    panel_member_id = fields.Integer(required=True, strict=True)
    revision = fields.Integer(required=True, strict=True)
    call_id = fields.Integer(required=True, strict=True)
    call_title = fields.String(required=True)
    review_deadline = fields.AwareDateTime(load_default=None, allow_none=True)
    remind_at = fields.AwareDateTime(load_default=None, allow_none=True)
    jury_url = fields.Url(required=True, require_tld=False)


@event_type("delivery.resend_requested", 1, consumers=("notifications",))
class DeliveryResendRequestedV1(Schema):
    """The notifications service to itself: an admin asked to send a failed delivery again.

    Through the outbox, so that a request never puts anything on the queue itself."""

    delivery_id = fields.Integer(required=True, strict=True)


# --- Crowdfunding: campaigns and pledges --------------------------------------------------------
# Produced by the crowdfunding service. A message to one person carries them as its recipient
# (email, name, language) and the campaign's title in their language; a message to several carries
# the list of recipients and both titles.

FUNDING_MODELS = ("all_or_nothing", "keep_it_all")
PLEDGE_METHODS = ("card", "transfer")


class _Person(_Recipient):
    """One recipient in a list (the fund managers, a campaign's backers)."""


class _CampaignRef(_Recipient):
    """The campaign's owner is the recipient."""

    campaign_id = fields.Integer(required=True, strict=True)
    campaign_title = fields.String(required=True)
    campaign_url = fields.Url(required=True, require_tld=False)


@event_type("campaign.submitted", 1, consumers=("notifications",))
class CampaignSubmittedV1(_CampaignRef):
    """The owner sent their campaign to moderation; the fund managers are told where to review it."""

    submitted_at = fields.AwareDateTime(required=True)
    moderation_url = fields.Url(required=True, require_tld=False)
    moderators = fields.List(fields.Nested(_Person), required=True)


@event_type("campaign.approved", 1, consumers=("notifications",))
class CampaignApprovedV1(_CampaignRef):
    """The fund manager approved the campaign: it goes live at `starts_at`."""

    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


@event_type("campaign.changes_requested", 1, consumers=("notifications",))
class CampaignChangesRequestedV1(_CampaignRef):
    """The fund manager asks for changes before approving; the owner edits and submits again."""

    reason = fields.String(required=True)


@event_type("campaign.rejected", 1, consumers=("notifications",))
class CampaignRejectedV1(_CampaignRef):
    """The fund manager rejected the campaign, for good."""

    reason = fields.String(required=True)


@event_type("campaign.published", 1, consumers=("notifications", "grants"))
class CampaignPublishedV1(_CampaignRef):
    """The campaign is live: backers may pledge until `ends_at`."""

    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    goal_cents = fields.Integer(required=True, strict=True)
    funding_model = fields.String(required=True, validate=validate.OneOf(FUNDING_MODELS))
    # Added for matchfunding (the grants know a campaign, and can link it to an award, from it).
    owner_account_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    organisation = fields.Nested(lambda: CampaignOrganisationV1(), load_default=None, allow_none=True)


class _PledgeRef(_Recipient):
    """The backer is the recipient; the pledge as it is now."""

    pledge_id = fields.Integer(required=True, strict=True)
    reference = fields.String(required=True)
    campaign_id = fields.Integer(required=True, strict=True)
    campaign_title = fields.String(required=True)
    campaign_url = fields.Url(required=True, require_tld=False)
    pledge_url = fields.Url(required=True, require_tld=False)
    amount_cents = fields.Integer(required=True, strict=True)
    tier_title = fields.String(load_default=None, allow_none=True)
    method = fields.String(required=True, validate=validate.OneOf(PLEDGE_METHODS))
    funding_model = fields.String(required=True, validate=validate.OneOf(FUNDING_MODELS))
    ends_at = fields.AwareDateTime(required=True)


@event_type("pledge.confirmed", 1, consumers=("notifications",))
class PledgeConfirmedV1(_PledgeRef):
    """A pledge counts: its card is saved (nothing charged before the close), or its transfer received."""

    confirmed_at = fields.AwareDateTime(required=True)


@event_type("pledge.changed", 1, consumers=("notifications", "grants"))
class PledgeChangedV1(_PledgeRef):
    """The backer changed a pledge that counts (amount, reward tier, name shown)."""

    previous_amount_cents = fields.Integer(required=True, strict=True)
    previous_tier_title = fields.String(load_default=None, allow_none=True)
    changed_at = fields.AwareDateTime(required=True)


@event_type("pledge.cancelled", 1, consumers=("notifications", "crowdfunding", "grants"))
class PledgeCancelledV1(_PledgeRef):
    """A pledge the backer had been told about no longer counts: cancelled by the backer, or a
    transfer not received by the close. The crowdfunding worker detaches its saved card."""

    reason = fields.String(required=True, validate=validate.OneOf(("backer", "transfer_not_received")))
    cancelled_at = fields.AwareDateTime(required=True)


@event_type("campaign.news_posted", 1, consumers=("notifications",))
class CampaignNewsPostedV1(Schema):
    """The owner posted news; each backer gets it by email (the `campaign_news` message, opt-out)."""

    news_id = fields.Integer(required=True, strict=True)
    campaign_id = fields.Integer(required=True, strict=True)
    campaign_title = fields.String(required=True)
    campaign_title_en = fields.String(load_default=None, allow_none=True)
    campaign_url = fields.Url(required=True, require_tld=False)
    text = fields.String(required=True)
    posted_at = fields.AwareDateTime(required=True)
    recipients = fields.List(fields.Nested(_Person), required=True)


# --- Crowdfunding: the close, charging, refunds (issue 13) ----------------------------------------
# The close is decided by the crowdfunding service at the campaign's end time. A campaign's facts
# carry its owner's organisation (SIREN/SIRET), so that the grants service can follow supported firms
# and pay a campaign's matches without reading crowdfunding's tables. Consumers are added to each
# contract's tuple as their handlers land.

CAMPAIGN_OUTCOMES = ("succeeded", "failed", "cancelled")


class CampaignOrganisationV1(Schema):
    """The campaign owner's organisation, as the owner declared it (checked like an applicant's)."""

    siret = fields.String(load_default=None, allow_none=True, metadata={"description": "SIREN (9) or SIRET (14)"})
    siren = fields.String(load_default=None, allow_none=True, metadata={"description": "its first 9 digits"})
    rna = fields.String(load_default=None, allow_none=True)
    legal_name = fields.String(required=True)
    kind = fields.String(required=True)
    sector = fields.String(required=True)
    postal_code = fields.String(required=True)
    city = fields.String(required=True)


class _CampaignClosed(_CampaignRef):
    """The campaign's owner is the recipient; its totals at the close, in cents."""

    owner_account_id = fields.Integer(required=True, strict=True)
    organisation = fields.Nested(CampaignOrganisationV1, required=True)
    funding_model = fields.String(required=True, validate=validate.OneOf(FUNDING_MODELS))
    goal_cents = fields.Integer(required=True, strict=True)
    ends_at = fields.AwareDateTime(required=True)
    closed_at = fields.AwareDateTime(required=True)
    pledged_cents = fields.Integer(required=True, strict=True, metadata={"description": "confirmed pledges at the close"})
    card_pledged_cents = fields.Integer(required=True, strict=True)
    transfer_cents = fields.Integer(required=True, strict=True)
    backers = fields.Integer(required=True, strict=True)
    matched_cents = fields.Integer(load_default=0, strict=True, metadata={"description": "matches reserved by the fund"})


@event_type("campaign.succeeded", 1, consumers=("notifications", "grants"))
class CampaignSucceededV1(_CampaignClosed):
    """The campaign closed a success (all-or-nothing: the goal reached; keep-it-all: always when
    anything was pledged): its card pledges are being charged."""


@event_type("campaign.failed", 1, consumers=("notifications", "grants"))
class CampaignFailedV1(_CampaignClosed):
    """An all-or-nothing campaign closed below its goal: nothing is charged, the cards are detached."""

    recipients = fields.List(fields.Nested(_Person), required=True, metadata={"description": "its backers"})


@event_type("campaign.cancelled", 1, consumers=("notifications", "grants"))
class CampaignCancelledV1(_CampaignClosed):
    """The fund manager cancelled a successful campaign: every paid pledge is refunded."""

    cancelled_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)
    recipients = fields.List(fields.Nested(_Person), required=True, metadata={"description": "its backers"})


class _PledgeSettled(_PledgeRef):
    backer_account_id = fields.Integer(required=True, strict=True)
    attempt = fields.Integer(required=True, strict=True, metadata={"description": "the charge attempt, from 1"})


@event_type("pledge.charged", 1, consumers=("notifications",))
class PledgeChargedV1(_PledgeSettled):
    """The pledge's card was charged (by the worker at the close, or by the backer on the recovery page)."""

    payment_intent_id = fields.String(required=True)
    charged_at = fields.AwareDateTime(required=True)


@event_type("pledge.action_needed", 1, consumers=("notifications",))
class PledgeActionNeededV1(_PledgeSettled):
    """The bank asked for authentication, or declined the card: the backer finishes paying on the
    recovery page by `expires_at`. `reminder` is 0 for the first message, then 1 and 2."""

    reason = fields.String(required=True, metadata={"description": "authentication_required, card_declined..."})
    action_url = fields.Url(required=True, require_tld=False)
    expires_at = fields.AwareDateTime(required=True)
    reminder = fields.Integer(required=True, strict=True)


@event_type("pledge.failed", 1, consumers=("notifications", "grants"))
class PledgeFailedV1(_PledgeSettled):
    """The pledge was not paid by its deadline: its tier place is freed and it no longer counts."""

    reason = fields.String(required=True)
    failed_at = fields.AwareDateTime(required=True)
    owner = fields.Nested(_Person, required=True, metadata={"description": "the campaign's owner, who is told"})


@event_type("pledge.refunded", 1, consumers=("notifications", "grants"))
class PledgeRefundedV1(_PledgeSettled):
    """A refund of a paid pledge, in full or in part, went through."""

    refund_id = fields.Integer(required=True, strict=True)
    refund_cents = fields.Integer(required=True, strict=True)
    refunded_total_cents = fields.Integer(required=True, strict=True)
    fully_refunded = fields.Boolean(required=True)
    reason = fields.String(required=True)
    refunded_at = fields.AwareDateTime(required=True)


# --- Matchfunding: crowdfunding asks, grants reserves within its pot (issue 13) -------------------
# A match is keyed by the pledge (`pledge_id`): a repeated request reserves nothing twice. The grants
# service releases a pledge's match itself when it reads that the pledge was cancelled, failed or
# refunded, or that the campaign failed or was cancelled; it says so with `match.released`.

MATCH_REFUSALS = ("not_qualifying", "pot_exhausted", "campaign_cap", "backer_limit", "pot_closed")


class _MatchRef(Schema):
    pledge_id = fields.Integer(required=True, strict=True)
    campaign_id = fields.Integer(required=True, strict=True)


@event_type("match.requested", 1, consumers=("grants",))
class MatchRequestedV1(_MatchRef):
    """A pledge was confirmed on a campaign that may qualify for matching."""

    backer_account_id = fields.Integer(required=True, strict=True)
    owner_account_id = fields.Integer(required=True, strict=True)
    organisation = fields.Nested(CampaignOrganisationV1, required=True)
    campaign_title = fields.String(required=True)
    amount_cents = fields.Integer(required=True, strict=True)
    requested_at = fields.AwareDateTime(required=True)


@event_type("match.reserved", 1, consumers=("crowdfunding",))
class MatchReservedV1(_MatchRef):
    """The fund reserved `matched_cents` in its pot for this pledge."""

    pot_id = fields.Integer(required=True, strict=True)
    fund_id = fields.Integer(required=True, strict=True)
    matched_cents = fields.Integer(required=True, strict=True)
    reserved_at = fields.AwareDateTime(required=True)


@event_type("match.refused", 1, consumers=("crowdfunding",))
class MatchRefusedV1(_MatchRef):
    """No match for this pledge, and why."""

    reason = fields.String(required=True, validate=validate.OneOf(MATCH_REFUSALS))
    refused_at = fields.AwareDateTime(required=True)


@event_type("match.released", 1, consumers=("crowdfunding",))
class MatchReleasedV1(_MatchRef):
    """A reserved match went back to the pot (the pledge or the campaign no longer counts)."""

    pot_id = fields.Integer(required=True, strict=True)
    released_cents = fields.Integer(required=True, strict=True)
    reason = fields.String(required=True)
    released_at = fields.AwareDateTime(required=True)


# --- Awards and the decision (grants) --------------------------------------------------------------
# What the later consumers need: the crowdfunding service's matchfunding (an awarded organisation's
# SIREN/SIRET links its campaign) and the impact tracking of supported firms (who, in which sector,
# how much, from when). The applicant is the recipient, for the emails.


class SupportedOrganisationV1(Schema):
    """The applicant's organisation as it was submitted (the application's snapshot)."""

    siret = fields.String(load_default=None, allow_none=True, metadata={"description": "SIREN (9) or SIRET (14)"})
    siren = fields.String(load_default=None, allow_none=True, metadata={"description": "its first 9 digits"})
    rna = fields.String(load_default=None, allow_none=True)
    legal_name = fields.String(required=True)
    kind = fields.String(required=True)
    sector = fields.String(required=True)
    postal_code = fields.String(required=True)
    city = fields.String(required=True)
    created_on = fields.Date(load_default=None, allow_none=True)


class _AwardFacts(_Recipient):
    award_id = fields.Integer(required=True, strict=True)
    application_id = fields.Integer(required=True, strict=True)
    receipt_number = fields.String(required=True)
    call_id = fields.Integer(required=True, strict=True)
    fund_id = fields.Integer(required=True, strict=True)
    fund_year = fields.Integer(required=True, strict=True)
    call_title = fields.String(required=True)  # in the recipient's language
    project_title = fields.String(required=True)
    organisation = fields.Nested(SupportedOrganisationV1, required=True)
    amount_cents = fields.Integer(required=True, strict=True)
    granted_at = fields.AwareDateTime(required=True)
    award_url = fields.Url(required=True, require_tld=False)


class AwardTrancheV1(Schema):
    number = fields.Integer(required=True, strict=True)
    due = fields.String(required=True, validate=validate.OneOf(("acceptance", "interim_report", "final_report")))
    share_bp = fields.Integer(required=True, strict=True, metadata={"description": "basis points: 7000 is 70 %"})
    amount_cents = fields.Integer(required=True, strict=True)


@event_type("award.granted", 1, consumers=("notifications",))
class AwardGrantedV1(_AwardFacts):
    """The applicant is told of their award: at the call's decision, or when granted or changed
    after it (`revision` counts the announcements of one award: an older one changes nothing).
    `conditions` are in the recipient's language."""

    revision = fields.Integer(required=True, strict=True)
    conditions = fields.String(load_default="", allow_none=True)
    tranches = fields.List(fields.Nested(AwardTrancheV1), required=True)


@event_type("award.accepted", 1, consumers=("grants",))
class AwardAcceptedV1(_AwardFacts):
    """The applicant accepted the agreement; the first tranche may now be due."""

    accepted_at = fields.AwareDateTime(required=True)
    signatory_name = fields.String(required=True)
    signatory_role = fields.String(required=True)
    tranches = fields.List(fields.Nested(AwardTrancheV1), required=True)


@event_type("award.declined", 1, consumers=())
class AwardDeclinedV1(_AwardFacts):
    """The applicant declined: the amount went back to the envelope."""

    declined_at = fields.AwareDateTime(required=True)
    reason = fields.String(load_default=None, allow_none=True)


@event_type("award.cancelled", 1, consumers=("notifications",))
class AwardCancelledV1(_AwardFacts):
    """The fund manager cancelled an award the applicant had been told of. What was paid stays
    paid (`paid_cents`); what is to be paid back is recorded afterwards."""

    cancelled_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)
    paid_cents = fields.Integer(required=True, strict=True)


class JuryCriterionCommentsV1(Schema):
    criterion = fields.String(required=True)  # its label in the recipient's language
    comments = fields.List(fields.String(), required=True)


@event_type("application.not_selected", 1, consumers=("notifications", "grants"))
class ApplicationNotSelectedV1(_Recipient):
    """The call's decision: this submitted application gets no award. `jury_comments` are the
    jury's comments per criterion, anonymised (no juror's name, in no juror's order), when the
    fund manager released them; None otherwise."""

    application_id = fields.Integer(required=True, strict=True)
    receipt_number = fields.String(required=True)
    call_id = fields.Integer(required=True, strict=True)
    fund_id = fields.Integer(required=True, strict=True)
    fund_year = fields.Integer(required=True, strict=True)
    call_title = fields.String(required=True)  # in the recipient's language
    project_title = fields.String(required=True)
    organisation = fields.Nested(SupportedOrganisationV1, required=True)
    requested_cents = fields.Integer(required=True, strict=True)
    decided_at = fields.AwareDateTime(required=True)
    decision_url = fields.Url(required=True, require_tld=False)
    jury_comments = fields.List(fields.Nested(JuryCriterionCommentsV1), load_default=None, allow_none=True)
    overall_comments = fields.List(fields.String(), load_default=None, allow_none=True)


@event_type("tranche.paid", 1, consumers=())
class TranchePaidV1(_AwardFacts):
    """The fund manager recorded a payment against a tranche of an accepted award."""

    payment_id = fields.Integer(required=True, strict=True)
    tranche_number = fields.Integer(required=True, strict=True)
    tranche_count = fields.Integer(required=True, strict=True)
    due = fields.String(required=True)
    tranche_amount_cents = fields.Integer(required=True, strict=True)
    payment_cents = fields.Integer(required=True, strict=True)
    paid_on = fields.Date(required=True)
    bank_reference = fields.String(required=True)
    tranche_paid = fields.Boolean(required=True, metadata={"description": "the tranche is now paid in full"})
    award_paid_cents = fields.Integer(required=True, strict=True)


# --- Impact: the alternative funding referent (grants) ------------------------------------------------


@event_type("advice.requested", 1, consumers=("notifications",))
class AdviceRequestedV1(Schema):
    """Someone asked the alternative funding referent for advice about their project; each
    referent (`recipients`) is told where to answer it. `mechanisms` are the codes the person
    asked about (crowdfunding, patronage, bpifrance, regional_investment_fund, foundation,
    bank_loan, other)."""

    request_id = fields.Integer(required=True, strict=True)
    requester_name = fields.String(required=True)
    requester_email = fields.Email(required=True)
    organisation = fields.String(required=True)
    project = fields.String(required=True)
    mechanisms = fields.List(fields.String(), required=True)
    requested_at = fields.AwareDateTime(required=True)
    queue_url = fields.Url(required=True, require_tld=False)
    recipients = fields.List(fields.Nested(_Person), required=True)
