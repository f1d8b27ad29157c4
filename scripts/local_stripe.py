"""localstripe, the local Stripe of `make run` and the tests, as the crowdfunding needs it.

`python scripts/local_stripe.py --port 8420` runs localstripe's own server (PyPI `localstripe`)
with three differences, each so that it behaves more like the real Stripe here:
- its webhook to the crowdfunding service is registered when it starts (url and signing secret
  from the crowdfunding's settings), since it forgets them when it stops;
- confirming a SetupIntent sends `setup_intent.succeeded` (or `setup_intent.setup_failed` when the
  card is declined), as the real Stripe does and localstripe does not;
- its store is kept in the file given by `--store` (under var/ for `make run`), not in the shared
  /tmp/localstripe.pickle that every localstripe on the machine would write; without `--store` it
  keeps nothing on disk (the tests).

Only for this machine: production talks to the real Stripe (docker-compose has no localstripe).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import pickle
import socket
import sys
from pathlib import Path

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.webhooks import register_webhook, schedule_webhook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.crowdfunding.config import stripe_settings, webhook_url  # noqa: E402

# Every event the crowdfunding handles, now (saved cards) and later (charges, refunds).
WEBHOOK_EVENTS = [
    "setup_intent.succeeded", "setup_intent.setup_failed", "payment_intent.succeeded",
    "payment_intent.payment_failed", "payment_intent.requires_action", "charge.refunded",
]


def keep_store_in(path: Path | None) -> None:
    def load(store):
        if path is None or not path.exists():
            return
        with path.open("rb") as handle:
            store.clear()
            store.update(pickle.load(handle))

    def dump(store):
        if path is None:
            return
        temporary = path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            pickle.dump(dict(store), handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


def announce_setup_intents() -> None:
    confirm = resources.SetupIntent._api_confirm.__func__

    def announcing_confirm(cls, id, *args, **kwargs):
        try:
            intent = confirm(cls, id, *args, **kwargs)
        except UserError:
            failed = resources.store.get(f"setup_intent:{id}") if isinstance(id, str) else None
            if failed is not None and failed.status == "canceled":
                schedule_webhook(resources.Event("setup_intent.setup_failed", failed))
            raise
        if intent.status == "succeeded":
            schedule_webhook(resources.Event("setup_intent.succeeded", intent))
        return intent

    resources.SetupIntent._api_confirm = classmethod(announcing_confirm)
    # The routes were bound to the original when localstripe's server module was imported.
    for route in server.app.router.routes():
        if route.method == "POST" and route.resource.canonical == "/v1/setup_intents/{id}/confirm":
            route._handler = server.api_extra(resources.SetupIntent._api_confirm, route.resource.canonical)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--store", type=Path, default=None, help="file keeping localstripe's objects")
    args = parser.parse_args()

    keep_store_in(args.store)
    announce_setup_intents()
    resources.store.try_load_from_disk()
    stripe = stripe_settings()
    register_webhook("crowdfunding", webhook_url(), stripe.webhook_secret, WEBHOOK_EVENTS)

    logging.basicConfig(level=logging.INFO, format="localstripe %(message)s")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    print(f"localstripe on http://{args.host}:{args.port}, webhooks to {webhook_url()}", flush=True)
    web.run_app(server.app, sock=sock, print=None, access_log=logging.getLogger("aiohttp.access"))


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    main()
