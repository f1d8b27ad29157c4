"""Supported firms from the real events, through the real relays, Redis and the grants worker: a
grant accepted, a campaign succeeded (published from the crowdfunding's outbox with the real
contract), matchfunding recorded by its function; the comparison group from the decision
(scored by the jury, not selected); each firm checked in the registry (answered by `responses`
in the API's shape) as soon as it is followed."""
from datetime import date, datetime, timezone

from sqlalchemy import func, select, update

from services.grants import impact
from services.grants.models import CampaignOutcome, RegistryCheck, Support, SupportedFirm
from shared.core.clock import to_paris
from shared.core.outbox import OutboxMessage, Relay
from tests import registry_answers as answers
from tests.conftest import wait_until
from tests.integration.grants.applicant_setup import manager
from tests.integration.grants.award_setup import acceptance, decide, grant, profile, reviewed_call
from tests.integration.grants.impact_setup import (  # noqa: F401  (fixtures)
    answer,
    campaign_closed,
    drained,
    grants_worker,
    publish_from_crowdfunding,
    registry_api,
    siren,
    unit_answer,
)


def _firms(grants_app):
    with grants_app.extensions["db"].unit_of_work() as session:
        # One snapshot for every statement below: under READ COMMITTED a check committed between
        # the firms' query and the checks' would show beside a firm read without its status.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return {firm.siren: {
            "name": firm.legal_name, "first_support_on": firm.first_support_on, "comparison_since": firm.comparison_since,
            "status": firm.registry_status, "closed_on": firm.registry_closed_on, "created_on": firm.created_on,
            "supports": [(s.kind, s.amount_cents, s.source_key) for s in firm.supports],
            "checks": [c.status for c in session.scalars(select(RegistryCheck).where(RegistryCheck.firm_id == firm.id))],
        } for firm in session.scalars(select(SupportedFirm))}


def _relay_all(grants_app, broker):
    relay = Relay(grants_app.extensions["db"], broker)
    while relay.relay_batch():
        pass


def test_a_grant_accepted_makes_a_supported_firm_and_a_scored_rejection_joins_the_comparison_group(
        grants_app, broker, grants_worker, registry_api):
    answer(registry_api, answers.ACTIVE_SIREN, answers.ACTIVE)
    answer(registry_api, answers.CEASED_SIREN, answers.CEASED)
    call = reviewed_call(grants_app, ["Tournée des Volcans", "Ciné-plein-air"],
                         profiles={1: profile(1, siret=answers.CEASED_SIREN)})
    client, headers = grants_app.test_client(), manager(grants_app)
    award = grant(client, headers, call.applications[0], 800_000).get_json()
    assert decide(client, headers, call.call_id).status_code == 200
    accepted = client.post(f"/api/awards/{award['id']}/accept", json=acceptance(), headers=call.applicant(grants_app, 0))
    assert accepted.status_code == 200, accepted.get_json()
    _relay_all(grants_app, broker)

    firms = wait_until(lambda: (lambda f: f if len(f) == 2 and all(x["checks"] for x in f.values()) else None)(
        _firms(grants_app)), message="both firms followed and checked")
    today = to_paris(datetime.now(timezone.utc)).date()
    supported, compared = firms[answers.ACTIVE_SIREN], firms[answers.CEASED_SIREN]
    assert supported["supports"] == [("grant", 800_000, f"award:{award['id']}")]
    assert (supported["first_support_on"], supported["comparison_since"]) == (today, None)
    assert (supported["status"], supported["created_on"], supported["checks"]) == ("active", date(2015, 3, 2), ["active"])
    # Scored by the jury, not selected: followed from the decision, with no support.
    assert (compared["supports"], compared["first_support_on"], compared["comparison_since"]) == ([], None, today)
    assert (compared["status"], compared["closed_on"], compared["checks"]) == ("ceased", date(2023, 9, 30), ["ceased"])
    with grants_app.extensions["db"].unit_of_work() as session:
        check = session.scalar(select(RegistryCheck).join(SupportedFirm).where(SupportedFirm.siren == answers.ACTIVE_SIREN))
        assert check.answer == answers.ACTIVE and check.http_status == 200  # kept as the registry said it

    # The relay sends award.accepted again: the worker finds its id, nothing is added.
    with grants_app.extensions["db"].unit_of_work() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.name == "award.accepted").values(sent_at=None))
    _relay_all(grants_app, broker)
    wait_until(lambda: _outbox_sent(grants_app) and drained(broker, grants_worker), message="the event handled again")
    assert _firms(grants_app)[answers.ACTIVE_SIREN]["supports"] == [("grant", 800_000, f"award:{award['id']}")]


def _outbox_sent(grants_app):
    with grants_app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) == 0


def test_an_application_the_jury_did_not_score_is_not_in_the_comparison_group(grants_app, broker, grants_worker):
    call = reviewed_call(grants_app, ["Tournée des Volcans", "Ciné-plein-air"], reviewed=False,
                         profiles={1: profile(1, siret=answers.CEASED_SIREN, rna=None)})
    client, headers = grants_app.test_client(), manager(grants_app)
    assert grant(client, headers, call.applications[0], 800_000).status_code == 201
    decided = decide(client, headers, call.call_id, with_reviews_missing=True, reason="Le jury n'a pas siégé.")
    assert decided.status_code == 200, decided.get_json()
    _relay_all(grants_app, broker)
    wait_until(lambda: drained(broker, grants_worker), message="the decision's events handled")
    with grants_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.name == "application.not_selected")) == 1
        assert session.scalar(select(func.count()).select_from(SupportedFirm)) == 0


def test_a_campaign_that_succeeds_supports_its_owners_firm_and_matchfunding_adds_to_it(
        grants_app, broker, grants_worker, registry_api):
    studio = siren(1)
    answer(registry_api, studio, unit_answer(studio, "STUDIO BASALTE", "2020-05-04"))
    organisation = {"legal_name": "Studio Basalte", "siret": studio + "00012"}
    closed_at = datetime(2026, 6, 30, 22, 30, tzinfo=timezone.utc)  # 1 July in Paris
    publish_from_crowdfunding(broker, "campaign.succeeded", campaign_closed(7, organisation, closed_at=closed_at))
    publish_from_crowdfunding(broker, "campaign.failed", {
        **campaign_closed(8, {"legal_name": "Autre collectif", "siren": siren(2)}, pledged_cents=90_000, backers=4),
        "recipients": []})

    # The firm's row and its checks are read by two statements: wait until both show the check.
    firms = wait_until(lambda: (lambda f: f if f.get(studio, {}).get("checks") and f[studio]["status"] else None)(
        _firms(grants_app)), message="the campaign's firm followed and checked")
    assert firms[studio]["supports"] == [("crowdfunding", 640_000, "campaign:7")]
    assert (firms[studio]["first_support_on"], firms[studio]["status"]) == (date(2026, 7, 1), "active")

    # The failed campaign's event is the worker's other thread's, and may come after the check.
    def outcomes():
        with grants_app.extensions["db"].unit_of_work() as session:
            found = {row.campaign_id: (row.outcome, row.pledged_cents, row.backers)
                     for row in session.scalars(select(CampaignOutcome))}
        return found if len(found) == 2 else None

    assert wait_until(outcomes, message="both campaigns' outcomes recorded") == {
        7: ("succeeded", 640_000, 37), 8: ("failed", 90_000, 4)}
    assert list(_firms(grants_app)) == [studio]  # a campaign that failed supports nobody

    # The matchfunding's code records the campaign's matches paid: the same firm, once per key.
    with grants_app.extensions["db"].unit_of_work() as session:
        for _ in range(2):
            impact.record_support(session, {"legal_name": "Studio Basalte", "siren": studio}, "matchfunding",
                                  date(2026, 7, 3), 120_000, "match:campaign:7")
    with grants_app.extensions["db"].unit_of_work() as session:
        firm = session.scalar(select(SupportedFirm).where(SupportedFirm.siren == studio))
        assert [(s.kind, s.amount_cents) for s in firm.supports] == [("crowdfunding", 640_000), ("matchfunding", 120_000)]
        assert (firm.has_crowdfunding, firm.has_grant, firm.first_support_on) == (True, False, date(2026, 7, 1))
        assert session.scalar(select(func.count()).select_from(Support)) == 2


def test_an_organisation_without_a_siren_is_followed_by_hand_and_never_sent_to_the_registry(grants_app):
    with grants_app.extensions["db"].unit_of_work() as session:
        firm = impact.record_support(session, {"legal_name": "Ciné Volcans", "rna": "W631000123"}, "grant",
                                     date(2025, 3, 1), 500_000, "award:99").firm
        association = (firm.follow_key, firm.siren, firm.next_check_at)
        holder = impact.record_support(session, {"legal_name": "Projet de Lou"}, "crowdfunding", date(2025, 4, 1),
                                       80_000, "campaign:99", account_id=77).firm
        assert (holder.follow_key, holder.next_check_at) == ("account:77", None)
    assert association == ("rna:W631000123", None, None)
