"""How long a pledge takes to make, and a campaign's page to draw, beside a reference request.

The crowdfunding app is called in process (a Flask test client, as a gunicorn thread would run it)
on a PostgreSQL database of its own, migrated and dropped at the end, with a real localstripe as
its Stripe (scripts/local_stripe.py, as under `make run`). The campaign is live with three reward
tiers and `--pledges` confirmed pledges. Each figure is the median (and the 95th percentile) of
`--rounds` requests; the reference is `/healthz`, which does nothing, measured in the same run
(these machines are shared and noisy: read the ratios).

    .venv/bin/python bench/crowdfunding_pledges.py [--rounds 50] [--pledges 300]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from scratch import free_port, scratch_databases, use_scratch_databases  # noqa: E402  (sets the environment first)

use_scratch_databases("crowdfunding")
ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="tremplin-bench-"))
os.environ.update(
    LOG_JSON="1", CROWDFUNDING_COVERS_DIR=str(WORK / "covers"), STRIPE_WEBHOOK_URL="http://127.0.0.1:1/",
    ACCOUNTS_SIGNING_KEY_FILE=str(WORK / "signing.pem"), JWKS_URL=f"file://{WORK / 'jwks.json'}",
)
os.environ.pop("STRIPE_SECRET_KEY", None)


os.environ["LOCALSTRIPE_PORT"] = str(free_port())

import logging  # noqa: E402

from PIL import Image  # noqa: E402

from shared.accounts import projection  # noqa: E402
from shared.accounts.tokens import Signer, generate_key_file  # noqa: E402


def start_localstripe() -> subprocess.Popen:
    port = os.environ["LOCALSTRIPE_PORT"]
    process = subprocess.Popen([sys.executable, "scripts/local_stripe.py", "--port", port], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/js.stripe.com/v3/", timeout=1).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("localstripe did not start")


def timed(call, rounds: int) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    durations = []
    for number in range(rounds):
        started = time.perf_counter()
        call(number)
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[min(len(durations) - 1, int(len(durations) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--pledges", type=int, default=300)
    arguments = parser.parse_args()
    generate_key_file(Path(os.environ["ACCOUNTS_SIGNING_KEY_FILE"]))
    signer = Signer.from_environment()
    (WORK / "jwks.json").write_text(json.dumps(signer.jwks()))
    stripe = start_localstripe()
    try:
        with scratch_databases("crowdfunding"):
            run(signer, arguments.rounds, arguments.pledges)
    finally:
        stripe.terminate()
        stripe.wait(timeout=10)


def run(signer: Signer, rounds: int, pledge_count: int) -> None:
    logging.getLogger().setLevel(logging.WARNING)  # a log line per request would measure the terminal
    from services.crowdfunding.app import create_app
    from services.crowdfunding.models import Account

    app = create_app({"TESTING": True})
    client = app.test_client()
    db = app.extensions["db"]
    ids = iter(range(1, 10_000_000))

    def someone(roles, name="Someone"):
        number = next(ids)
        person = SimpleNamespace(id=number, email=f"p{number}@example.org", name=f"{name} {number}", language="fr",
                                 roles=roles, session_version=0)
        with db.unit_of_work() as session:
            projection.record(session, Account, {"account_id": person.id, "email": person.email, "name": person.name,
                                                 "language": "fr", "roles": roles, "session_version": 0},
                              datetime.now(timezone.utc))
        return {"Authorization": f"Bearer {signer.mint(person, 'access', 3600)}"}

    owner, manager = someone(["campaign_owner"]), someone(["fund_manager"])
    now = datetime.now(timezone.utc)
    assert client.put("/api/owner/organisation", headers=owner, json={
        "legal_name": "Bench SARL", "kind": "company", "siret": "73282932000074", "postal_code": "63000",
        "city": "Clermont-Ferrand", "sector": "music"}).status_code == 200
    campaign = client.post("/api/campaigns", headers=owner, json={
        "title_fr": "Banc d'essai", "pitch_fr": "Mesurer.", "sector": "music", "goal_cents": 1_000_000,
        "starts_at": (now - timedelta(minutes=1)).isoformat(), "ends_at": (now + timedelta(days=30)).isoformat(),
        "funding_model": "all_or_nothing", "budget": [{"label": "Studio", "amount_cents": 1_000_000}]}).get_json()
    picture = io.BytesIO()
    Image.new("RGB", (1600, 800), (40, 90, 160)).save(picture, "JPEG")
    client.put(f"/api/campaigns/{campaign['id']}/cover", headers=owner, content_type="multipart/form-data",
               data={"file": (io.BytesIO(picture.getvalue()), "cover.jpg"), "alt_fr": "Une image"})
    tiers = [client.post(f"/api/campaigns/{campaign['id']}/tiers", headers=owner, json={
        "title_fr": f"Palier {n}", "description_fr": "Une contrepartie.", "minimum_cents": 1_000 * n,
        "quantity": None if n == 1 else 1_000_000, "delivery_month": "2027-06"}).get_json()["id"] for n in (1, 2, 3)]
    assert client.post(f"/api/campaigns/{campaign['id']}/submit", headers=owner).status_code == 200
    assert client.post(f"/api/manage/campaigns/{campaign['id']}/decision", headers=manager,
                       json={"decision": "approved"}).status_code == 200

    # Pledges that count, made as the fund manager marks transfers received.
    for number in range(pledge_count):
        backer = someone(["backer"], "Backer")
        pledge = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=backer, json={
            "amount_cents": 3_000 + number, "tier_id": tiers[number % 3], "method": "transfer",
            "public_name": number % 2 == 0}).get_json()
        assert "id" in pledge, pledge
        client.post(f"/api/manage/pledges/{pledge['id']}/transfer-received", headers=manager)

    page = f"/campaigns/{campaign['id']}"
    html = {"Accept": "text/html"}
    backers = [someone(["backer"], "Bench") for _ in range(rounds)]

    def card_pledge(number):
        headers = backers[number]
        pledge = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=headers, json={
            "amount_cents": 2_500, "tier_id": tiers[1], "method": "card"}).get_json()
        setup = client.post(f"/api/pledges/{pledge['id']}/card", headers=headers).get_json()
        assert setup["setup_intent_id"].startswith("seti_"), setup

    def transfer_pledge(number):
        answer = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=backers[number], json={
            "amount_cents": 2_500, "tier_id": tiers[1], "method": "transfer"})
        assert answer.status_code == 201

    figures = [
        ("reference: GET /healthz", timed(lambda _n: client.get("/healthz"), rounds)),
        (f"campaign page (HTML, 3 tiers, {pledge_count} pledges)", timed(lambda _n: client.get(page, headers=html), rounds)),
        ("campaign (API JSON)", timed(lambda _n: client.get(f"/api{page}"), rounds)),
        ("live campaigns page (HTML)", timed(lambda _n: client.get("/", headers=html), rounds)),
        ("pledge by transfer (POST, tier row locked)", timed(transfer_pledge, rounds)),
        ("pledge by card (POST + Customer + SetupIntent at localstripe)", timed(card_pledge, rounds)),
    ]
    reference = figures[0][1][0]
    print(f"crowdfunding, in process on PostgreSQL, localstripe on port {os.environ['LOCALSTRIPE_PORT']}, "
          f"{rounds} rounds each")
    for name, (median, p95) in figures:
        print(f"  {name:<62} median {median:7.1f} ms   p95 {p95:7.1f} ms   {median / reference:6.1f}× the reference")


if __name__ == "__main__":
    main()
