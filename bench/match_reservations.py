"""How fast the grants reserve matches in one pot, one after another and when many pledges across
campaigns ask at once.

Creates its own PostgreSQL database (dropped at the end), then hands events to the grants' real
handlers through `consume` (the processed-event key, the pot's row lock), as the grants worker
does, with no Redis in between (the relay and the queue are the outbox bench's):

- reference, in the same run: `campaign.published`, a handler that writes one row (the campaign the
  grants know) and takes no pot lock;
- `match.requested` one after another: the match decided and written, its answer in the outbox;
- the race: `--racers` threads, each with its own connection, asking for matches across
  `--campaigns` campaigns of one pot that holds a fraction of them; matches per second, and that
  the pot holds exactly its amount, never more.

    .venv/bin/python bench/match_reservations.py [--requests 300] [--racers 16] [--campaigns 8]
"""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from scratch import scratch_databases, use_scratch_databases  # noqa: E402  (sets the environment first)

use_scratch_databases("grants")
os.environ.setdefault("LOG_JSON", "1")

import logging  # noqa: E402

from sqlalchemy import func, select  # noqa: E402

SIRET = "73282932000074"
ORGANISATION = {"siret": SIRET, "siren": SIRET[:9], "rna": None, "legal_name": "Label Dôme SARL", "kind": "company",
                "sector": "music", "postal_code": "63000", "city": "Clermont-Ferrand"}


def envelope(name: str, payload: dict) -> dict:
    from shared.core import events

    return {"id": events.new_event_id(), "name": name, "version": 1, "producer": "crowdfunding",
            "occurred_at": datetime.now(timezone.utc).isoformat(), "request_id": None,
            "payload": events.dump_payload(name, 1, payload)}


def published(campaign_id: int) -> dict:
    now = datetime.now(timezone.utc)
    return envelope("campaign.published", {
        "email": "olga@example.org", "name": "Olga", "language": "fr", "campaign_id": campaign_id,
        "campaign_title": f"Campagne {campaign_id}", "campaign_url": f"http://127.0.0.1:8000/c/{campaign_id}",
        "starts_at": now, "ends_at": now + timedelta(days=30), "goal_cents": 500_000,
        "funding_model": "all_or_nothing", "owner_account_id": 900, "organisation": ORGANISATION})


def requested(pledge_id: int, campaign_id: int) -> dict:
    return envelope("match.requested", {
        "pledge_id": pledge_id, "campaign_id": campaign_id, "backer_account_id": 10_000 + pledge_id,
        "owner_account_id": 900, "organisation": ORGANISATION, "campaign_title": f"Campagne {campaign_id}",
        "amount_cents": 5_000, "requested_at": datetime.now(timezone.utc)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--racers", type=int, default=16)
    parser.add_argument("--campaigns", type=int, default=8)
    arguments = parser.parse_args()
    with scratch_databases("grants"):
        run(arguments.requests, arguments.racers, arguments.campaigns)


def run(requests: int, racers: int, campaigns: int) -> None:
    logging.disable(logging.INFO)
    from services.grants import calls, matchfunding
    from services.grants.actors import HANDLERS
    from services.grants.app import create_app
    from services.grants.models import Match
    from shared.core.consumer import consume

    app = create_app({"TESTING": True})
    db = app.extensions["db"]
    now = datetime.now(timezone.utc)
    with db.unit_of_work() as session:
        fund = calls.create_fund(session, name="Fonds du banc", year=2026, envelope_cents=2_000_000_000)
        sequential = matchfunding.create_pot(session, fund.id, {
            "name": "En série", "amount_cents": 1_000_000_000, "ratio_percent": 100, "cap_per_pledge_cents": 10_000,
            "pledges_per_backer": 1}, now, None)
        # The race's pot holds a third of what is asked.
        raced = matchfunding.create_pot(session, fund.id, {
            "name": "En course", "amount_cents": requests * 5_000 // 3, "ratio_percent": 100,
            "cap_per_pledge_cents": 10_000, "pledges_per_backer": 1}, now, None)
        pots = (sequential.id, raced.id)

    def timed(data) -> float:
        started = time.perf_counter()
        assert consume(db, HANDLERS, data)
        return time.perf_counter() - started

    reference = [timed(published(1_000 + n)) for n in range(requests)]
    for campaign_id in range(1, 2 * campaigns + 1):
        consume(db, HANDLERS, published(campaign_id))
        with db.unit_of_work() as session:
            matchfunding.link_campaign(session, pots[0] if campaign_id <= campaigns else pots[1],
                                       {"campaign_id": campaign_id}, now, None)
    alone = [timed(requested(n, 1 + n % campaigns)) for n in range(1, requests + 1)]

    asked = [requested(100_000 + n, campaigns + 1 + n % campaigns) for n in range(requests)]
    barrier = threading.Barrier(racers + 1)
    chunks = [asked[i::racers] for i in range(racers)]

    def race(chunk):
        barrier.wait()
        for data in chunk:
            consume(db, HANDLERS, data)

    with ThreadPoolExecutor(racers) as pool:
        futures = [pool.submit(race, chunk) for chunk in chunks]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        raced_seconds = time.perf_counter() - started
    with db.unit_of_work() as session:
        held = session.scalar(select(func.coalesce(func.sum(Match.matched_cents), 0)).where(
            Match.pot_id == pots[1], Match.status == "reserved"))
        amount = requests * 5_000 // 3

    def pct(values, share):
        return sorted(values)[min(len(values) - 1, int(len(values) * share))] * 1000

    print(f"match reservations: {requests} events in a row, through the grants' handlers on PostgreSQL")
    print(f"  reference, campaign.published (one row, no pot lock): median {statistics.median(reference) * 1000:6.2f} ms,"
          f" p95 {pct(reference, 0.95):6.2f} ms")
    print(f"  match.requested (pot lock, rules, answer):            median {statistics.median(alone) * 1000:6.2f} ms,"
          f" p95 {pct(alone, 0.95):6.2f} ms  ({statistics.median(alone) / statistics.median(reference):.1f}× the"
          f" reference)")
    print(f"pot race: {requests} requests by {racers} threads (own connections) across {campaigns} campaigns of one pot"
          f" holding a third of them")
    print(f"  {requests / raced_seconds:7.1f} requests/s ({(requests / raced_seconds) * statistics.median(alone):.2f}×"
          f" one after another)")
    print(f"  the pot holds {held / 100:.2f} € of {amount / 100:.2f} €: {'exactly its amount' if held == amount else 'NOT ITS AMOUNT'}"
          f"{'' if held <= amount else ', EXCEEDED'}")
    db.dispose()


if __name__ == "__main__":
    main()
