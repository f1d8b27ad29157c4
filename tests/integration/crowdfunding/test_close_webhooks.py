"""Stripe's webhooks about charges and refunds, signed as Stripe signs them, around real
PaymentIntents and refunds of localstripe: `payment_intent.succeeded` settles a pledge whose worker
lost Stripe's answer, once whatever the order; a webhook about a pledge the worker already settled
changes nothing; a forged one changes nothing; `charge.refunded` completes a refund once."""
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from services.crowdfunding import closing, refunds, schedule
from services.crowdfunding.config import settings, stripe_settings
from services.crowdfunding.models import Pledge
from services.crowdfunding.models import ChargeAttempt, Refund
from services.crowdfunding.payments import Payments
from shared.core.outbox import OutboxMessage
from shared.core.pacing import Pace
from tests.integration.crowdfunding.campaign_setup import live
from tests.integration.crowdfunding.closing_setup import AUTHENTICATION, attempts, end_now, pledge_row, saved_card_pledge, stripe_client
from tests.integration.crowdfunding.test_webhooks import deliver, event


def _count(app, name):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.name == name))


def _to_charge(app, number="4242424242424242"):
    campaign = live(app, goal_cents=1_000)
    pledge = saved_card_pledge(app, campaign["id"], "bea@example.org", 3_000, number=number)
    end_now(app, campaign["id"])
    schedule.advance(app.extensions["db"].unit_of_work, datetime.now(timezone.utc))
    return campaign, pledge


def _lost_answer(app, pledge_id):
    """What a worker killed after Stripe's answer leaves: an attempt sent, no PaymentIntent id kept."""
    with app.extensions["db"].unit_of_work() as session:
        row = session.get(Pledge, pledge_id)
        attempt = closing.new_attempt(session, row, row.stripe_payment_method_id, off_session=True)
        attempt.status, attempt.requested_at = "requested", datetime.now(timezone.utc)
        metadata, key = closing.attempt_metadata(row, attempt), attempt.idempotency_key
        customer, method = row.stripe_customer_id, row.stripe_payment_method_id
    made = Payments(stripe_settings()).create_payment_intent(
        customer_id=customer, payment_method_id=method, amount_cents=3_000, off_session=True, metadata=metadata,
        idempotency_key=key)
    return made


def _intent(localstripe, intent_id):
    return stripe_client(localstripe).v1.payment_intents.retrieve(intent_id).to_dict()


def test_payment_intent_succeeded_settles_a_lost_answer_once_in_any_order(crowdfunding_app, localstripe):
    client = crowdfunding_app.test_client()
    _campaign, pledge = _to_charge(crowdfunding_app)
    made = _lost_answer(crowdfunding_app, pledge["id"])
    intent = _intent(localstripe, made.id)
    now = int(time.time())
    succeeded = event("payment_intent.succeeded", intent, created=now)
    # An older failure of the same PaymentIntent, delivered late, and a forged success.
    failed = event("payment_intent.payment_failed", {**intent, "status": "requires_payment_method",
                                                      "last_payment_error": {"code": "card_declined"}}, created=now - 30)
    assert deliver(client, succeeded, secret="whsec_forger").status_code == 400
    assert pledge_row(crowdfunding_app, pledge["id"]).payment_status == "to_charge"

    first = deliver(client, succeeded).get_json()
    assert first["outcome"] == f"pledge {pledge['id']}: paid"
    assert deliver(client, succeeded).get_json()["outcome"] == "replayed"
    late = deliver(client, failed).get_json()
    assert late["outcome"] == f"pledge {pledge['id']}: already_paid"
    row = pledge_row(crowdfunding_app, pledge["id"])
    assert (row.payment_status, row.paid_cents) == ("paid", 3_000)
    [attempt] = attempts(crowdfunding_app, pledge["id"])
    assert (attempt.status, attempt.payment_intent_id) == ("succeeded", made.id)
    assert _count(crowdfunding_app, "pledge.charged") == 1
    # The worker's message, arriving after, charges nothing.
    pace = Pace.from_settings(settings(), "stripe-tests", 50)
    charged = closing.charge_pledge(crowdfunding_app.extensions["db"], Payments(stripe_settings()), pace, pledge["id"],
                                    datetime.now(timezone.utc))
    assert charged.outcome == "not_to_charge"


def test_a_webhook_about_a_pledge_the_worker_settled_changes_nothing(crowdfunding_app, localstripe):
    client = crowdfunding_app.test_client()
    _campaign, pledge = _to_charge(crowdfunding_app, number=AUTHENTICATION)
    pace = Pace.from_settings(settings(), "stripe-tests", 50)
    charged = closing.charge_pledge(crowdfunding_app.extensions["db"], Payments(stripe_settings()), pace, pledge["id"],
                                    datetime.now(timezone.utc))
    assert charged.outcome == "action_needed"
    [attempt] = attempts(crowdfunding_app, pledge["id"])
    intent = _intent(localstripe, attempt.payment_intent_id)
    answer = deliver(client, event("payment_intent.requires_action", intent)).get_json()
    assert answer["outcome"] == f"pledge {pledge['id']}: action_needed_again"
    assert _count(crowdfunding_app, "pledge.action_needed") == 1
    row = pledge_row(crowdfunding_app, pledge["id"])
    assert (row.payment_status, row.reminders_sent) == ("action_needed", 0)
    # A PaymentIntent that is none of ours.
    stranger = {**intent, "id": "pi_stranger", "metadata": {"attempt_key": "someone-else"}}
    assert deliver(client, event("payment_intent.succeeded", stranger)).get_json()["outcome"] == "not ours"
    assert pledge_row(crowdfunding_app, pledge["id"]).payment_status == "action_needed"


def test_charge_refunded_completes_a_refund_once(crowdfunding_app, localstripe):
    client = crowdfunding_app.test_client()
    campaign, pledge = _to_charge(crowdfunding_app)
    db = crowdfunding_app.extensions["db"]
    pace = Pace.from_settings(settings(), "stripe-tests", 50)
    assert closing.charge_pledge(db, Payments(stripe_settings()), pace, pledge["id"],
                                 datetime.now(timezone.utc)).outcome == "paid"
    # A refund approved and sent, its answer lost.
    with db.unit_of_work() as session:
        manager_id = session.scalar(select(Refund.requested_by).limit(1))
        from services.crowdfunding.models import Account

        manager_id = session.scalar(select(Account.id).where(Account.email == "manon@example.org"))
        refund = refunds.refund_pledge(session, manager_id, pledge["id"], 1_000, "Rayure sur le disque",
                                       datetime.now(timezone.utc))
        refund.sent_at = datetime.now(timezone.utc)
        refund_id, key = refund.id, refund.idempotency_key
    [attempt] = attempts(crowdfunding_app, pledge["id"])
    made = Payments(stripe_settings()).create_refund(payment_intent_id=attempt.payment_intent_id, amount_cents=1_000,
                                                      metadata={"refund_key": key}, idempotency_key=key)
    charge = stripe_client(localstripe).v1.charges.retrieve(attempt.charge_id).to_dict()
    payload = event("charge.refunded", {**charge, "refunds": {"object": "list", "data": [made.__dict__ | {
        "object": "refund", "charge": attempt.charge_id, "payment_intent": attempt.payment_intent_id,
        "metadata": {"refund_key": key}}]}})
    first = deliver(client, payload).get_json()
    assert first["outcome"] == f"refund {refund_id}: succeeded"
    assert deliver(client, payload).get_json()["outcome"] == "replayed"
    again = deliver(client, event("charge.refunded", charge | {"refunds": {"data": [made.__dict__ | {
        "metadata": {"refund_key": key}}]}})).get_json()
    assert again["outcome"] == f"refund {refund_id}: already_succeeded"
    row = pledge_row(crowdfunding_app, pledge["id"])
    assert row.refunded_cents == 1_000
    assert _count(crowdfunding_app, "pledge.refunded") == 1
    # The worker's send, resumed afterwards, finds it done and sends nothing.
    assert refunds.send_refund(db, Payments(stripe_settings()), pace, refund_id, datetime.now(timezone.utc)) == "succeeded"
    listed = stripe_client(localstripe).v1.refunds.list(params={"payment_intent": attempt.payment_intent_id}).data
    assert len(listed) == 1


def test_a_webhook_waits_for_the_worker_holding_the_pledges_lock(crowdfunding_app, localstripe):
    """The worker holds the pledge's advisory lock from its first read to its last write: a webhook
    about the same PaymentIntent waits for it (seen waiting in pg_locks), then finds it settled."""
    import threading

    from tests.conftest import wait_until

    db = crowdfunding_app.extensions["db"]
    _campaign, pledge = _to_charge(crowdfunding_app)
    made = _lost_answer(crowdfunding_app, pledge["id"])
    payload = event("payment_intent.succeeded", _intent(localstripe, made.id))
    answers = {}
    release = threading.Event()

    def worker():
        with closing.pledge_lock(db.engine, pledge["id"]):
            release.wait(30)
            with db.unit_of_work() as session:
                attempt = session.scalar(select(ChargeAttempt).where(ChargeAttempt.pledge_id == pledge["id"]))
                answers["worker"] = closing.settle_attempt(session, attempt, made, datetime.now(timezone.utc)).outcome

    def webhook():
        answers["webhook"] = deliver(crowdfunding_app.test_client(), payload).get_json()["outcome"]

    holder = threading.Thread(target=worker)
    holder.start()
    wait_until(lambda: _advisory_holders(db) == 1, timeout=10, message="the worker's lock")
    waiter = threading.Thread(target=webhook)
    waiter.start()
    wait_until(lambda: _advisory_waiters(db) == 1, timeout=10, message="the webhook waiting for the lock")
    assert "webhook" not in answers
    release.set()
    holder.join(30)
    waiter.join(30)
    assert answers == {"worker": "paid", "webhook": f"pledge {pledge['id']}: already_paid"}
    assert _count(crowdfunding_app, "pledge.charged") == 1


def _advisory(db, granted: bool) -> int:
    from sqlalchemy import text

    with db.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :k AND granted = :g"
        ), {"k": closing.PLEDGE_LOCK_CLASS, "g": granted}).scalar()


def _advisory_holders(db) -> int:
    return _advisory(db, True)


def _advisory_waiters(db) -> int:
    return _advisory(db, False)
