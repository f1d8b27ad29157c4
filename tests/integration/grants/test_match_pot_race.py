"""The matching pot under concurrency: many pledges across several campaigns ask for their match
at the same moment, each through the grants' real handler in its own thread with its own database
connection, for far more than the pot holds. The reservations end at the pot's amount, never
above: the pot's row lock judges them in turn. On SQLite (`make run`) the write lock each
transaction takes when it begins does the same."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.grants.app import create_app
from services.grants.config import MIGRATIONS_DIR
from services.grants.models import Match
from shared.core.migrations import upgrade
from shared.core.outbox import OutboxMessage
from tests.integration.grants.applicant_setup import manager
from tests.integration.grants.grants_manager_setup import fund
from tests.integration.grants.match_setup import cancelled, handle, published, requested
from tests.integration.shared.test_concurrent_writes import at_once

POT = 52_000  # €520: ten matches of €50 and €20 of an eleventh
CAMPAIGNS = (11, 12, 13, 14)
PLEDGES = 32  # €50 each, €1,600 of matches asked for
THREADS = {"postgresql": 16, "sqlite": 8}


@pytest.fixture(params=["postgresql", "sqlite"])
def app(request, tmp_path, monkeypatch, databases):
    monkeypatch.setenv("GRANTS_DOCUMENTS_DIR", str(tmp_path / "documents"))
    config = {"TESTING": True}
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'grants.db'}"
        upgrade(MIGRATIONS_DIR, url)
        config["SETTINGS_OVERRIDES"] = {"database_url": url}
    app = create_app(config)
    app.config["RACE_THREADS"] = THREADS[request.param]
    yield app
    app.extensions["db"].dispose()


def _pot(app) -> int:
    client, headers = app.test_client(), manager(app)
    fund_id = fund(client, headers, envelope_cents=5_000_000)["id"]
    pot = client.post(f"/api/manage/funds/{fund_id}/match-pots",
                      json={"name": "Doublement", "amount_cents": POT}, headers=headers).get_json()
    for campaign_id in CAMPAIGNS:
        handle(app, published(campaign_id))
        linked = client.post(f"/api/manage/match-pots/{pot['id']}/campaigns", json={"campaign_id": campaign_id},
                             headers=headers)
        assert linked.status_code == 200, linked.get_json()
    return pot["id"]


def _count(app, statement) -> int:
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(statement)


def test_parallel_requests_across_campaigns_never_take_the_pot_past_its_amount(app):
    pot_id = _pot(app)
    asked = [requested(pledge_id, CAMPAIGNS[pledge_id % len(CAMPAIGNS)], 5_000) for pledge_id in range(1, PLEDGES + 1)]
    threads = app.config["RACE_THREADS"]
    for start in range(0, PLEDGES, threads):
        batch = asked[start:start + threads]
        assert all(at_once(*[(lambda event=event: handle(app, event)) for event in batch]))

    held = _count(app, select(func.coalesce(func.sum(Match.matched_cents), 0)).where(
        Match.pot_id == pot_id, Match.status == "reserved"))
    assert held == POT  # every cent of the pot given, not one more
    assert _count(app, select(func.count()).select_from(Match).where(Match.status == "reserved")) == 11
    assert _count(app, select(func.count()).select_from(Match).where(Match.status == "refused")) == PLEDGES - 11
    assert sorted(m for m in (_matched(app))) == [2_000] + [5_000] * 10
    # One answer per pledge, each the one its row says.
    assert _count(app, select(func.count()).select_from(OutboxMessage).where(OutboxMessage.name == "match.reserved")) == 11
    assert _count(app, select(func.count()).select_from(OutboxMessage).where(OutboxMessage.name == "match.refused")) \
        == PLEDGES - 11


def _matched(app) -> list[int]:
    with app.extensions["db"].unit_of_work() as session:
        return list(session.scalars(select(Match.matched_cents).where(Match.status == "reserved")))


def test_releases_and_requests_at_once_stay_within_the_pot_and_apply_once(app):
    pot_id = _pot(app)
    for pledge_id in range(1, 11):
        handle(app, requested(pledge_id, CAMPAIGNS[pledge_id % 4], 5_000))
    # Ten held (€500 of €520): cancellations of those and new requests, all at once, each twice.
    releases = [cancelled(pledge_id, CAMPAIGNS[pledge_id % 4]) for pledge_id in range(1, 6)]
    asking = [requested(pledge_id, CAMPAIGNS[pledge_id % 4], 5_000) for pledge_id in range(11, 19)]
    events = releases + asking
    sends = [(lambda event=event: handle(app, event)) for event in events + events]
    threads = app.config["RACE_THREADS"]
    for start in range(0, len(sends), threads):
        at_once(*sends[start:start + threads])
    held = _count(app, select(func.coalesce(func.sum(Match.matched_cents), 0)).where(
        Match.pot_id == pot_id, Match.status == "reserved"))
    assert held <= POT
    assert _count(app, select(func.count()).select_from(Match).where(Match.status == "released")) == 5
    released = _count(app, select(func.count()).select_from(OutboxMessage).where(OutboxMessage.name == "match.released"))
    assert released == 5  # each once, though each was delivered twice
    answered = _count(app, select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.name.in_(("match.reserved", "match.refused"))))
    assert answered == 18  # one answer per pledge asked
