"""The notifications worker's models (`--processes` × `--threads`) compared on the email pipeline,
in interleaved rounds beside the smtplib loop.

Each model is a real worker process group (`dramatiq shared.core.broker
services.notifications.actors --processes P --threads T`, as the Procfile starts it) with a Redis
namespace of its own, all started at once and all paused (SIGSTOP) but the one being measured. A
round sends a plain smtplib loop's emails to the mail server (the reference), then, for each model
in turn, as many `account.password_reset_requested` events, one a message, and times them until
the last email is recorded sent; the models' order is swapped every round. These machines are
shared and their pace changes within a minute, so the script prints each round's figures (and
their ratios to that round's loop), how many rounds each model was the fastest of, and each
model's emails a second summed over the rounds.

The mail server is the project's devsmtp, in its own process as under `make run`; the database is
PostgreSQL, a scratch database dropped at the end (bench/scratch.py).

    .venv/bin/python bench/worker_models.py [--models 2x4,2x8] [--rounds 8] [--emails 800]
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scratch import RUN, free_port, password_reset_envelope, scratch_databases, smtp_loop, use_scratch_databases  # noqa: E402  (sets the environment first)

use_scratch_databases("notifications")
os.environ["LOG_JSON"] = "1"

from notifications_delivery import start_devsmtp  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from shared.core.outbox import event_messages  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DRAMATIQ = str(Path(sys.executable).parent / "dramatiq")


class Model:
    """One worker model: its process group, paused unless measured, on a namespace of its own."""

    def __init__(self, name: str):
        self.name = name
        processes, threads = (int(part) for part in name.split("x"))
        self.namespace = f"tremplin-bench-{RUN}-{name}"
        from shared.core.broker import build_broker

        self.broker = build_broker(os.environ["REDIS_URL"], self.namespace)
        self.process = subprocess.Popen(
            [DRAMATIQ, "shared.core.broker", "services.notifications.actors",
             "--processes", str(processes), "--threads", str(threads)],
            cwd=ROOT, env={**os.environ, "DRAMATIQ_NAMESPACE": self.namespace},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.rates: list[float] = []

    def signal(self, number: int) -> None:
        os.killpg(self.process.pid, number)

    def left(self) -> int:
        """Messages queued or held by a worker, not yet acknowledged."""
        return self.broker.client.hlen(f"{self.namespace}:notifications.msgs")

    def stop(self) -> None:
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
        keys = list(self.broker.client.scan_iter(f"{self.namespace}*"))
        if keys:
            self.broker.client.delete(*keys)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="2x4,2x8", help="processes x threads, comma-separated")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--emails", type=int, default=800, help="emails a round, for the loop and for each model")
    arguments = parser.parse_args()
    with scratch_databases("notifications"), tempfile.TemporaryDirectory() as mail:
        run(arguments.models.split(","), arguments.rounds, arguments.emails, Path(mail))


def run(names: list[str], rounds: int, count: int, mail: Path) -> None:
    port = free_port()
    os.environ["SMTP_HOST"], os.environ["SMTP_PORT"] = "127.0.0.1", str(port)
    server = start_devsmtp(port, mail)
    from shared.core.broker import enqueue_all
    from shared.core.db import Database
    from services.notifications.models import Delivery

    db = Database(os.environ["NOTIFICATIONS_DATABASE_URL"])
    sent = select(func.count()).select_from(Delivery).where(Delivery.status.in_(("sent", "failed")))
    models = [Model(name) for name in names]
    try:
        time.sleep(4)  # the workers import and connect
        for model in models:
            model.signal(signal.SIGSTOP)
        print(f"the notifications worker's models, {rounds} rounds of {count} emails, an event a message "
              f"(PostgreSQL, Redis at {os.environ['REDIS_URL']}, devsmtp on 127.0.0.1:{port}, {os.cpu_count()} cores)")
        print(f"{'round':<6} {'smtplib loop':>13}  " + "  ".join(f"{name:>16}" for name in names))
        first = 0
        for number in range(rounds):
            loop = smtp_loop(count)
            for path in mail.glob("*.eml"):  # the mail server's directory stays small
                path.unlink()
            order = models if number % 2 == 0 else models[::-1]
            for model in order:
                model.signal(signal.SIGCONT)
                time.sleep(1)  # its consumers look at their queue again
                with db.unit_of_work() as session:
                    before = session.scalar(sent)
                started = time.perf_counter()
                enqueue_all(model.broker, event_messages("notifications", [password_reset_envelope(number) for number in range(first, first + count)], 1))
                first += count
                while True:
                    with db.unit_of_work() as session:
                        if session.scalar(sent) - before >= count:
                            break
                    time.sleep(0.01)
                model.rates.append(count / (time.perf_counter() - started))
                while model.left():  # every message acknowledged before it is paused
                    time.sleep(0.01)
                model.signal(signal.SIGSTOP)
            print(f"{number + 1:<6} {loop:>9.0f} /s   " + "  ".join(
                f"{model.rates[-1]:>5.0f} /s {model.rates[-1] / loop:>6.1%}" for model in models))
        print("fastest in (rounds): " + ", ".join(
            f"{model.name} {sum(model.rates[r] == max(m.rates[r] for m in models) for r in range(rounds))}"
            for model in models))
        print("emails a second summed over the rounds: " + ", ".join(
            f"{model.name} {sum(model.rates):.0f}" for model in models))
    finally:
        for model in models:
            model.stop()
        db.dispose()
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
