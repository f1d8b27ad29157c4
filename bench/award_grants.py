"""How long granting an award takes, alone and when many race for the envelope.

Creates its own PostgreSQL databases (dropped at the end), then, through the grants API in
process (Flask's test client, a real PostgreSQL, the fund's row lock):

- a grant's latency, one request after another, beside the reference in the same run: reading
  one fund (`GET /api/funds/<id>`, a request that authenticates and makes one query);
- the envelope race: rounds of `--racers` grants released at once, each in its own thread with
  its own connection, for an envelope that holds only some of them; how long a round takes
  from the release to the last answer, and that exactly those that fit were granted.

    .venv/bin/python bench/award_grants.py [--grants 200] [--racers 16] [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scratch import scratch_databases, use_scratch_databases  # noqa: E402  (sets the environment first)

use_scratch_databases("grants", "notifications")
KEYS = Path(tempfile.mkdtemp(prefix="tremplin-bench-keys-"))
os.environ["ACCOUNTS_SIGNING_KEY_FILE"] = str(KEYS / "signing.pem")
os.environ["JWKS_URL"] = "file://" + str(KEYS / "jwks.json")
os.environ.setdefault("LOG_JSON", "1")

import logging  # noqa: E402

from sqlalchemy import update  # noqa: E402

from shared.accounts.tokens import Signer, generate_key_file  # noqa: E402

REQUESTED = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grants", type=int, default=200)
    parser.add_argument("--racers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    generate_key_file(Path(os.environ["ACCOUNTS_SIGNING_KEY_FILE"]))
    (KEYS / "jwks.json").write_text(json.dumps(Signer.from_environment().jwks()))
    with scratch_databases("grants", "notifications"):
        run(arguments.grants, arguments.racers, arguments.rounds)


class Manager:
    id, email, name, language, roles, session_version = 1, "manager@example.org", "Manon", "fr", ["fund_manager"], 0


def setup(app, applications: int) -> tuple[int, list[int]]:
    """A fund, a call in review and `applications` submitted applications (written directly: this
    bench measures the awards, not the applications)."""
    from services.grants import calls
    from services.grants.models import Account, Application
    from services.grants.demo import _call

    now = datetime.now(timezone.utc)
    with app.extensions["db"].unit_of_work() as session:
        session.add(Account(id=Manager.id, email=Manager.email, name=Manager.name, roles=Manager.roles, language="fr",
                            session_version=0))
        fund = calls.create_fund(session, name="Fonds du banc", year=2026, envelope_cents=2_000_000_000)
        call = calls.create_call(session, {**_call(fund.id, now), "opens_at": now - timedelta(days=10),
                                           "closes_at": now - timedelta(days=1)})
        call.status = "in_review"
        ids = []
        for number in range(applications):
            session.add(Account(id=100 + number, email=f"a{number}@example.org", name=f"A{number}",
                                roles=["applicant"], language="fr", session_version=0))
            session.flush()
            application = Application(
                call_id=call.id, account_id=100 + number, status="submitted", project_title=f"Projet {number}",
                requested_cents=REQUESTED, eligible=True, receipt_number=f"TR-BENCH-{number:06d}", submitted_at=now,
                snapshot={"requested_cents": REQUESTED, "project_title": f"Projet {number}",
                          "organisation": {"legal_name": f"Structure {number}", "siret": "73282932000074",
                                           "sector": "music", "kind": "company", "postal_code": "63000",
                                           "city": "Clermont-Ferrand"}})
            session.add(application)
            session.flush()
            ids.append(application.id)
        return fund.id, ids


def timed(send) -> tuple[float, object]:
    started = time.perf_counter()
    answer = send()
    return time.perf_counter() - started, answer


def run(grants: int, racers: int, rounds: int) -> None:
    logging.disable(logging.INFO)  # one request log line per request would weigh on the figures
    from services.grants.app import create_app
    from services.grants.awards import committed_cents
    from services.grants.models import Fund

    app = create_app({"TESTING": True})
    headers = {"Authorization": f"Bearer {Signer.from_environment().mint(Manager, 'access', 3600)}"}
    fund_id, ids = setup(app, grants + racers * rounds)
    client = app.test_client()
    client.get(f"/api/funds/{fund_id}", headers=headers)  # warm up: keys, connections

    reference = [timed(lambda: client.get(f"/api/funds/{fund_id}", headers=headers))[0] for _ in range(grants)]
    latencies = []
    for application_id in ids[:grants]:
        elapsed, answer = timed(lambda: client.post(f"/api/manage/applications/{application_id}/award",
                                                    json={"amount_cents": 500_000}, headers=headers))
        assert answer.status_code == 201, answer.get_json()
        latencies.append(elapsed)

    def pct(values, share):
        return sorted(values)[min(len(values) - 1, int(len(values) * share))] * 1000

    print(f"grants: {grants} in a row, through the API on PostgreSQL")
    print(f"  reference, GET /api/funds/<id>:     median {statistics.median(reference) * 1000:6.2f} ms,"
          f" p95 {pct(reference, 0.95):6.2f} ms")
    print(f"  POST .../award (lock, split, log): median {statistics.median(latencies) * 1000:6.2f} ms,"
          f" p95 {pct(latencies, 0.95):6.2f} ms"
          f"  ({statistics.median(latencies) / statistics.median(reference):.1f}× the reference)")

    # The race: each round's envelope holds exactly half of its racers' awards.
    durations, exact = [], True
    racing = ids[grants:]
    for number in range(rounds):
        group = racing[number * racers:(number + 1) * racers]
        fits = racers // 2
        with app.extensions["db"].unit_of_work() as session:
            session.execute(update(Fund).where(Fund.id == fund_id).values(
                envelope_cents=committed_cents(session, fund_id) + fits * REQUESTED))
        barrier = threading.Barrier(racers + 1)

        def grant(application_id):
            barrier.wait()
            return app.test_client().post(f"/api/manage/applications/{application_id}/award",
                                          json={"amount_cents": REQUESTED}, headers=headers).status_code

        with ThreadPoolExecutor(racers) as pool:
            futures = [pool.submit(grant, application_id) for application_id in group]
            barrier.wait()
            started = time.perf_counter()
            statuses = [future.result() for future in futures]
            durations.append(time.perf_counter() - started)
        exact &= sorted(statuses) == [201] * fits + [409] * (racers - fits)
    print(f"envelope race: {rounds} rounds of {racers} grants at once (threads, own connections), "
          f"{racers // 2} fit each time")
    print(f"  a round, release to last answer: median {statistics.median(durations) * 1000:6.1f} ms,"
          f" worst {max(durations) * 1000:6.1f} ms  ({statistics.median(durations) / statistics.median(latencies):.1f}×"
          f" one grant alone)")
    print(f"  exactly those that fit granted in every round: {'yes' if exact else 'NO'}")
    app.extensions["db"].dispose()


if __name__ == "__main__":
    main()
