"""Matchfunding from the grant fund: matching pots, the campaigns they match, a match per pledge,
and the payouts to successful campaigns' owners.

**A pot is set aside from a fund** by the fund manager (say €10,000 of €50,000) and counts as
committed in the fund's envelope (`awards.pots_committed`, one of `awards.COMMITMENTS`): while
open for its whole amount, once closed for what its matches hold. Creating a pot or making it
larger takes the fund's row lock first (`awards.lock_fund`), so a pot that no longer fits beside
awards granted at the same moment is refused with 409 and how much is left.

**Which campaigns qualify**: those the fund manager, or the owner, linked to an award whose
organisation (the application's snapshot) has the campaign owner's SIREN (a SIRET's first nine
digits), and those the fund manager approved for matching. The grants know a campaign from
`campaign.published` and `match.requested`, which carry its owner's organisation.

**The flow** (events, each consumer idempotent by the pledge's id):
crowdfunding announces every confirmed pledge with `match.requested`; the grants worker takes the
pot's row lock (`SELECT ... FOR UPDATE`) and works out the match within the pot's rules
(`matching.decide`), so that reservations at once, across campaigns, never take the pot past its
amount; it answers `match.reserved` or `match.refused`. `pledge.cancelled`, `pledge.failed`,
`pledge.refunded`, `campaign.failed` and `campaign.cancelled` release what the pledge or the
campaign held (`match.released`), and a lowered pledge (`pledge.changed`) what its new amount no
longer earns; `campaign.succeeded` commits the campaign's matches into one
payout to its owner, which the fund manager records paid.

**Order and repetition.** A match is one row per pledge (`matches.pledge_id`), written with
INSERT ... ON CONFLICT DO NOTHING: a release read before its request leaves a released row, and
the late request then finds it and changes nothing; a repeated event finds its row and changes
nothing. A campaign's outcome only moves forward (none → succeeded or failed; succeeded →
cancelled). Locks are taken in one order: the campaign's row, the pot's, the match's, the
payout's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.grants import awards, impact
from services.grants.config import SERVICE
from services.grants.matching import NOT_QUALIFYING, Rules, Standing, after_refund, decide, share
from services.grants.models import (
    ACTIVE_AWARD_STATUSES,
    HELD_MATCH_STATUSES,
    Award,
    Match,
    MatchCampaign,
    MatchPayout,
    MatchPot,
)
from shared.core.clock import utcnow
from shared.core.events import Event
from shared.core.money import Money
from shared.core.outbox import publish
from shared.core.refusal import Refusal

NO_POT = "There is no such matching pot."
NO_CAMPAIGN = "There is no such campaign."
NO_PAYOUT = "There is no such payout."
UNKNOWN_CAMPAIGN = ("The grant fund does not know this campaign yet: it does once the campaign is live.")
# How far a campaign's close has gone: an outcome only moves to a higher rank.
_OUTCOME_RANK = {None: 0, "succeeded": 1, "failed": 2, "cancelled": 2}


# --- Rows written once per key --------------------------------------------------------------------


def _insert_if_absent(session: Session, model, key: str, values: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: whether this call wrote the row. Two writers at once
    meet on the key and the second waits for the first, then writes nothing (no error that would
    lose its event)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=[key])
    return session.execute(statement.returning(getattr(model, key))).first() is not None


def _locked(session: Session, model, key) -> object | None:
    primary = model.__mapper__.primary_key[0]
    return session.scalar(select(model).where(primary == key).with_for_update()
                          .execution_options(populate_existing=True))


# --- Pots -------------------------------------------------------------------------------------------


def held_cents(session: Session, pot_id: int, campaign_id: int | None = None) -> int:
    """What the pot's matches hold: reserved, committed and paid."""
    query = select(func.coalesce(func.sum(Match.matched_cents), 0)).where(
        Match.pot_id == pot_id, Match.status.in_(HELD_MATCH_STATUSES))
    if campaign_id is not None:
        query = query.where(Match.campaign_id == campaign_id)
    return int(session.scalar(query))


def rules_of(pot: MatchPot) -> Rules:
    return Rules(pot.ratio_percent, pot.cap_per_pledge_cents, pot.cap_per_campaign_cents, pot.pledges_per_backer)


def get_pot(session: Session, pot_id: int) -> MatchPot:
    pot = session.get(MatchPot, pot_id)
    if pot is None:
        raise Refusal.not_found(NO_POT)
    return pot


def fund_pots(session: Session, fund_id: int) -> list[MatchPot]:
    awards.calls.get_fund(session, fund_id)
    return list(session.scalars(select(MatchPot).where(MatchPot.fund_id == fund_id).order_by(MatchPot.id)))


def _check_fits(session: Session, fund, more_cents: int) -> None:
    left = awards.remaining_cents(session, fund)
    if more_cents > left:
        refusal = Refusal.about("amount_cents", 409, "This pot would take the fund past its envelope: %(left)s left.",
                                left=Money(max(left, 0)))
        refusal.details["left_cents"] = max(left, 0)
        raise refusal


def _check_rules(data: dict) -> None:
    if data.get("amount_cents", 1) <= 0:
        raise Refusal.invalid("amount_cents", "A pot must be above zero.")


def create_pot(session: Session, fund_id: int, data: dict, now: datetime, actor_id: int) -> MatchPot:
    """Set a pot aside from the fund, within what its envelope has left (409 otherwise)."""
    _check_rules(data)
    fund = awards.lock_fund(session, fund_id)
    _check_fits(session, fund, data["amount_cents"])
    pot = MatchPot(fund_id=fund.id, name=data["name"], amount_cents=data["amount_cents"],
                   ratio_percent=data["ratio_percent"], cap_per_pledge_cents=data["cap_per_pledge_cents"],
                   cap_per_campaign_cents=data.get("cap_per_campaign_cents"),
                   pledges_per_backer=data["pledges_per_backer"], status="open",
                   created_at=now, created_by=actor_id, updated_at=now)
    session.add(pot)
    session.flush()
    return pot


def update_pot(session: Session, pot_id: int, changes: dict, now: datetime, actor_id: int) -> MatchPot:
    """Resize the pot (never below what its matches hold, never past the envelope), change its
    rules (for the pledges to come), or close it (`status: closed`: it keeps what its matches
    hold, the rest goes back to the envelope; a closed pot stays closed)."""
    _check_rules(changes)
    fund_id = get_pot(session, pot_id).fund_id
    fund = awards.lock_fund(session, fund_id)
    pot = _locked(session, MatchPot, pot_id)
    if pot.status == "closed":
        raise Refusal(409, "This pot is closed: set another one aside instead.")
    held = held_cents(session, pot.id)
    if "amount_cents" in changes and changes["amount_cents"] != pot.amount_cents:
        amount = changes["amount_cents"]
        if amount < held:
            raise Refusal.about("amount_cents", 409, "A pot cannot be less than what its matches hold: %(held)s.",
                                held=Money(held))
        _check_fits(session, fund, amount - pot.amount_cents)
        pot.amount_cents = amount
    for name in ("name", "ratio_percent", "cap_per_pledge_cents", "cap_per_campaign_cents", "pledges_per_backer"):
        if name in changes:
            setattr(pot, name, changes[name])
    if changes.get("status") == "closed":
        pot.status = "closed"
        pot.amount_cents = held
    pot.updated_at = now
    session.flush()
    return pot


@dataclass(frozen=True)
class PotFigures:
    pot: MatchPot
    reserved_cents: int
    committed_cents: int
    paid_cents: int
    matches: int
    campaigns: int

    @property
    def held_cents(self) -> int:
        return self.reserved_cents + self.committed_cents + self.paid_cents

    @property
    def left_cents(self) -> int:
        return max(self.pot.amount_cents - self.held_cents, 0) if self.pot.status == "open" else 0

    def __getattr__(self, name):
        return getattr(self.pot, name)


def pot_figures(session: Session, pot: MatchPot) -> PotFigures:
    sums = dict(session.execute(select(Match.status, func.coalesce(func.sum(Match.matched_cents), 0)).where(
        Match.pot_id == pot.id).group_by(Match.status)).all())
    matches = session.scalar(select(func.count()).select_from(Match).where(
        Match.pot_id == pot.id, Match.status.in_(HELD_MATCH_STATUSES)))
    linked = session.scalar(select(func.count()).select_from(MatchCampaign).where(MatchCampaign.pot_id == pot.id))
    return PotFigures(pot, int(sums.get("reserved", 0)), int(sums.get("committed", 0)), int(sums.get("paid", 0)),
                      int(matches), int(linked))


# --- Campaigns ---------------------------------------------------------------------------------------


def _siren_of(organisation: dict) -> str | None:
    number = (organisation or {}).get("siret") or (organisation or {}).get("siren")
    return number[:9] if number else None


def _know_campaign(session: Session, campaign_id: int, title: str, owner_account_id: int, organisation: dict,
                   now: datetime) -> MatchCampaign:
    """The campaign's row, written the first time it is seen, locked, with its latest facts."""
    facts = {"title": title[:300], "owner_account_id": owner_account_id,
             "legal_name": (organisation.get("legal_name") or "")[:300],
             "siret": organisation.get("siret"), "siren": _siren_of(organisation)}
    _insert_if_absent(session, MatchCampaign, "campaign_id", {"campaign_id": campaign_id, "seen_at": now, **facts})
    campaign = _locked(session, MatchCampaign, campaign_id)
    for name, value in facts.items():
        setattr(campaign, name, value)
    return campaign


def record_published(session: Session, event: Event) -> None:
    """`campaign.published`: the grants know the campaign (and can link it) from now on."""
    payload = event.payload
    if payload.get("organisation") is None or payload.get("owner_account_id") is None:
        return  # published before the contract carried them: known at its first pledge instead
    _know_campaign(session, payload["campaign_id"], payload["campaign_title"], payload["owner_account_id"],
                   dict(payload["organisation"]), utcnow())


def known_campaigns(session: Session) -> list[MatchCampaign]:
    return list(session.scalars(select(MatchCampaign).order_by(MatchCampaign.campaign_id.desc())))


def pot_campaigns(session: Session, pot_id: int) -> list[MatchCampaign]:
    return list(session.scalars(select(MatchCampaign).where(MatchCampaign.pot_id == pot_id)
                                .order_by(MatchCampaign.campaign_id)))


def campaign_held(session: Session, campaign_ids) -> dict[int, int]:
    rows = session.execute(select(Match.campaign_id, func.coalesce(func.sum(Match.matched_cents), 0)).where(
        Match.campaign_id.in_(list(campaign_ids)), Match.status.in_(HELD_MATCH_STATUSES)).group_by(Match.campaign_id))
    return {campaign_id: int(cents) for campaign_id, cents in rows}


def _award_problem(award: Award | None, campaign: MatchCampaign) -> str | None:
    if award is None:
        return "There is no such award."
    if award.status not in ACTIVE_AWARD_STATUSES:
        return "This award is no longer granted: it cannot qualify a campaign."
    award_siren = _siren_of(awards.organisation_of(award.application))
    if not award_siren or award_siren != campaign.siren:
        return "The award's organisation does not have the campaign owner's SIREN."
    return None


def _open_pot(session: Session, pot_id: int) -> MatchPot:
    pot = get_pot(session, pot_id)
    if pot.status != "open":
        raise Refusal(409, "This pot is closed: it matches no more pledges.")
    return pot


def _link(session: Session, campaign: MatchCampaign, pot: MatchPot, award: Award | None, now: datetime,
          actor_id: int) -> MatchCampaign:
    if campaign.outcome is not None:
        raise Refusal(409, "This campaign has closed: it can no longer be matched.")
    if campaign.pot_id not in (None, pot.id) and held_cents(session, campaign.pot_id, campaign.campaign_id):
        raise Refusal(409, "Another pot already matches pledges of this campaign.")
    campaign.pot_id = pot.id
    campaign.award_id = award.id if award else None
    campaign.qualified_via = "award" if award else "approval"
    campaign.linked_by, campaign.linked_at = actor_id, now
    session.flush()
    return campaign


def link_campaign(session: Session, pot_id: int, data: dict, now: datetime, actor_id: int) -> MatchCampaign:
    """The fund manager makes a campaign qualify for the pot: linked to an award (whose
    organisation must have the campaign owner's SIREN: 409 otherwise), or approved (no award)."""
    pot = _open_pot(session, pot_id)
    campaign = _locked(session, MatchCampaign, data["campaign_id"])
    if campaign is None:
        raise Refusal.about("campaign_id", 409, UNKNOWN_CAMPAIGN)
    award = None
    if data.get("award_id") is not None:
        award = session.get(Award, data["award_id"])
        problem = _award_problem(award, campaign)
        if problem:
            raise Refusal.about("award_id", 404 if award is None else 409, problem)
    return _link(session, campaign, pot, award, now, actor_id)


def owner_link(session: Session, account_id: int, data: dict, now: datetime) -> MatchCampaign:
    """The owner of a campaign, holding an award, links the two: the award's fund's open pot
    matches the campaign when the award's organisation has the owner's SIREN."""
    award = session.get(Award, data["award_id"])
    if award is None or award.account_id != account_id:
        raise Refusal.about("award_id", 404, "There is no such award.")
    campaign = _locked(session, MatchCampaign, data["campaign_id"])
    if campaign is None or campaign.owner_account_id != account_id:
        raise Refusal.about("campaign_id", 404, NO_CAMPAIGN)
    problem = _award_problem(award, campaign)
    if problem:
        raise Refusal.about("award_id", 409, problem)
    pot = session.scalar(select(MatchPot).where(MatchPot.fund_id == award.fund_id, MatchPot.status == "open")
                         .order_by(MatchPot.id.desc()).limit(1))
    if pot is None:
        raise Refusal(409, "The award's fund has no open matching pot.")
    return _link(session, campaign, pot, award, now, account_id)


def unlink_campaign(session: Session, pot_id: int, campaign_id: int, now: datetime) -> MatchCampaign:
    """The campaign's pledges to come are no longer matched; what is reserved stays reserved."""
    campaign = _locked(session, MatchCampaign, campaign_id)
    if campaign is None or campaign.pot_id != pot_id:
        raise Refusal.not_found(NO_CAMPAIGN)
    campaign.qualified_via = None
    campaign.award_id = None
    return campaign


def _qualifies(session: Session, campaign: MatchCampaign) -> MatchPot | None:
    if campaign.pot_id is None or campaign.qualified_via is None or campaign.outcome in ("failed", "cancelled"):
        return None
    if campaign.qualified_via == "award" and _award_problem(campaign.award, campaign):
        return None
    return campaign.pot


# --- The flow: requests, releases, closes -------------------------------------------------------------


def request_match(session: Session, event: Event) -> None:
    """`match.requested`: reserve the pledge's match within the pot, or refuse it; answer once."""
    payload = event.payload
    now = utcnow()
    pledge_id, campaign_id = payload["pledge_id"], payload["campaign_id"]
    campaign = _know_campaign(session, campaign_id, payload["campaign_title"], payload["owner_account_id"],
                              dict(payload["organisation"]), now)
    row = {"pledge_id": pledge_id, "campaign_id": campaign_id, "backer_account_id": payload["backer_account_id"],
           "amount_cents": payload["amount_cents"], "requested_at": payload["requested_at"], "decided_at": now}
    pot = _qualifies(session, campaign)
    if pot is None:
        if _insert_if_absent(session, Match, "pledge_id", {**row, "status": "refused", "reason": NOT_QUALIFYING}):
            _publish_refused(session, pledge_id, campaign_id, NOT_QUALIFYING, now)
        return
    pot = _locked(session, MatchPot, pot.id)
    if session.get(Match, pledge_id) is not None:
        return  # decided already, or released before it was asked
    backer_matches = session.scalar(select(func.count()).select_from(Match).where(
        Match.campaign_id == campaign_id, Match.backer_account_id == payload["backer_account_id"],
        Match.status.in_(HELD_MATCH_STATUSES)))
    standing = Standing(pot_open=pot.status == "open", pot_cents=pot.amount_cents,
                        pot_held_cents=held_cents(session, pot.id),
                        campaign_held_cents=held_cents(session, pot.id, campaign_id),
                        backer_matches=int(backer_matches))
    decision = decide(rules_of(pot), standing, payload["amount_cents"])
    if not decision.reserved:
        if _insert_if_absent(session, Match, "pledge_id", {**row, "pot_id": pot.id, "status": "refused",
                                                           "reason": decision.refusal}):
            _publish_refused(session, pledge_id, campaign_id, decision.refusal, now)
        return
    # A match asked after the campaign succeeded (the events crossed) joins its payout at once.
    status = "committed" if campaign.outcome == "succeeded" else "reserved"
    if not _insert_if_absent(session, Match, "pledge_id", {**row, "pot_id": pot.id, "status": status,
                                                           "matched_cents": decision.matched_cents}):
        return
    publish(session, SERVICE, "match.reserved", 1, {
        "pledge_id": pledge_id, "campaign_id": campaign_id, "pot_id": pot.id, "fund_id": pot.fund_id,
        "matched_cents": decision.matched_cents, "reserved_at": now})
    if status == "committed":
        _recount_payout(session, campaign, now)


def _publish_refused(session: Session, pledge_id: int, campaign_id: int, reason: str, now: datetime) -> None:
    publish(session, SERVICE, "match.refused", 1,
            {"pledge_id": pledge_id, "campaign_id": campaign_id, "reason": reason, "refused_at": now})


def _release(session: Session, match: Match, cents: int, reason: str, now: datetime) -> None:
    publish(session, SERVICE, "match.released", 1, {
        "pledge_id": match.pledge_id, "campaign_id": match.campaign_id, "pot_id": match.pot_id,
        "released_cents": cents, "reason": reason, "released_at": now})


def release_pledge(session: Session, pledge_id: int, campaign_id: int, reason: str) -> None:
    """The pledge no longer counts: its match goes back to the pot. Read before its request, it
    leaves a released row that the request then finds."""
    now = utcnow()
    campaign = _locked(session, MatchCampaign, campaign_id)
    if _insert_if_absent(session, Match, "pledge_id", {"pledge_id": pledge_id, "campaign_id": campaign_id,
                                                       "status": "released", "reason": reason, "decided_at": now,
                                                       "released_at": now}):
        return
    match = _locked(session, Match, pledge_id)
    if match.status not in ("reserved", "committed"):
        return  # refused, released already, or paid out (what was paid stays paid)
    was_committed = match.status == "committed"
    cents = match.matched_cents
    match.status, match.reason, match.released_at = "released", reason, now
    _release(session, match, cents, reason, now)
    if was_committed and campaign is not None:
        _recount_payout(session, campaign, now)


def on_pledge_cancelled(session: Session, event: Event) -> None:
    release_pledge(session, event.payload["pledge_id"], event.payload["campaign_id"], "pledge_cancelled")


def on_pledge_failed(session: Session, event: Event) -> None:
    release_pledge(session, event.payload["pledge_id"], event.payload["campaign_id"], "pledge_failed")


def on_pledge_refunded(session: Session, event: Event) -> None:
    """A full refund releases the match; a partial one brings it down to the ratio of what is
    left of the pledge (by the refunded total, so partial refunds read in any order agree)."""
    payload = event.payload
    if payload["fully_refunded"]:
        release_pledge(session, payload["pledge_id"], payload["campaign_id"], "pledge_refunded")
        return
    now = utcnow()
    campaign = _locked(session, MatchCampaign, payload["campaign_id"])
    match = _locked(session, Match, payload["pledge_id"])
    if match is None or match.status not in ("reserved", "committed") or match.pot_id is None:
        return
    keeps = after_refund(rules_of(session.get(MatchPot, match.pot_id)), match.matched_cents, match.amount_cents or payload["amount_cents"],
                         payload["refunded_total_cents"])
    if keeps >= match.matched_cents:
        return
    cents = match.matched_cents - keeps
    match.matched_cents = keeps
    _release(session, match, cents, "pledge_partly_refunded", now)
    if match.status == "committed" and campaign is not None:
        _recount_payout(session, campaign, now)


def on_pledge_changed(session: Session, event: Event) -> None:
    """A pledge lowered keeps no more than the ratio of its new amount; one raised keeps its match
    (never more than was reserved when it was asked), so that changes read in any order agree."""
    payload = event.payload
    now = utcnow()
    campaign = _locked(session, MatchCampaign, payload["campaign_id"])
    match = _locked(session, Match, payload["pledge_id"])
    if match is None or match.status not in ("reserved", "committed") or match.pot_id is None:
        return
    keeps = min(match.matched_cents, share(rules_of(session.get(MatchPot, match.pot_id)), payload["amount_cents"]))
    if keeps >= match.matched_cents:
        return
    cents = match.matched_cents - keeps
    match.matched_cents = keeps
    _release(session, match, cents, "pledge_lowered", now)
    if match.status == "committed" and campaign is not None:
        _recount_payout(session, campaign, now)


def _close(session: Session, event: Event, outcome: str) -> MatchCampaign | None:
    payload = event.payload
    campaign = _know_campaign(session, payload["campaign_id"], payload["campaign_title"],
                              payload["owner_account_id"], dict(payload["organisation"]), utcnow())
    if _OUTCOME_RANK[outcome] <= _OUTCOME_RANK[campaign.outcome]:
        return None  # read already, or a later step of the close was read first
    campaign.outcome = outcome
    campaign.closed_at = payload.get("closed_at") or utcnow()
    return campaign


def _campaign_matches(session: Session, campaign_id: int, statuses) -> list[Match]:
    return list(session.scalars(select(Match).where(Match.campaign_id == campaign_id, Match.status.in_(statuses))
                                .order_by(Match.pledge_id).with_for_update()))


def on_campaign_succeeded(session: Session, event: Event) -> None:
    """The campaign's reserved matches become a payment to its owner: committed now, paid when
    the fund manager records the transfer."""
    campaign = _close(session, event, "succeeded")
    if campaign is None:
        return
    for match in _campaign_matches(session, campaign.campaign_id, ("reserved",)):
        match.status = "committed"
    _recount_payout(session, campaign, utcnow())


def _on_campaign_ended_unpaid(session: Session, event: Event, outcome: str) -> None:
    campaign = _close(session, event, outcome)
    if campaign is None:
        return
    now = utcnow()
    reason = f"campaign_{outcome}"
    for match in _campaign_matches(session, campaign.campaign_id, ("reserved", "committed")):
        cents = match.matched_cents
        match.status, match.reason, match.released_at = "released", reason, now
        _release(session, match, cents, reason, now)
    payout = _locked(session, MatchPayout, campaign.campaign_id)
    if payout is not None and payout.status == "committed":
        payout.status, payout.amount_cents = "cancelled", 0


def on_campaign_failed(session: Session, event: Event) -> None:
    _on_campaign_ended_unpaid(session, event, "failed")


def on_campaign_cancelled(session: Session, event: Event) -> None:
    _on_campaign_ended_unpaid(session, event, "cancelled")


# --- Payouts ---------------------------------------------------------------------------------------------


def _recount_payout(session: Session, campaign: MatchCampaign, now: datetime) -> None:
    """The payout of a successful campaign: what its committed matches come to."""
    committed = int(session.scalar(select(func.coalesce(func.sum(Match.matched_cents), 0)).where(
        Match.campaign_id == campaign.campaign_id, Match.status == "committed")))
    pot_id = campaign.pot_id or session.scalar(select(Match.pot_id).where(
        Match.campaign_id == campaign.campaign_id, Match.pot_id.is_not(None)).limit(1))
    if pot_id is None:
        return
    pot = session.get(MatchPot, pot_id)
    if _insert_if_absent(session, MatchPayout, "campaign_id", {
            "campaign_id": campaign.campaign_id, "pot_id": pot.id, "fund_id": pot.fund_id, "amount_cents": committed,
            "status": "committed", "committed_at": now}):
        return
    payout = _locked(session, MatchPayout, campaign.campaign_id)
    if payout.status == "committed":
        payout.amount_cents = committed


def get_payout(session: Session, campaign_id: int) -> MatchPayout:
    payout = session.get(MatchPayout, campaign_id)
    if payout is None:
        raise Refusal.not_found(NO_PAYOUT)
    return payout


def fund_payouts(session: Session, fund_id: int) -> list[MatchPayout]:
    return list(session.scalars(select(MatchPayout).where(MatchPayout.fund_id == fund_id)
                                .order_by(MatchPayout.committed_at, MatchPayout.campaign_id)))


def record_payout_paid(session: Session, campaign_id: int, data: dict, now: datetime, actor_id: int) -> MatchPayout:
    """The fund manager paid the campaign's matches to its owner (date, bank reference). Sent
    again with the same reference, it answers the same payment."""
    get_payout(session, campaign_id)
    payout = _locked(session, MatchPayout, campaign_id)
    if payout.status == "paid":
        if payout.bank_reference == data["bank_reference"]:
            return payout
        raise Refusal(409, "This payout is already paid.")
    if payout.status == "cancelled" or payout.amount_cents <= 0:
        raise Refusal(409, "There is nothing to pay: the campaign's matches were released.")
    payout.status, payout.paid_on, payout.bank_reference = "paid", data["paid_on"], data["bank_reference"]
    payout.paid_at, payout.recorded_by = now, actor_id
    for match in _campaign_matches(session, campaign_id, ("committed",)):
        match.status = "paid"
    session.flush()
    # The owner's organisation received matchfunding: one more support of the firm that the
    # campaign's success made it (and scheduled its registry checks), so this request sends nothing
    # to the queue.
    campaign = session.get(MatchCampaign, campaign_id)
    impact.record_support(
        session, {"legal_name": campaign.legal_name, "siret": campaign.siret, "siren": campaign.siren},
        "matchfunding", payout.paid_on, payout.amount_cents, f"match-payout:{campaign_id}",
        account_id=campaign.owner_account_id, now=now, schedule=False)
    return payout
