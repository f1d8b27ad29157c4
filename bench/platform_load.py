"""The platform's hot paths, each beside its ceiling measured in the same run (issue 15).

Starts, side by side on PostgreSQL databases and a Redis namespace of its own (dropped at the end):
- the references: Flask's hello world in JSON under the services' gunicorn settings
  (bench/hello_app.py, which also serves the leanest save, below), pgbench's simple update, a dramatiq worker process running an actor that
  does nothing (bench/noop_actor.py), a plain smtplib loop over one open connection;
- the platform's processes as the Procfile starts them: grants and crowdfunding under gunicorn
  (`--config python:shared.web.server`), the grants relay, the notifications worker, the local
  SMTP server (devsmtp). The no-op worker runs with the notifications worker's --processes and
  --threads, read from the Procfile, so that the two compare one worker model.

The outbox rows are measured as their references are (see `outbox_rows`): the writes by 10
connections over 2 processes, with the relay paused, as pgbench's 10 clients over 2 threads run
alone; the events end to end from the moment the relay is let go with them in the outbox to the
last one recorded by the worker, as the no-op actor's messages from the first one queued.

The rows beside pgbench, the no-op actor and the smtplib loop run in `--rounds` rounds (3), each
figure measured just after its reference, and print the medians and each round's ratio: on these
shared machines the host's pace changes within a minute (the smtplib loop has run at 197 and at
797 messages a second in one session), and a ratio of a figure and a reference taken a minute
apart measured that change as much as the platform.

HTTP is driven by wrk (Debian's package; `make bench` installs it) with `--connections` open
connections; the rest by the project's own code. Each row prints the reference, the figure, their
ratio and, for HTTP, the 99th percentile latency and any answer that was not 2xx. The memory of
every web, relay and worker process is read from /proc: idle before the load, the most seen
while the load ran, and idle after it; the survival estimate's child of grants' web processes
(started at their first report) on a line of its own, with its memory just after that report.

The hot paths beside hello world: a draft saved, each save with a summary of its own (and, beside
it, the same drafts' summary saved at its leanest by the reference app: one UPDATE by psycopg in a
bare Flask route, the floor of a save on this stack), the public calls (replayed from memory, and
read through Flask for a visitor with a cookie other than the language), the platform's home page,
a campaign's page (the same two ways), a pledge by transfer (backers' tokens in turn, on a campaign
with a tier of limited places) and a juror's score saved, each with a comment of its own (a call in
review seeded through the API: jurors invited, assigned, declared free of conflict). The reports,
one request at a time against their goals, beside a plain SELECT of the same rows and the use case
alone in process (bench/jury_ranking.py's and bench/survival_report.py's seeding and references):
the ranking of a call of 1,000 applications (< 200 ms, issue 10) and the indicators report of
100,000 supported firms (< 1 s, issue 14). Each new path's SQL statements per request are counted
in process; `--profile` prints them with cProfile's costliest functions and stops before the load.

    .venv/bin/python bench/platform_load.py [--seconds 10] [--connections 50] [--rounds 3] [--events 2000] [--emails 500]
        [--backers 300] [--jury-applications 30] [--jurors 10] [--ranked 1000] [--firms 100000] [--profile]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from scratch import ADMIN, RUN, free_port, password_reset_envelope, scratch_databases, smtp_loop, use_scratch_databases  # noqa: E402  (sets the environment first)

SERVICES = ("grants", "crowdfunding", "notifications", "accounts")
use_scratch_databases(*SERVICES)
ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="tremplin-load-"))
os.environ.update(
    LOG_JSON="1", TREMPLIN_VAR=str(WORK / "var"), CROWDFUNDING_COVERS_DIR=str(WORK / "covers"),
    GRANTS_DOCUMENTS_DIR=str(WORK / "documents"), STRIPE_WEBHOOK_URL="http://127.0.0.1:1/",
    ACCOUNTS_SIGNING_KEY_FILE=str(WORK / "signing.pem"), JWKS_URL=f"file://{WORK / 'jwks.json'}",
)
os.environ.pop("STRIPE_SECRET_KEY", None)


os.environ["LOCALSTRIPE_PORT"] = str(free_port())
os.environ["SMTP_HOST"], os.environ["SMTP_PORT"] = "127.0.0.1", str(free_port())

import logging  # noqa: E402

from PIL import Image  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

import jury_ranking  # noqa: E402  (bench/: the ranking's and the survival report's seeding and references)
import survival_report  # noqa: E402
from shared.accounts import projection  # noqa: E402
from shared.accounts.tokens import Signer, generate_key_file  # noqa: E402
from shared.core.outbox import EVENTS_PER_MESSAGE  # noqa: E402

PROCESSES: dict[str, subprocess.Popen] = {}


# --- Processes ------------------------------------------------------------------------------------

def start(name: str, command: list[str], *, port: int | None = None, probe: str = "/healthz", cwd: Path = ROOT,
          extra_path: str = "") -> subprocess.Popen:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), extra_path])))
    log = open(WORK / f"{name}.log", "wb")
    process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=log, stderr=subprocess.STDOUT)
    PROCESSES[name] = process
    if port is not None:
        for _ in range(400):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1).close()
                return process
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"{name} did not start: see {WORK / (name + '.log')}")
    return process


def gunicorn(name: str, application: str, port: int, **options) -> subprocess.Popen:
    return start(name, [str(Path(sys.executable).parent / "gunicorn"), "--config", "python:shared.web.server",
                        "--bind", f"127.0.0.1:{port}", application], port=port, **options)


def stop_all() -> None:
    for process in PROCESSES.values():
        if process.poll() is None:
            process.terminate()
    for process in PROCESSES.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def children(pid: int) -> list[int]:
    """A process's children (gunicorn's and dramatiq's workers are its children)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:
        pass
    return found


def family(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children(current))
    return found


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# The processes a web process starts for itself (shared/core/child_process.py): the survival
# estimate's child, and multiprocessing's resource tracker that comes with any spawned child.
# Each is a line of its own in the table ("grants/estimate"), not counted as the web process.
HELPERS = {"estimate": "from multiprocessing.spawn import spawn_main",
           "resource tracker": "from multiprocessing.resource_tracker import main"}


def helper(pid: int) -> str | None:
    """Which of HELPERS the process is, None for the platform's own processes."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return next((name for name, mark in HELPERS.items() if mark in command), None)


PHASED = ["grants", "grants/estimate"]  # followed through the load's parts


def report_in_every_worker(url: str, manager: str, tries: int = 40) -> None:
    """Asks for the indicators report, two at a time, until every grants web process has started
    its estimate's child (a process's first report starts it)."""
    from concurrent.futures import ThreadPoolExecutor

    master = PROCESSES["grants"].pid
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {manager}", "Accept": "application/json"})

    def all_have_one() -> bool:
        workers = children(master)
        return bool(workers) and all(any(helper(child) == "estimate" for child in children(worker)) for worker in workers)

    with ThreadPoolExecutor(2) as pool:
        for _ in range(tries):
            if all_have_one():
                return
            list(pool.map(lambda _: urllib.request.urlopen(request, timeout=60).close(), range(2)))
    raise RuntimeError("a grants web process never drew a report")


class Memory:
    """The largest RSS of any one process of each of the platform's process kinds, sampled: a
    kind is a process started here and its descendants ("grants"), its helpers apart
    ("grants/estimate": the survival estimate's children of grants' web processes)."""

    def __init__(self, names: list[str]):
        self.names = names
        self.idle: dict[str, float] = {}
        self.loaded: dict[str, float] = {name: 0.0 for name in names}
        self.phases: list[tuple[str, dict[str, float]]] = []  # (after what, each kind's RSS then)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def mark(self, phase: str, names: list[str]) -> None:
        self.phases.append((phase, {name: self.largest(name) for name in names}))

    def largest(self, name: str) -> float:
        started, _, part = name.partition("/")
        return max((rss_mb(pid) for pid in family(PROCESSES[started].pid) if helper(pid) == (part or None)),
                   default=0.0)

    def read_idle(self) -> None:
        self.idle = {name: self.largest(name) for name in self.names}

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for name in self.names:
                self.loaded[name] = max(self.loaded[name], self.largest(name))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join()


# --- wrk ------------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict:
    command = ["wrk", "--threads", str(min(2, connections)), "--connections", str(connections), "--duration", f"{seconds}s",
               "--latency", "--timeout", "10s"]
    if script is not None:
        path = WORK / f"script-{abs(hash(script))}.lua"
        path.write_text(script)
        command += ["--script", str(path)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {"rate": rate, "p99_ms": float(p99.group(1)) * UNITS[p99.group(2)] if p99 else float("nan"),
            "p50_ms": float(p50.group(1)) * UNITS[p50.group(2)] if p50 else float("nan"),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1).strip() if socket_errors else ""}


def rotating_requests(method: str, targets: list[tuple], body: str | None, accept: str = "application/json") -> str:
    """A wrk script sending `method` to each (path, bearer token) in turn, with `body`, or to each
    (path, bearer token, body) with its own body. Each of wrk's threads starts half the list further
    on: otherwise both send the same target at the same moment, and wait on each other's row lock.

    A body's `{n}` becomes a number no other request of the run gets (wrk's thread, then its count):
    each save then changes what it saves, as an applicant's or a juror's does. The same body sent
    again would change nothing, and the ORM writes nothing for it: the row would measure reads."""
    rows = ",\n".join(f'  {{"{target[0]}", "Bearer {target[1]}"'
                      f'{", " + json.dumps(target[2]) if len(target) > 2 else ""}}}' for target in targets)
    body_lua = "nil" if body is None else json.dumps(body)
    return f"""
local targets = {{
{rows}
}}
local body = {body_lua}
local threads = 0
count = 0
id = 0
setup = function(thread)
  thread:set("count", threads * math.floor(#targets / 2))
  thread:set("id", threads)
  threads = threads + 1
end
request = function()
  count = count + 1
  local target = targets[(count % #targets) + 1]
  local payload = target[3] or body
  if payload then payload = (payload:gsub("{{n}}", id .. "." .. count)) end
  local headers = {{["Authorization"] = target[2], ["Accept"] = "{accept}"}}
  if payload then headers["Content-Type"] = "application/json" end
  return wrk.format("{method}", target[1], headers, payload)
end
"""


# --- The platform's data --------------------------------------------------------------------------

class People:
    def __init__(self, signer: Signer):
        self.signer = signer
        self.numbers = iter(range(1, 10_000_000))

    def token(self, db, model, roles: list[str], name: str = "Someone", domain: str = "example.org") -> tuple[int, str]:
        number = next(self.numbers)
        person = SimpleNamespace(id=number, email=f"p{number}@{domain}", name=f"{name} {number}", language="fr",
                                 roles=roles, session_version=0)
        with db.unit_of_work() as session:
            projection.record(session, model, {"account_id": number, "email": person.email, "name": person.name,
                                               "language": "fr", "roles": roles, "session_version": 0},
                              datetime.now(timezone.utc))
        return number, self.signer.mint(person, "access", 6 * 3600)


def seed_grants(people: People, drafts: int) -> list[tuple[str, str]]:
    """An open call with `drafts` applicants, each with a draft: the (path, token) of each draft."""
    from services.grants.app import create_app
    from services.grants.models import Account

    app = create_app({"TESTING": True})
    client, db = app.test_client(), app.extensions["db"]

    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    _, manager = people.token(db, Account, ["fund_manager"], "Manon")
    fund = client.post("/api/funds", headers=bearer(manager), json={
        "name": "Fonds réactif", "year": 2026, "envelope_cents": 5_000_000}).get_json()
    now = datetime.now(timezone.utc)
    call = client.post("/api/calls", headers=bearer(manager), json={
        "fund_id": fund["id"], "title_fr": "Aide à la création", "title_en": "Creation grant",
        "description_fr": "Pour les projets des industries créatives.", "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(), "max_award_cents": 1_000_000,
        "postal_codes": ["63000"], "sectors": ["music", "film"], "organisation_kinds": ["company", "association"],
        "min_other_funding_share_percent": 20,
        "required_documents": [{"code": "budget", "label_fr": "Budget", "label_en": "Budget"}],
        "scoring_grid": [{"code": "quality", "label_fr": "Qualité", "label_en": "Quality", "weight": 1,
                          "levels": [{"score": 0, "description": "Faible"}, {"score": 2, "description": "Bon"}]}],
    }).get_json()
    assert client.post(f"/api/calls/{call['id']}/status", headers=bearer(manager),
                       json={"status": "open"}).status_code == 200
    targets = []
    for number in range(drafts):
        _, token = people.token(db, Account, ["applicant"], "Applicant")
        assert client.put("/api/profile", headers=bearer(token), json={
            "legal_name": f"Studio {number}", "kind": "company", "siret": "73282932000074", "address": "1 rue",
            "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "music", "head_count": 2,
            "created_on": "2019-03-01"}).status_code == 200
        draft = client.post("/api/applications", headers=bearer(token), json={
            "call_id": call["id"], "project_title": f"Projet {number}"}).get_json()
        assert "id" in draft, draft
        targets.append((f"/api/applications/{draft['id']}", token))
    db.dispose()
    return targets


def seed_campaign(people: People, quantities: tuple = (None, None, None)) -> int:
    """A live campaign with three reward tiers (of `quantities` places) and 100 confirmed pledges: its id."""
    from services.crowdfunding.app import create_app
    from services.crowdfunding.models import Account

    app = create_app({"TESTING": True})
    client, db = app.test_client(), app.extensions["db"]

    def bearer(roles, name="Someone"):
        return {"Authorization": f"Bearer {people.token(db, Account, roles, name)[1]}"}

    owner, manager = bearer(["campaign_owner"]), bearer(["fund_manager"])
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
        "quantity": quantity, "delivery_month": "2027-06"}).get_json()["id"] for n, quantity in zip((1, 2, 3), quantities)]
    assert client.post(f"/api/campaigns/{campaign['id']}/submit", headers=owner).status_code == 200
    assert client.post(f"/api/manage/campaigns/{campaign['id']}/decision", headers=manager,
                       json={"decision": "approved"}).status_code == 200
    for number in range(100):
        pledge = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=bearer(["backer"], "Backer"), json={
            "amount_cents": 3_000 + number, "tier_id": tiers[number % 3], "method": "transfer"}).get_json()
        client.post(f"/api/manage/pledges/{pledge['id']}/transfer-received", headers=manager)
    db.dispose()
    return campaign["id"]


def seed_pledges(people: People, backers: int) -> list[tuple[str, str, str]]:
    """A live campaign whose second tier has limited places (a million: the places are counted under
    the tier's lock, never sold out here) and `backers` backers: the (path, token, body) of a pledge
    by transfer by each, on the three tiers in turn. A backer may pledge again (no rule forbids it)."""
    from services.crowdfunding.app import create_app
    from services.crowdfunding.models import Account

    campaign_id = seed_campaign(people, quantities=(None, 1_000_000, None))
    app = create_app({"TESTING": True})
    client, db = app.test_client(), app.extensions["db"]
    tiers = [tier["id"] for tier in client.get(f"/api/campaigns/{campaign_id}").get_json()["tiers"]]
    path = f"/api/campaigns/{campaign_id}/pledges"
    targets = [(path, people.token(db, Account, ["backer"], "Backer")[1],
                json.dumps({"amount_cents": 5_000 + number, "tier_id": tiers[number % len(tiers)], "method": "transfer"}))
               for number in range(backers)]
    db.dispose()
    return targets


APPLICATION = {
    "summary": "Une tournée de douze dates dans la métropole.",
    "description": "Douze concerts, des ateliers dans les écoles, un disque enregistré en public.",
    "requested_cents": 800_000, "total_budget_cents": 2_000_000, "jobs_expected": 3, "timeline": "Mars à septembre 2027",
    "funding_sources": [{"kind": "own_funds", "amount_cents": 700_000, "description": "Fonds propres"},
                        {"kind": "bank_loan", "amount_cents": 500_000, "description": "Prêt bancaire"}],
}


def seed_jury(people: People, applications: int, jurors: int) -> list[tuple[str, str, str]]:
    """A call in review (bench/jury_ranking.py's grid of three criteria) with `applications` submitted
    applications and `jurors` invited jurors on its panel, assigned automatically (three reviews an
    application) and each declared free of conflict, through the API: the (path, token, body) of
    each seat's review draft."""
    from sqlalchemy import update

    from services.grants import jury
    from services.grants.app import create_app
    from services.grants.models import Account, Call

    app = create_app({"TESTING": True})
    client, db = app.test_client(), app.extensions["db"]

    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    def ok(answer, status=200):
        assert answer.status_code == status, answer.get_json()
        return answer.get_json()

    _, manager = people.token(db, Account, ["fund_manager"], "Manon")
    fund = ok(client.post("/api/funds", headers=bearer(manager), json={
        "name": "Fonds du jury", "year": 2026, "envelope_cents": 5_000_000}), 201)
    now = datetime.now(timezone.utc)
    call = ok(client.post("/api/calls", headers=bearer(manager), json={
        "fund_id": fund["id"], "title_fr": "Aide au jury", "description_fr": "Pour mesurer le jury.",
        "opens_at": (now - timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=30)).isoformat(),
        "max_award_cents": 1_000_000, "postal_codes": ["63000"], "sectors": ["music"],
        "organisation_kinds": ["company"], "min_other_funding_share_percent": 20, "required_documents": [],
        "scoring_grid": jury_ranking.GRID}), 201)
    ok(client.post(f"/api/calls/{call['id']}/status", headers=bearer(manager), json={"status": "open"}))
    for number in range(applications):
        _, token = people.token(db, Account, ["applicant"], "Applicant")
        ok(client.put("/api/profile", headers=bearer(token), json={
            "legal_name": f"Label {number}", "kind": "company", "siret": "73282932000074", "address": "1 rue",
            "postal_code": "63000", "city": "Clermont-Ferrand", "sector": "music", "head_count": 2,
            "created_on": "2019-03-01"}))
        draft = ok(client.post("/api/applications", headers=bearer(token), json={
            "call_id": call["id"], "project_title": f"Projet {number}", **APPLICATION}), 201)
        ok(client.post(f"/api/applications/{draft['id']}/submit", headers=bearer(token)))
    with db.unit_of_work() as session:  # the API only lets an open call close later
        session.execute(update(Call).where(Call.id == call["id"]).values(closes_at=now - timedelta(minutes=1)))
    for status in ("closed", "in_review"):
        ok(client.post(f"/api/calls/{call['id']}/status", headers=bearer(manager), json={"status": status}))
    tokens = {}
    for _ in range(jurors):
        # Not at the applicants' domain: no obvious conflict to flag and check.
        juror_id, tokens[juror_id] = people.token(db, Account, ["juror"], "Juror", domain="jury.example.org")
        with db.unit_of_work() as session:  # what `invitation.accepted` leaves
            jury.record_juror(session, {
                "invitation_id": juror_id, "account_id": juror_id, "email": f"p{juror_id}@jury.example.org",
                "name": f"Juror {juror_id}", "language": "fr", "roles": ["juror"], "invited_roles": ["juror"]},
                datetime.now(timezone.utc))
        ok(client.post(f"/api/manage/calls/{call['id']}/jury/members", headers=bearer(manager),
                       json={"juror_id": juror_id}), 201)
    ok(client.post(f"/api/manage/calls/{call['id']}/assignments/automatic", headers=bearer(manager)))
    targets = []
    for row in ok(client.get(f"/api/manage/calls/{call['id']}/assignments", headers=bearer(manager))):
        for seat in row["assignments"]:
            application_id, token = row["application_id"], tokens[seat["juror_id"]]
            ok(client.post(f"/api/jury/applications/{application_id}/declaration", headers=bearer(token),
                           json={"conflict": False}), 201)
            level = len(targets) % 4
            targets.append((f"/api/jury/applications/{application_id}/review", token, json.dumps({
                "criteria": [{"criterion": criterion["code"], "level": level, "comment": "Solide et bien construit."}
                             for criterion in jury_ranking.GRID],
                "recommendation": "maybe", "overall_comment": "Un projet sérieux, relu {n}."})))
    db.dispose()
    return targets


RANKED_ACCOUNTS = 5_000_000  # the ranked call's accounts are numbered from here (People's from 1)


def seed_reports(people: People, applications: int, firms: int) -> tuple[int, str]:
    """In bulk, as bench/jury_ranking.py and bench/survival_report.py seed theirs: a call in review
    with `applications` applications scored by 5 jurors each, and `firms` supported firms with 5
    registry checks each. The ranked call's id and a fund manager's token."""
    from services.grants.models import Account
    from shared.core.db import Database

    db = Database(os.environ["GRANTS_DATABASE_URL"])
    call_id = jury_ranking.seed(db, applications, 5, first_account=RANKED_ACCOUNTS)
    survival_report.seed(db, firms, 5)
    _, manager = people.token(db, Account, ["fund_manager"], "Manon")
    db.dispose()
    return call_id, manager


def statements_per_request(service: str, method: str, target: tuple, profile: bool = False) -> tuple[int, int]:
    """The SQL statements and transactions of one request (path, token[, body]), in process, after
    one like it: a SQLAlchemy `before_cursor_execute` listener on the service's engine. Each
    transaction adds its BEGIN and COMMIT to the round trips (the pool checks a connection without one).
    With `profile`, prints the statements and cProfile's costliest functions of that request."""
    import cProfile
    import pstats
    from importlib import import_module

    from sqlalchemy import event

    app = import_module(f"services.{service}.app").create_app({"TESTING": True})
    client, engine = app.test_client(), app.extensions["db"].engine
    headers = {"Authorization": f"Bearer {target[1]}", "Accept": "application/json"}
    def body(n: str):  # each request changes what it saves, as under wrk (rotating_requests)
        return json.loads(target[2].replace("{n}", n)) if len(target) > 2 else None
    statements, transactions = [], []

    def statement(_connection, _cursor, sql, *_args):
        statements.append(" ".join(sql.split()))

    def begin(_connection):
        transactions.append(len(statements))

    assert client.open(target[0], method=method, headers=headers, json=body("before")).status_code < 300
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    profiler = cProfile.Profile()
    try:
        answer = profiler.runcall(client.open, target[0], method=method, headers=headers, json=body("measured"))
        assert answer.status_code < 300, answer.get_json()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)
        app.extensions["db"].dispose()
    if profile:
        print(f"\n=== {method} {target[0]}: {len(statements)} statements in {len(transactions)} transactions")
        for number, sql in enumerate(statements):
            print(f"  {'BEGIN; ' if number in transactions else ''}{sql[:160]}")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    return len(statements), len(transactions)


def timed_in_process(function, runs: int) -> float:
    """The median of `runs` calls, in milliseconds."""
    return jury_ranking.timed(function, runs)[0]


# --- The rows that are not HTTP -------------------------------------------------------------------

PGBENCH_CONNECTION = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]


@contextmanager
def pgbench_database() -> Iterator[str]:
    """pgbench's tables (scale 10) in a database of their own, dropped afterwards: its name."""
    name = f"tremplin_bench_pgbench_{RUN}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        subprocess.run(["pgbench", *PGBENCH_CONNECTION, "-i", "-q", "-s", "10", name], check=True, capture_output=True)
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pgbench(database: str, seconds: int) -> float:
    """pgbench's simple update (-b simple-update), 10 clients over 2 threads: tx/s."""
    output = subprocess.run(["pgbench", *PGBENCH_CONNECTION, "-n", "-b", "simple-update", "-c", "10", "-j", "2",
                             "-T", str(seconds), database], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"tps = ([\d.]+)", output).group(1))


def queue_left(broker, queue: str) -> int:
    """Messages of a queue not yet acknowledged (waiting, or held by a worker)."""
    return broker.client.hlen(f"{broker.namespace}:{queue}.msgs")


def procfile_worker_options(name: str) -> list[str]:
    """The options (--processes, --threads) the Procfile gives a dramatiq worker."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            words = line.split(":", 1)[1].split()
            return words[next(index for index, word in enumerate(words) if word.startswith("--")):]
    raise LookupError(f"no {name} in the Procfile")


def noop_rate(count: int) -> float:
    """Messages a second through a worker process running an actor that does nothing."""
    from shared.core.broker import broker
    sys.path.insert(0, str(ROOT / "bench"))
    import noop_actor

    started = time.perf_counter()
    for number in range(count):
        noop_actor.nothing.send(number)
    while queue_left(broker, "bench-noop"):
        time.sleep(0.01)
    return count / (time.perf_counter() - started)


WRITERS = 10  # pgbench's clients, and the outbox's writers
WRITER_PROCESSES = 2  # as pgbench's -j 2, and gunicorn's WEB_CONCURRENCY: WRITERS connections over 2 processes


def _write_events(process: int, count: int, ready, go) -> None:
    """One writer process: WRITERS / WRITER_PROCESSES threads, a connection each, one commit per event."""
    from shared.core.db import Database
    from shared.core.outbox import publish

    threads = WRITERS // WRITER_PROCESSES
    grants = Database(os.environ["GRANTS_DATABASE_URL"], pool_size=threads)

    def write(first: int) -> None:
        with grants.unit_of_work() as session:
            session.execute(text("SELECT 1"))  # connected before the clock starts, as pgbench's clients are
        ready.release()
        go.wait()
        for number in range(first, count, WRITERS):
            with grants.unit_of_work() as session:
                publish(session, "grants", "account.registered", 1, {
                    "account_id": 1_000_000 + number, "service": "grants", "email": f"b{number}@example.org",
                    "name": f"B{number}", "language": "fr", "roles": ["applicant"], "confirm_url": None})

    writers = [threading.Thread(target=write, args=(process * threads + number,)) for number in range(threads)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    grants.dispose()


def outbox_rows(count: int) -> tuple[float, float]:
    """Events written to the grants outbox one commit each by WRITERS writers (events/s); then, from that backlog,
    relayed by the grants relay process and consumed by the notifications worker process (events/s).

    Each figure is measured as its reference is. The writers are WRITERS connections over WRITER_PROCESSES processes,
    as pgbench's 10 clients over its 2 threads and as gunicorn's processes write the outbox in production (10 threads
    of this one process measured its GIL), connected before the clock starts; and they write alone, as pgbench ran:
    the relay process is paused (SIGSTOP) meanwhile, since a relay and a worker busy beside them measured how the
    two cores were shared. The end-to-end clock then starts when the relay is let go (SIGCONT) with the events in the
    outbox, as the no-op actor's clock starts with its messages about to be queued, and stops when the worker has
    recorded the last one."""
    import multiprocessing
    import signal

    from shared.core.consumer import ProcessedEvent
    from shared.core.db import Database

    notifications = Database(os.environ["NOTIFICATIONS_DATABASE_URL"])
    with notifications.unit_of_work() as session:
        before = session.scalar(select(func.count()).select_from(ProcessedEvent))
    relay = PROCESSES["grants-relay"]
    # Forked: a writer inherits the environment and imports; it opens its own connections and touches nothing of ours.
    context = multiprocessing.get_context("fork")
    ready, go = context.Semaphore(0), context.Event()
    writers = [context.Process(target=_write_events, args=(process, count, ready, go))
               for process in range(WRITER_PROCESSES)]
    relay.send_signal(signal.SIGSTOP)
    try:
        for writer in writers:
            writer.start()
        for _ in range(WRITERS):
            ready.acquire()
        started = time.perf_counter()
        go.set()
        for writer in writers:
            writer.join()
        written = time.perf_counter() - started
    finally:
        relay.send_signal(signal.SIGCONT)
    if any(writer.exitcode for writer in writers):
        raise RuntimeError(f"an outbox writer failed: exit codes {[writer.exitcode for writer in writers]}")
    started = time.perf_counter()
    while True:
        with notifications.unit_of_work() as session:
            done = session.scalar(select(func.count()).select_from(ProcessedEvent)) - before
        if done >= count:
            break
        time.sleep(0.02)
    end_to_end = time.perf_counter() - started
    notifications.dispose()
    return count / written, count / end_to_end


def email_pipeline(count: int, per_message: int = 1) -> float:
    """Emails through the notifications worker process: event, delivery row, rendered email, SMTP.
    `per_message` 1: an event a message, as the relay sends events that come one at a time; more:
    the events packed as the relay packs a backlog (shared.core.outbox.event_messages, up to that
    many a message)."""
    from shared.core.broker import broker, enqueue_all
    from shared.core.db import Database
    from shared.core.outbox import event_messages
    from services.notifications.models import Delivery

    db = Database(os.environ["NOTIFICATIONS_DATABASE_URL"])
    settled = select(func.count()).select_from(Delivery).where(Delivery.status.in_(("sent", "failed")))
    with db.unit_of_work() as session:
        before = session.scalar(settled)  # the seeding's emails, and an earlier run's
    envelopes = [password_reset_envelope(number) for number in range(count)]
    messages = event_messages("notifications", envelopes, per_message)
    started = time.perf_counter()
    enqueue_all(broker, messages)
    while True:
        with db.unit_of_work() as session:
            done = session.scalar(settled) - before
        if done >= count:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    db.dispose()
    return count / elapsed


def in_process_reports(ranked_call: int, arguments, ranking_http: dict, report_http: dict) -> list[tuple]:
    """The ranking and the survival tables computed in process beside a plain SELECT of the same rows
    (as bench/jury_ranking.py and bench/survival_report.py time them): rows of the reports' table."""
    from shared.core.db import Database

    db = Database(os.environ["GRANTS_DATABASE_URL"])
    try:
        jury_ranking.ranking(db, ranked_call)  # warm: connections, statement caches, imports (scipy)
        survival_report.from_firms(db)
        return [
            (f"ranking GET /api/manage/calls/<id>/ranking, {arguments.ranked} appl",
             timed_in_process(lambda: jury_ranking.reference(db, ranked_call), 5),
             timed_in_process(lambda: jury_ranking.ranking(db, ranked_call), 5), ranking_http, jury_ranking.GOAL_MS),
            (f"survival GET /api/manage/impact/report, {arguments.firms} firms",
             timed_in_process(lambda: survival_report.select_firms(db), 5),
             timed_in_process(lambda: survival_report.from_firms(db), 5), report_http, survival_report.GOAL_S * 1000),
        ]
    finally:
        db.dispose()


# --- The run --------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the rows beside pgbench, the no-op actor and the smtplib loop")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--emails", type=int, default=500)
    parser.add_argument("--drafts", type=int, default=100)
    parser.add_argument("--backers", type=int, default=300)
    parser.add_argument("--jury-applications", type=int, default=30)
    parser.add_argument("--jurors", type=int, default=10)
    parser.add_argument("--ranked", type=int, default=1000, help="applications of the ranked call (5 reviews each)")
    parser.add_argument("--firms", type=int, default=100_000, help="supported firms of the survival report")
    parser.add_argument("--profile", action="store_true",
                        help="seed, then print one request of each new path's SQL and cProfile, and stop")
    arguments = parser.parse_args()
    logging.disable(logging.INFO)  # the seeding's request log would measure the terminal
    generate_key_file(Path(os.environ["ACCOUNTS_SIGNING_KEY_FILE"]))
    signer = Signer.from_environment()
    (WORK / "jwks.json").write_text(json.dumps(signer.jwks()))
    try:
        with scratch_databases(*SERVICES):
            run(People(signer), arguments)
    finally:
        stop_all()


def run(people: People, arguments) -> None:
    seconds, connections = arguments.seconds, arguments.connections
    drafts = seed_grants(people, arguments.drafts)
    campaign_id = seed_campaign(people)
    pledges = seed_pledges(people, arguments.backers)
    reviews = seed_jury(people, arguments.jury_applications, arguments.jurors)
    ranked_call, manager = seed_reports(people, arguments.ranked, arguments.firms)
    profile = arguments.profile
    draft_body = json.dumps({"summary": "Une tournée de douze dates, version {n}."})
    round_trips = [
        ("a draft save", statements_per_request("grants", "PATCH", (*drafts[0], draft_body), profile)),
        ("a pledge on the limited tier", statements_per_request("crowdfunding", "POST", pledges[1], profile)),
        ("a juror's score", statements_per_request("grants", "PUT", reviews[0], profile)),
        ("the ranking", statements_per_request(
            "grants", "GET", (f"/api/manage/calls/{ranked_call}/ranking", manager), profile)),
        ("the report", statements_per_request("grants", "GET", ("/api/manage/impact/report", manager), profile)),
    ]
    if profile:
        return

    ports = {name: free_port() for name in ("hello", "grants", "crowdfunding", "notifications", "accounts")}
    dramatiq_cli = str(Path(sys.executable).parent / "dramatiq")
    gunicorn("hello", "hello_app:create_app()", ports["hello"], probe="/hello", extra_path=str(ROOT / "bench"))
    gunicorn("grants", "services.grants.app:create_app()", ports["grants"])
    gunicorn("crowdfunding", "services.crowdfunding.app:create_app()", ports["crowdfunding"])
    # Measured for their memory only (no row drives them): the web processes with no hot path here,
    # and (below) the grants and crowdfunding workers, the latter's sweeper running meanwhile.
    gunicorn("notifications", "services.notifications.app:create_app()", ports["notifications"])
    gunicorn("accounts", "services.accounts.app:create_app()", ports["accounts"])
    start("mail", [sys.executable, "-m", "services.notifications.devsmtp", "--host", "127.0.0.1",
                   "--port", os.environ["SMTP_PORT"], "--dir", str(WORK / "mail")])
    start("grants-relay", [sys.executable, "-m", "shared.core.relay", "grants"])
    # Both workers with the Procfile's --processes and --threads, so the reference runs the same worker model.
    worker_options = procfile_worker_options("notifications-worker")
    start("notifications-worker", [dramatiq_cli, "shared.core.broker", "services.notifications.actors", *worker_options])
    for service in ("grants", "crowdfunding"):  # as the Procfile starts them
        start(f"{service}-worker", [dramatiq_cli, "shared.core.broker", f"services.{service}.actors",
                                    "--processes", "1", "--threads", "2"])
    start("noop-worker", [dramatiq_cli, "shared.core.broker", "noop_actor", *worker_options],
          extra_path=str(ROOT / "bench"))
    time.sleep(3)  # the workers and the relay settle (imports, connections) before anything is read

    watched = ["grants", "grants/estimate", "grants/resource tracker", "crowdfunding", "notifications", "accounts",
               "grants-relay", "grants-worker", "notifications-worker", "crowdfunding-worker"]
    memory = Memory(watched)
    memory.read_idle()
    rows = []
    with memory:
        hello = wrk(f"http://127.0.0.1:{ports['hello']}/hello", seconds, connections)
        grants = f"http://127.0.0.1:{ports['grants']}"
        draft = wrk(grants, seconds, connections, rotating_requests("PATCH", drafts, draft_body))
        # The same drafts saved at their leanest, by the reference app (bench/hello_app.py): one UPDATE and nothing else.
        lean = wrk(f"http://127.0.0.1:{ports['hello']}", seconds, connections, rotating_requests(
            "PATCH", [(path.replace("/api/", "/lean/"), token) for path, token in drafts], draft_body))
        calls = wrk(f"{grants}/api/calls", seconds, connections)
        # The same read by a visitor with a cookie other than the language chosen (as a signed-in
        # visitor's session): Flask, the query and the schema answer it, where the row above is
        # replayed from memory (shared/web/public_reads.py). The platform ignores this cookie.
        flask_cookie = 'wrk.headers["Cookie"] = "seen=1"\n'
        calls_read = wrk(f"{grants}/api/calls", seconds, connections, flask_cookie)
        home = wrk(f"{grants}/home", seconds, connections, 'wrk.headers["Accept"] = "text/html"\n')
        page_url = f"http://127.0.0.1:{ports['crowdfunding']}/campaigns/{campaign_id}"
        page = wrk(page_url, seconds, connections, 'wrk.headers["Accept"] = "text/html"\n')
        page_read = wrk(page_url, seconds, connections, 'wrk.headers["Accept"] = "text/html"\n' + flask_cookie)
        rows += [
            (f"draft save PATCH /api/applications/<id>, {connections} connections", "hello world", hello, draft, 0.40),
            ("  the same, leanest: one psycopg UPDATE, nothing else", "hello world", hello, lean, None),
            ("public read GET /api/calls", "hello world", hello, calls, 0.60),
            ("  the same with another cookie, answered by Flask", "hello world", hello, calls_read, None),
            ("the platform's home page GET /home (HTML, replayed)", "hello world", hello, home, None),
            ("campaign page GET /campaigns/<id> (HTML, 100 pledges)", "hello world", hello, page, None),
            ("  the same with another cookie, answered by Flask", "hello world", hello, page_read, None),
        ]
        pledge = wrk(f"http://127.0.0.1:{ports['crowdfunding']}", seconds, connections,
                     rotating_requests("POST", pledges, None))
        score = wrk(grants, seconds, connections, rotating_requests("PUT", reviews, None))
        memory.mark("the hot paths (draft saves, public reads, scores)", PHASED)
        rows += [
            (f"pledge POST /api/campaigns/<id>/pledges, {len(pledges)} backers", "hello world", hello, pledge, None),
            (f"score PUT /api/jury/applications/<id>/review, {len(reviews)} seats", "hello world", hello, score, None),
        ]
        # The reports one request at a time: their goals are a time for one, not a rate. Each web
        # process draws a report first (report_in_every_worker): its first starts the estimate's child,
        # which imports scipy.
        as_manager = f'wrk.headers["Authorization"] = "Bearer {manager}"\nwrk.headers["Accept"] = "application/json"\n'
        ranking_url, report_url = f"{grants}/api/manage/calls/{ranked_call}/ranking", f"{grants}/api/manage/impact/report"
        # The estimate's child starts at a web process's first report: its memory just after it.
        urllib.request.urlopen(urllib.request.Request(report_url, headers={
            "Authorization": f"Bearer {manager}", "Accept": "application/json"}), timeout=60).close()
        memory.mark("one report (the estimate's child started)", PHASED)
        for url in (ranking_url, report_url):
            wrk(url, 1, 2, as_manager)
        # Two connections for a second could both reach one web process: the other's first report,
        # which starts its child (about 1.5 s), was then the slowest of the measured ones.
        report_in_every_worker(report_url, manager)
        ranking_http = wrk(ranking_url, seconds, 1, as_manager)
        memory.mark("the rankings, one at a time", PHASED)
        report_http = wrk(report_url, seconds, 1, as_manager)
        memory.mark("the reports, one at a time", PHASED)
        reports = in_process_reports(ranked_call, arguments, ranking_http, report_http)
        # The rows beside pgbench, the no-op actor and the smtplib loop, in rounds: each figure
        # follows its reference within seconds, so that a change of the host's pace (these
        # machines are shared) moves both; a row's ratio is the median of its rounds'.
        rounds = []
        with pgbench_database() as pgbench_tables:
            for _ in range(arguments.rounds):
                tps = pgbench(pgbench_tables, max(3, seconds // arguments.rounds))
                noop = noop_rate(arguments.events)
                written, consumed = outbox_rows(arguments.events)
                loop = smtp_loop(arguments.emails)
                emails = email_pipeline(arguments.emails)
                emails_backlog = email_pipeline(arguments.emails, EVENTS_PER_MESSAGE)
                rounds.append({"tps": tps, "noop": noop, "written": written, "consumed": consumed, "loop": loop,
                               "emails": emails, "emails_backlog": emails_backlog})

    print(f"Tremplin under load: PostgreSQL, Redis at {os.environ['REDIS_URL']}, gunicorn as shared.web.server "
          f"(WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY', 2)}, WEB_THREADS={os.environ.get('WEB_THREADS', 8)}), "
          f"wrk {connections} connections for {seconds} s, {os.cpu_count()} cores")
    print(f"{'path':<58} {'reference':>22} {'figure':>12} {'ratio':>7} {'goal':>6} {'p99':>9}  not 2xx")
    for name, reference_name, reference, figure, goal in rows:
        ratio = figure["rate"] / reference["rate"]
        print(f"{name:<58} {reference['rate']:>9.0f} req/s {reference_name[:5]:>5} {figure['rate']:>6.0f} req/s "
              f"{ratio:>6.1%} {('≥' + format(goal, '.0%')) if goal else '–':>6} {figure['p99_ms']:>7.1f}ms  "
              f"{figure['non_2xx']}{' ' + figure['socket_errors'] if figure['socket_errors'] else ''}")
    print(f"  (hello world's own p99: {hello['p99_ms']:.1f} ms)")
    print(f"{'report, one request at a time (median)':<58} {'plain SELECT':>12} {'in process':>10} {'HTTP':>10} "
          f"{'ratio':>6} {'goal':>8} {'p99':>9}  not 2xx")
    for name, reference_ms, in_process_ms, http, goal_ms in reports:
        print(f"{name:<58} {reference_ms:>9.1f} ms {in_process_ms:>7.1f} ms {http['p50_ms']:>7.1f} ms "
              f"{http['p50_ms'] / reference_ms:>5.1f}x {'<' + format(goal_ms, '.0f') + ' ms':>8} {http['p99_ms']:>7.1f}ms  "
              f"{http['non_2xx']}{' ' + http['socket_errors'] if http['socket_errors'] else ''}")
    print("  (plain SELECT: the same rows read and nothing more; in process: the use case alone, median of 5; "
          "HTTP: the API, one connection)")
    print("SQL per request, in process (statements / transactions; each transaction adds BEGIN and COMMIT; "
          "the report's survival query, on the driver's own cursor, is not counted): "
          + ", ".join(f"{name} {statements}/{transactions}" for name, (statements, transactions) in round_trips))
    others = [
        ("database: pgbench simple update, 10 clients", "–", "tps", "tx/s", None, None),
        ("outbox events consumed end to end (relay + worker process)", "no-op actor", "noop", "ev/s", "consumed", 0.50),
        (f"outbox writes, one commit each, {WRITERS} writers", "pgbench", "tps", "ev/s", "written", 0.50),
        ("emails delivered to the local SMTP server, an event a message", "smtplib loop", "loop", "msg/s", "emails", 0.50),
        (f"  the same as the relay sends a backlog, {EVENTS_PER_MESSAGE} events a message", "smtplib loop", "loop", "msg/s",
         "emails_backlog", 0.50),
    ]
    print(f"the rows beside pgbench, the no-op actor and the smtplib loop: {len(rounds)} rounds, each figure just after "
          "its reference; the medians, then each round's ratio")
    for name, reference_name, reference_key, unit, figure_key, goal in others:
        reference = statistics.median(each[reference_key] for each in rounds)
        if figure_key is None:
            print(f"{name:<58} {reference:>9.0f} {unit:<5} (reference; rounds: "
                  + ", ".join(f"{each[reference_key]:.0f}" for each in rounds) + ")")
            continue
        figure = statistics.median(each[figure_key] for each in rounds)
        ratios = [each[figure_key] / each[reference_key] for each in rounds]
        print(f"{name:<58} {reference:>9.0f} {unit:<5} {reference_name[:6]:>6} {figure:>6.0f} {unit:<5} "
              f"{statistics.median(ratios):>6.1%} ≥{goal:.0%}  rounds: " + ", ".join(f"{ratio:.1%}" for ratio in ratios))
    after = {name: memory.largest(name) for name in watched}
    print("memory, largest process of each kind (MB RSS): idle / under load / idle after the load (goals: < 120 / < 200)"
          + (f"; MALLOC_ARENA_MAX={os.environ['MALLOC_ARENA_MAX']}" if "MALLOC_ARENA_MAX" in os.environ else ""))
    for name in watched:
        print(f"  {name:<24} {memory.idle[name]:6.1f} / {memory.loaded[name]:6.1f} / {after[name]:6.1f}")
    print("  (grants/estimate: the survival estimate's child of a grants web process, started at its first report; "
          "grants/resource tracker: multiprocessing's, which comes with it)")
    print("  grants' processes after each part of the load, MB RSS: " + ", ".join(PHASED))
    for phase, sizes in memory.phases:
        print(f"    after {phase:<52} " + " ".join(f"{sizes[name]:6.1f}" for name in PHASED))


if __name__ == "__main__":
    main()
