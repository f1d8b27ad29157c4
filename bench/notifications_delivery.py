"""How many emails a second the notifications pipeline hands to the local SMTP server.

Each message goes the whole way: an `account.password_reset_requested` event on Redis, the
`notifications.on_event` actor recording its delivery (idempotently, in PostgreSQL), the
`notifications.deliver` actor rendering the French/English email and sending it by SMTP
(each worker thread keeping its connection open, as in production) to the project's own devsmtp server, run as
its own process as under `make run`, which writes it to disk. Creates its own PostgreSQL database (dropped at the end), a private Redis
namespace and a temporary mail directory.

With `--fan-out N`, the events are instead `campaign.news_posted`, each to N backers (half in
French, half in English): the path of a campaign's news, where an event's first
DELIVERY_INLINE_PER_MESSAGE emails are sent by its own message and the others by `deliver`
messages, and the words are rendered once per language (services/notifications/rendering.py).
With `--per-message N`, the events are packed as the relay packs a backlog: up to N a message to
`notifications.on_events` (shared.core.outbox.event_messages), where each message sends at least
an email per event itself. A plain smtplib loop over one open connection to the same server is
the reference, run first.

    .venv/bin/python bench/notifications_delivery.py [--events 1000] [--threads 8] [--fan-out 0] [--per-message 1]
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scratch import free_port, password_reset_envelope, scratch_databases, smtp_loop, use_scratch_databases  # noqa: E402  (sets the environment first)

use_scratch_databases("notifications")
os.environ["LOG_JSON"] = "1"

import logging  # noqa: E402

import dramatiq  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from shared.core.broker import broker, enqueue_all  # noqa: E402
from shared.core.events import new_event_id, utcnow  # noqa: E402
from shared.core.outbox import event_messages  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--per-message", type=int, default=1,
                        help="events a message, packed as the relay packs a backlog (1: each on its own on_event message)")
    parser.add_argument("--fan-out", type=int, default=0, help="backers per campaign.news_posted event (0: one email per event)")
    arguments = parser.parse_args()

    with scratch_databases("notifications"), tempfile.TemporaryDirectory() as mail:
        run(arguments.events, arguments.threads, Path(mail), arguments.fan_out, arguments.per_message)


def start_devsmtp(port: int, mail: Path) -> subprocess.Popen:
    """The local mail server of `make run`, in its own process as there."""
    server = subprocess.Popen(
        [sys.executable, "-m", "services.notifications.devsmtp", "--port", str(port), "--dir", str(mail)],
        cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("devsmtp did not start")


def run(events: int, threads: int, mail: Path, fan_out: int = 0, per_message: int = 1) -> None:
    port = free_port()
    os.environ["SMTP_HOST"], os.environ["SMTP_PORT"] = "127.0.0.1", str(port)
    server = start_devsmtp(port, mail)
    logging.getLogger().setLevel(logging.WARNING)  # a log line per message would measure the terminal

    import services.notifications.actors as actors
    from services.notifications.models import Delivery

    count = events * fan_out if fan_out else events
    reference = smtp_loop(count)
    for path in mail.glob("*.eml"):
        path.unlink()
    envelopes = []
    for number in range(events):
        if fan_out:
            envelopes.append({
                "id": new_event_id(), "name": "campaign.news_posted", "version": 1,
                "producer": "crowdfunding", "occurred_at": utcnow().isoformat(), "request_id": None,
                "payload": {
                    "news_id": number, "campaign_id": number, "campaign_title": f"Un disque n°{number}",
                    "campaign_title_en": f"A record no. {number}", "campaign_url": f"http://127.0.0.1:8002/campaigns/{number}",
                    "text": "Le mixage est fini : merci à toutes et à tous !\nLes disques partent la semaine prochaine.",
                    "posted_at": utcnow().isoformat(),
                    "recipients": [{"email": f"b{number}.{backer}@example.org", "name": f"B{backer}",
                                    "language": "fr" if backer % 2 else "en"} for backer in range(fan_out)],
                },
            })
            continue
        envelopes.append(password_reset_envelope(number))
    enqueue_all(broker, event_messages("notifications", envelopes, per_message))

    db = actors.database()
    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=threads)
    started = time.perf_counter()
    worker.start()
    try:
        while True:
            with db.unit_of_work() as session:
                sent = session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "sent"))
                failed = session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "failed"))
            if sent + failed >= count:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        worker.stop()
        server.terminate()
        server.wait(timeout=10)

    stored = len(list(mail.glob("*.eml")))
    shape = f"{events} campaign news to {fan_out} backers each" if fan_out else f"{events} events, an email each"
    shape += f", {per_message} events a message (as the relay packs a backlog)" if per_message > 1 else ", an event a message"
    print(f"{shape} (PostgreSQL, Redis at {os.environ['REDIS_URL']}, devsmtp on 127.0.0.1:{port})")
    print(f"emails sent: {sent}, failed: {failed}, stored by devsmtp: {stored}")
    print(f"reference: a plain smtplib loop over one connection:        {reference:8.0f} messages/s")
    print(f"event -> delivery rows -> rendered emails -> SMTP, {threads} worker threads: {sent / elapsed:8.0f} messages/s"
          f"  ({sent / elapsed / reference:.1%} of the reference)")


if __name__ == "__main__":
    main()
