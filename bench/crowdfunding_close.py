"""The close of a campaign of 10,000 card pledges: the charges per second reached, as a share of
the configured rate (STRIPE_MAX_REQUESTS_PER_SECOND; the goal is at least 95 %), and the double
charges (the goal is 0).

The crowdfunding's real worker processes (`dramatiq ... services.crowdfunding.actors`, two
processes) close the campaign and charge it against a Stripe stand-in of this bench's own (a
threaded HTTP server on loopback speaking the few endpoints the close calls: PaymentIntents
created, read back and listed), since localstripe makes about 24 PaymentIntents a second here. The
stand-in counts the PaymentIntents per idempotency key and per pledge. The pledges are written
straight into a PostgreSQL database of this run's own. The references, measured in the same run:
the same workers closing a smaller campaign with no pace to speak of (what they reach on this
machine now, shared with other work), and the stand-in alone answering creations from 16 threads.

    .venv/bin/python bench/crowdfunding_close.py [--pledges 10000] [--rate 20]   (about 9 minutes at 20/s)
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from scratch import scratch_databases, use_scratch_databases  # noqa: E402  (sets the environment first)

use_scratch_databases("crowdfunding")
ROOT = Path(__file__).resolve().parent.parent
os.environ.pop("STRIPE_SECRET_KEY", None)
os.environ.update(LOG_JSON="1", LOG_LEVEL="WARNING")


class StripeStandIn:
    """PaymentIntents as Stripe answers them, kept in memory and counted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.intents: dict[str, dict] = {}
        self.by_key: Counter = Counter()
        self.by_reference: Counter = Counter()
        self.created_at: list[float] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "StripeStandIn":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def reset(self) -> None:
        with self.lock:
            self.intents.clear()
            self.by_key.clear()
            self.by_reference.clear()
            self.created_at.clear()

    def create(self, form: dict, key: str | None) -> dict:
        metadata = {name[9:-1]: value for name, value in form.items() if name.startswith("metadata[")}
        number = secrets.token_hex(8)
        intent = {
            "id": f"pi_{number}", "object": "payment_intent", "status": "succeeded", "amount": int(form["amount"]),
            "currency": form.get("currency"), "customer": form.get("customer"),
            "payment_method": form.get("payment_method"), "client_secret": f"pi_{number}_secret_x",
            "metadata": metadata,
            "latest_charge": {"id": f"ch_{number}", "object": "charge", "balance_transaction": {
                "id": f"txn_{number}", "object": "balance_transaction", "fee": 25 + int(form["amount"]) * 15 // 1000,
                "fee_details": [{"type": "stripe_fee", "amount": 25 + int(form["amount"]) * 15 // 1000}]}},
        }
        with self.lock:
            self.intents[intent["id"]] = intent
            self.by_key[key] += 1
            self.by_reference[metadata.get("reference")] += 1
            self.created_at.append(time.monotonic())
        return intent

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path.startswith("/v1/payment_intents"):
                    return self._answer(200, stand_in.create(form, self.headers.get("Idempotency-Key")))
                return self._answer(404, {"error": {"type": "invalid_request_error", "message": "not here"}})

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                if path == "/v1/payment_intents":
                    with stand_in.lock:
                        data = list(stand_in.intents.values())
                    return self._answer(200, {"object": "list", "data": data, "has_more": False,
                                              "url": "/v1/payment_intents"})
                if path.startswith("/v1/payment_intents/"):
                    intent = stand_in.intents.get(path.rsplit("/", 1)[1])
                    if intent:
                        return self._answer(200, intent)
                return self._answer(404, {"error": {"type": "invalid_request_error", "message": "no such object"}})

        return Handler


def reference_rate(stand_in: StripeStandIn, count: int) -> float:
    """The stand-in's own pace: PaymentIntents created by 16 threads with no pace at all."""
    import stripe

    client = stripe.StripeClient("sk_test_bench", base_addresses={"api": stand_in.url})

    def one(index: int) -> None:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur", "customer": "cus_x",
                                                 "payment_method": "pm_x", "confirm": True, "off_session": True,
                                                 "metadata": {"reference": f"ref-{index}"}},
                                         options={"idempotency_key": f"reference-{index}"})

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(one, range(count)))
    return count / (time.monotonic() - started)


def write_campaign(pledges: int, first: bool = False) -> int:
    from sqlalchemy import insert, select

    from services.crowdfunding.config import settings
    from services.crowdfunding.models import Account, Campaign, Owner, Pledge
    from shared.core.db import Database

    db = Database(settings().database_url)
    now = datetime.now(timezone.utc)
    with db.unit_of_work() as session:
        if first:
            for account_id, email in ((1, "owner@example.org"), (2, "backer@example.org")):
                session.add(Account(id=account_id, email=email, name=email.split("@")[0], language="fr",
                                    roles=["campaign_owner", "backer"], session_version=1, synced_at=now))
            session.flush()
            session.add(Owner(account_id=1, legal_name="Label Dôme SARL", kind="company", siret="73282932000074",
                              postal_code="63000", city="Clermont-Ferrand", sector="music"))
            session.flush()
        owner = session.scalar(select(Owner).where(Owner.account_id == 1))
        campaign = Campaign(owner_id=owner.id, account_id=1, status="live", title_fr="Un disque", pitch_fr="…",
                            sector="music", goal_cents=100_000, starts_at=now - timedelta(days=30),
                            ends_at=now + timedelta(days=1), funding_model="all_or_nothing", budget=[],
                            cover_widths=[], published_at=now - timedelta(days=30))
        session.add(campaign)
        session.flush()
        session.execute(insert(Pledge), [{
            "campaign_id": campaign.id, "account_id": 2, "amount_cents": 1_000 + index % 50 * 100,
            "public_name": False, "method": "card", "status": "confirmed",
            "reference": f"CF-{'C' if first else 'B'}{index:08d}",
            "stripe_customer_id": "cus_bench", "stripe_payment_method_id": f"pm_bench_{index}",
            "card_last4": "4242", "confirmed_at": now, "paid_cents": 0, "refunded_cents": 0, "reminders_sent": 0,
        } for index in range(pledges)])
        campaign_id = campaign.id
    db.engine.dispose()
    return campaign_id


def end_now(campaign_id: int) -> None:
    from sqlalchemy import update

    from services.crowdfunding.config import settings
    from services.crowdfunding.models import Campaign
    from shared.core.db import Database

    db = Database(settings().database_url)
    with db.unit_of_work() as session:
        session.execute(update(Campaign).where(Campaign.id == campaign_id)
                        .values(ends_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    db.engine.dispose()


def paid_count() -> int:
    from sqlalchemy import func, select

    from services.crowdfunding.config import settings
    from services.crowdfunding.models import Pledge
    from shared.core.db import Database

    db = Database(settings().database_url)
    try:
        with db.unit_of_work() as session:
            return session.scalar(select(func.count()).select_from(Pledge).where(Pledge.payment_status == "paid"))
    finally:
        db.engine.dispose()


def close_with_workers(stand_in: StripeStandIn, campaign_id: int, pledges: int, rate: int, processes: int,
                       threads: int) -> tuple[float, float, int]:
    """Close one campaign with real worker processes at `rate`: (charges/s from the first charge
    to the last, seconds from the close to the last charge, pledges paid)."""
    stand_in.reset()
    before = paid_count()
    env = {**os.environ, "STRIPE_API_BASE": stand_in.url, "STRIPE_MAX_REQUESTS_PER_SECOND": str(rate),
           "CAMPAIGN_SWEEP_SECONDS": "1", "PYTHONPATH": str(ROOT)}
    end_now(campaign_id)
    closed_at = time.monotonic()
    worker = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "shared.core.broker", "services.crowdfunding.actors",
         "--processes", str(processes), "--threads", str(threads)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + pledges / min(rate, 20) * 4 + 120
        while paid_count() - before < pledges and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    times = sorted(stand_in.created_at)
    span = times[-1] - times[0] if len(times) > 1 else 0
    achieved = (len(times) - 1) / span if span else float("nan")
    return achieved, (times[-1] - closed_at) if times else float("nan"), paid_count() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pledges", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=20, help="STRIPE_MAX_REQUESTS_PER_SECOND for this run (its default)")
    parser.add_argument("--processes", type=int, default=2)
    # Each charging thread holds two connections (the lock's and its unit of work's): 4 threads stay
    # within SQLAlchemy's default pool of 15 per process with room for the sweeper.
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--capacity-pledges", type=int, default=600,
                        help="pledges of the reference close, with no pace to speak of")
    args = parser.parse_args()

    load_start = os.getloadavg()[0]
    stand_in = StripeStandIn().start()
    reference = reference_rate(stand_in, 2_000)
    with scratch_databases("crowdfunding"):
        capacity_campaign = write_campaign(args.capacity_pledges, first=True)
        campaign_id = write_campaign(args.pledges)
        # The reference: the same workers on the same machine, paced at 10,000/s (no pace at all).
        capacity, _seconds, _paid = close_with_workers(stand_in, capacity_campaign, args.capacity_pledges, 10_000,
                                                       args.processes, args.threads)
        achieved, seconds, paid = close_with_workers(stand_in, campaign_id, args.pledges, args.rate, args.processes,
                                                     args.threads)
    doubles_by_key = sum(count - 1 for count in stand_in.by_key.values() if count > 1)
    doubles_by_pledge = sum(count - 1 for count in stand_in.by_reference.values() if count > 1)
    print(f"crowdfunding close: {args.pledges} card pledges, {args.processes} worker processes x {args.threads} threads")
    print(f"  paid                          {paid} of {args.pledges}")
    print(f"  PaymentIntents at the stand-in {len(stand_in.created_at)}")
    print(f"  configured rate               {args.rate}/s (STRIPE_MAX_REQUESTS_PER_SECOND)")
    print(f"  charges per second reached    {achieved:.1f}/s = {achieved / args.rate:.1%} of the rate (goal >= 95%)")
    print(f"  close to last charge          {seconds:.1f} s")
    print(f"  double charges                {doubles_by_pledge} by pledge, {doubles_by_key} by idempotency key (goal 0)")
    print(f"  reference: the same workers unpaced, same run: {capacity:.1f} charges/s "
          f"({args.capacity_pledges} pledges); the stand-in alone: {reference:.0f} PaymentIntents/s (16 threads)")
    print(f"  load average at the start and the end: {load_start:.1f}, {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} CPUs; other work on the machine slows the workers)")


if __name__ == "__main__":
    main()
