"""Stripe's webhook: `POST /api/stripe/webhook`, signed by Stripe (no bearer token)."""
from __future__ import annotations

import logging

from flask import current_app, request
from flask.views import MethodView
from sqlalchemy.exc import IntegrityError

from services.crowdfunding import webhooks
from services.crowdfunding.payments import InvalidWebhook, PaymentsUnavailable
from shared.core.clock import utcnow
from shared.core.refusal import Refusal
from shared.web.blueprint import Blueprint
from shared.web.service_app import unit_of_work

blp = Blueprint("stripe_webhooks", __name__, url_prefix="/api", description="Stripe's webhooks")
log = logging.getLogger("tremplin.crowdfunding.webhooks")

STRIPE_SIGNATURE = {
    "in": "header", "name": "Stripe-Signature", "required": True, "schema": {"type": "string"},
    "description": "Stripe's signature of the raw body (t=...,v1=...)",
}
EVENT_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"type": "object", "description": "A Stripe event"}}},
}


@blp.route("/stripe/webhook")
class StripeWebhook(MethodView):
    @blp.doc(parameters=[STRIPE_SIGNATURE], requestBody=EVENT_BODY,
             responses={"200": {"description": "Processed, or already processed (a replay changes nothing)"},
                        "400": {"description": "Signature missing, forged or older than 300 s: nothing changed"}})
    def post(self):
        """Stripe tells us what happened: a card saved (`setup_intent.succeeded`), a card refused
        (`setup_intent.setup_failed`). Each event id is processed once."""
        payments = current_app.extensions["payments"]
        try:
            event = payments.read_webhook(request.get_data(cache=True), request.headers.get("Stripe-Signature"))
        except InvalidWebhook as error:
            log.warning("webhook refused", extra={"reason": str(error)})
            raise Refusal(400, "This webhook's signature is missing, forged or too old.") from None
        try:
            with unit_of_work() as session:
                handled = webhooks.handle_event(session, event, utcnow())
        except IntegrityError:
            # The same event delivered twice at once: the other delivery applied it.
            handled = webhooks.Handled("replayed")
        if handled.detach:
            try:
                payments.detach_payment_method(handled.detach)
            except PaymentsUnavailable:
                log.warning("saved card not detached", extra={"payment_method": handled.detach})
        return {"received": True, "event": event.id, "outcome": handled.outcome}
