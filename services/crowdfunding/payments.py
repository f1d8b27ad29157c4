"""The one adapter between the crowdfunding and Stripe (the official `stripe` package).

Use cases are handed a `Payments` and never import `stripe` themselves. It talks to the real
Stripe in production and to localstripe under `make run` and in the tests (see config.py).

Every call that creates something carries an idempotency key derived from our own records (the
pledge's id and reference, the backer's account id), so that a retried request gets the first
result back from the real Stripe. localstripe ignores those keys: our records are what prevents
a second object from being used (an id is kept as soon as Stripe gives it, and read back on a
retry instead of creating another).

Stripe's answers come back as small frozen views, so that nothing outside this module depends
on the `stripe` package's objects.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import stripe

from services.crowdfunding.config import WEBHOOK_TOLERANCE_SECONDS, StripeSettings

log = logging.getLogger("tremplin.crowdfunding.payments")

# Seconds Stripe may take to answer one request; the web thread waiting for it is a person's page.
TIMEOUT_SECONDS = 15
# The package retries network failures itself, with the same idempotency key.
NETWORK_RETRIES = 2


class PaymentsUnavailable(Exception):
    """Stripe did not answer, or refused our request for a reason that is ours (keys, parameters)."""


class CardRefused(Exception):
    """The card was refused (declined, expired...): the backer may try another one."""

    def __init__(self, code: str | None, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidWebhook(Exception):
    """A webhook whose signature is missing, forged or too old, or whose body is not an event."""


@dataclass(frozen=True)
class SetupIntent:
    id: str
    status: str  # requires_payment_method, requires_action, processing, succeeded, canceled...
    client_secret: str | None
    customer: str | None
    payment_method: str | None
    metadata: dict = field(default_factory=dict)
    last_error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @classmethod
    def of(cls, data: Any) -> "SetupIntent":
        """From a Stripe object or the plain dict of a webhook's `data.object`."""
        data = _plain(data)
        error = _get(data, "last_setup_error")
        payment_method = _get(data, "payment_method")
        if isinstance(payment_method, dict):  # expanded
            payment_method = payment_method.get("id")
        return cls(
            id=_get(data, "id"),
            status=_get(data, "status"),
            client_secret=_get(data, "client_secret"),
            customer=_get(data, "customer"),
            payment_method=payment_method,
            metadata=dict(_get(data, "metadata") or {}),
            last_error=_get(error, "message") if error else None,
        )


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str  # succeeded, requires_action, requires_payment_method, processing, canceled...
    amount: int
    client_secret: str | None
    customer: str | None
    payment_method: str | None
    charge_id: str | None
    fee_cents: int | None  # Stripe's fee, from the charge's balance transaction; None: not reported
    metadata: dict = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def of(cls, data: Any) -> "PaymentIntent":
        data = _plain(data)
        charge = _get(data, "latest_charge")
        charge_id = charge.get("id") if isinstance(charge, dict) else charge
        error = _get(data, "last_payment_error")
        payment_method = _get(data, "payment_method")
        if isinstance(payment_method, dict):
            payment_method = payment_method.get("id")
        return cls(
            id=_get(data, "id"), status=_get(data, "status"), amount=int(_get(data, "amount") or 0),
            client_secret=_get(data, "client_secret"), customer=_get(data, "customer"),
            payment_method=payment_method, charge_id=charge_id,
            fee_cents=_reported_fee(_get(charge, "balance_transaction") if isinstance(charge, dict) else None),
            metadata=dict(_get(data, "metadata") or {}),
            error_code=_get(error, "code") if error else None,
            error_message=_get(error, "message") if error else None,
        )


def _reported_fee(transaction) -> int | None:
    """Stripe's fee on a charge, as its balance transaction reports it. A card charge in euros always
    has its fee broken down (`fee_details`); a transaction with no breakdown and no fee reports none
    (localstripe's, whose fee is always 0): None, so that a statement says "not reported" rather
    than a fee of 0 that nobody computed."""
    if not isinstance(transaction, dict):
        return None
    fee = transaction.get("fee")
    if fee is None or (not transaction.get("fee_details") and not fee):
        return None
    return int(fee)


@dataclass(frozen=True)
class StripeRefund:
    id: str
    status: str  # succeeded, pending, failed, canceled
    amount: int
    charge_id: str | None
    payment_intent_id: str | None
    metadata: dict = field(default_factory=dict)

    @classmethod
    def of(cls, data: Any) -> "StripeRefund":
        data = _plain(data)
        return cls(id=_get(data, "id"), status=_get(data, "status"), amount=int(_get(data, "amount") or 0),
                   charge_id=_get(data, "charge"), payment_intent_id=_get(data, "payment_intent"),
                   metadata=dict(_get(data, "metadata") or {}))


class ChargeRefused(Exception):
    """The bank refused an off-session charge: `authentication_required` (the backer completes 3-D
    Secure on-session) or a decline (`card_declined`, `insufficient_funds`, `expired_card`...).
    `intent` is the PaymentIntent when Stripe sent it with the error."""

    def __init__(self, code: str | None, message: str, intent: "PaymentIntent | None"):
        super().__init__(message)
        self.code = code or "card_declined"
        self.message = message
        self.intent = intent


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    created: datetime
    object: dict


def _plain(data: Any) -> dict:
    """A Stripe object as the plain dict it was sent as (a webhook's object is one already)."""
    return data.to_dict() if hasattr(data, "to_dict") else dict(data or {})


def _get(data: dict | None, key: str):
    return data.get(key) if isinstance(data, dict) else None


class Payments:
    """Stripe, as the crowdfunding uses it: customers, saved cards (SetupIntents), webhooks."""

    def __init__(self, settings: StripeSettings):
        self.settings = settings
        self._client = stripe.StripeClient(
            settings.secret_key,
            base_addresses={"api": settings.api_base},
            max_network_retries=NETWORK_RETRIES,
            http_client=stripe.new_default_http_client(timeout=TIMEOUT_SECONDS),
        )

    @property
    def publishable_key(self) -> str:
        return self.settings.publishable_key

    @property
    def js_url(self) -> str:
        return self.settings.js_url

    # --- Customers and saved cards ---------------------------------------------------------------

    def create_customer(self, *, account_id: int, email: str, name: str, idempotency_key: str) -> str:
        customer = self._call(
            self._client.v1.customers.create,
            params={"email": email, "name": name, "metadata": {"account_id": str(account_id)}},
            options={"idempotency_key": idempotency_key},
        )
        return customer.id

    def create_setup_intent(
        self, *, customer_id: str, pledge_id: int, reference: str, campaign_id: int, idempotency_key: str
    ) -> SetupIntent:
        """A SetupIntent to save a card for charging later, without the backer (usage=off_session)."""
        intent = self._call(
            self._client.v1.setup_intents.create,
            params={
                "customer": customer_id,
                "usage": "off_session",
                "payment_method_types": ["card"],
                # So that a webhook names our pledge even before we kept the SetupIntent's id.
                "metadata": {"pledge_id": str(pledge_id), "reference": reference, "campaign_id": str(campaign_id)},
            },
            options={"idempotency_key": idempotency_key},
        )
        return SetupIntent.of(intent)

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntent:
        return SetupIntent.of(self._call(self._client.v1.setup_intents.retrieve, setup_intent_id))

    def card_last4(self, payment_method_id: str) -> str | None:
        method = _plain(self._call(self._client.v1.payment_methods.retrieve, payment_method_id))
        return _get(_get(method, "card"), "last4")

    def detach_payment_method(self, payment_method_id: str) -> None:
        """Forget a saved card at Stripe; one already detached or unknown is as good as detached."""
        try:
            self._client.v1.payment_methods.detach(payment_method_id)
        except stripe.InvalidRequestError as error:
            log.info("payment method already detached", extra={"payment_method": payment_method_id,
                                                                "error": str(error)})
        except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError, stripe.AuthenticationError) as error:
            raise PaymentsUnavailable(str(error)) from error

    # --- Charges and refunds ---------------------------------------------------------------------

    def create_payment_intent(self, *, customer_id: str, payment_method_id: str, amount_cents: int,
                              off_session: bool, metadata: dict, idempotency_key: str) -> PaymentIntent:
        """Charge a saved card now: one PaymentIntent, confirmed at once (`off_session=true` by the
        worker at the close; on-session from the recovery page). A refusal by the bank is
        `ChargeRefused`, with the PaymentIntent when Stripe gave it."""
        params = {
            "customer": customer_id, "payment_method": payment_method_id, "amount": amount_cents,
            "currency": "eur", "confirm": True, "metadata": metadata,
            "expand": ["latest_charge.balance_transaction"],
        }
        if off_session:
            params["off_session"] = True
        try:
            intent = self._client.v1.payment_intents.create(params=params,
                                                            options={"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            raise ChargeRefused(error.code, error.user_message or str(error), self._intent_of_error(error)) from error
        except stripe.StripeError as error:
            log.warning("Stripe refused or did not answer", extra={"error": f"{type(error).__name__}: {error}"})
            raise PaymentsUnavailable(str(error)) from error
        return PaymentIntent.of(intent)

    def _intent_of_error(self, error) -> PaymentIntent | None:
        body = error.json_body if isinstance(getattr(error, "json_body", None), dict) else {}
        intent = (body.get("error") or {}).get("payment_intent")
        if isinstance(intent, dict) and intent.get("id"):
            return PaymentIntent.of(intent)
        return None

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        """Cancel a PaymentIntent still waiting for the backer (3-D Secure, another card): Stripe
        then refuses to confirm it. One no longer waiting (paid, or cancelled already), which Stripe
        refuses to cancel, is read back as it is."""
        try:
            return PaymentIntent.of(self._client.v1.payment_intents.cancel(payment_intent_id))
        except stripe.InvalidRequestError as error:
            log.info("payment intent not cancelled", extra={"payment_intent": payment_intent_id, "error": str(error)})
            return self.retrieve_payment_intent(payment_intent_id)
        except stripe.StripeError as error:
            log.warning("Stripe refused or did not answer", extra={"error": f"{type(error).__name__}: {error}"})
            raise PaymentsUnavailable(str(error)) from error

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        return PaymentIntent.of(self._call(self._client.v1.payment_intents.retrieve, payment_intent_id,
                                           params={"expand": ["latest_charge.balance_transaction"]}))

    def find_payment_intent(self, customer_id: str, attempt_key: str) -> PaymentIntent | None:
        """The PaymentIntent made for an attempt whose answer was lost (the worker died between
        Stripe's answer and our commit), by the attempt's key in its metadata. The real Stripe
        would give the first answer back for the same idempotency key anyway; localstripe would
        make a second PaymentIntent, so we look first. localstripe lists without filters."""
        params = {"limit": 100} if self.settings.local else {"limit": 100, "customer": customer_id}
        page = self._call(self._client.v1.payment_intents.list, params=params)
        while True:
            for intent in page.data:
                if (_plain(intent).get("metadata") or {}).get("attempt_key") == attempt_key:
                    return self.retrieve_payment_intent(intent.id)
            if not page.has_more or not page.data:
                return None
            page = self._call(self._client.v1.payment_intents.list,
                              params={**params, "starting_after": page.data[-1].id})

    def create_refund(self, *, payment_intent_id: str, amount_cents: int, metadata: dict,
                      idempotency_key: str) -> StripeRefund:
        """Refund part or all of a charge. The reason is ours (metadata): Stripe's own `reason`
        takes three fixed words only."""
        return StripeRefund.of(self._call(
            self._client.v1.refunds.create,
            params={"payment_intent": payment_intent_id, "amount": amount_cents, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        ))

    def find_refund(self, payment_intent_id: str, refund_key: str) -> StripeRefund | None:
        """A refund whose answer was lost, by its key in its metadata (see find_payment_intent)."""
        page = self._call(self._client.v1.refunds.list, params={"payment_intent": payment_intent_id, "limit": 100})
        for refund in page.data:
            if (_plain(refund).get("metadata") or {}).get("refund_key") == refund_key:
                return StripeRefund.of(refund)
        return None

    # --- Webhooks ----------------------------------------------------------------------------------

    def read_webhook(self, payload: bytes, signature: str | None) -> WebhookEvent:
        """The event of a webhook, its signature checked on the raw body (at most 300 s old)."""
        if not signature:
            raise InvalidWebhook("no Stripe-Signature header")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, self.settings.webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook(f"signature: {error}") from None
        except ValueError as error:  # the body is not JSON
            raise InvalidWebhook(f"body: {error}") from None
        try:
            data = _plain(event)
            return WebhookEvent(
                id=str(data["id"]), type=str(data["type"]),
                created=datetime.fromtimestamp(int(data["created"]), timezone.utc),
                object=dict(data["data"]["object"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidWebhook(f"not an event: {error}") from None

    # --- Errors --------------------------------------------------------------------------------------

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except stripe.CardError as error:
            raise CardRefused(error.code, error.user_message or str(error)) from error
        except stripe.StripeError as error:
            # Connection failures, Stripe's own errors, and ours (a bad key, a bad parameter) alike:
            # the backer can do nothing about them but try again later; the log says which.
            log.warning("Stripe refused or did not answer", extra={"error": f"{type(error).__name__}: {error}"})
            raise PaymentsUnavailable(str(error)) from error
