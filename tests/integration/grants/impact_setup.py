"""What the impact tests share: a real grants worker (events and registry checks), the registry
answered by `responses` in the API's shape, and a campaign's close published from the
crowdfunding's own outbox with the real contract (the crowdfunding's close is another branch's)."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import dramatiq
import pytest
import responses
from responses import matchers
from stdnum import luhn

from services.grants.registry import DEFAULT_BASE_URL
from shared.core.db import Database
from shared.core.outbox import Relay, publish
from tests import registry_answers as answers

SEARCH = f"{DEFAULT_BASE_URL}/search"


def siren(number: int) -> str:
    """A valid (Luhn) made-up SIREN, the n-th of a series."""
    body = f"9{number:07d}"
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def registry_api():
    """The registry's API, answered by `responses` (the real one is on the internet); every
    thread of this process (the worker's too) sees it."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def answer(api, number: str, body: str, status: int = 200, headers: dict | None = None) -> None:
    api.add(responses.GET, SEARCH, body=body, status=status, headers=headers, content_type="application/json",
            match=[matchers.query_param_matcher({"q": number})])


def unit_answer(number: str, name: str, created: str, closed: str | None = None) -> str:
    return answers.page(answers._unit(number, name, "C" if closed else "A", created, closed))


@pytest.fixture
def grants_worker(broker, grants_app):
    """A real dramatiq worker for the grants queues (events and registry checks), in this process."""
    import services.grants.actors  # noqa: F401  (declares the actors and their queues)

    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=2)
    worker.start()
    yield worker
    worker.stop()


def drained(broker, worker, queue: str = "grants") -> bool:
    """Nothing left on the queue in Redis, and nothing the worker took from it still running (its
    delayed messages, the checks to come, are not waited for: `worker.join` would wait a month)."""
    return broker.client.llen(f"{broker.namespace}:{queue}") == 0 and worker.work_queue.unfinished_tasks == 0


def crowdfunding_database() -> Database:
    return Database(os.environ["CROWDFUNDING_DATABASE_URL"])


def campaign_closed(campaign_id: int, organisation: dict, *, pledged_cents: int = 640_000, backers: int = 37,
                    closed_at: datetime | None = None, goal_cents: int = 500_000, owner_account_id: int = 4242) -> dict:
    closed_at = closed_at or datetime.now(timezone.utc)
    return {
        "email": "owner@example.org", "name": "Owner", "language": "fr", "campaign_id": campaign_id,
        "campaign_title": f"Campagne {campaign_id}", "campaign_url": f"http://127.0.0.1/campaigns/{campaign_id}",
        "owner_account_id": owner_account_id,
        "organisation": {"legal_name": organisation.get("legal_name", "Collectif"), "kind": "company",
                         "sector": "music", "postal_code": "63000", "city": "Clermont-Ferrand",
                         "siret": organisation.get("siret"), "siren": organisation.get("siren"),
                         "rna": organisation.get("rna")},
        "funding_model": "all_or_nothing", "goal_cents": goal_cents, "ends_at": closed_at - timedelta(minutes=1),
        "closed_at": closed_at, "pledged_cents": pledged_cents, "card_pledged_cents": pledged_cents,
        "transfer_cents": 0, "backers": backers, "matched_cents": 0,
    }


def publish_from_crowdfunding(broker, name: str, payload: dict) -> None:
    """The event as the crowdfunding's close writes it: in its outbox, sent by its relay."""
    database = crowdfunding_database()
    try:
        with database.unit_of_work() as session:
            publish(session, "crowdfunding", name, 1, payload)
        assert Relay(database, broker).relay_batch() == 1
    finally:
        database.dispose()
