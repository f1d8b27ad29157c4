"""One path through everything: a grants action, the outbox, Redis, a notifications worker."""
import threading

from sqlalchemy import func, select

from services.notifications.models import Delivery
from shared.core.consumer import ProcessedEvent
from shared.core.outbox import OutboxMessage, Relay
from tests.conftest import wait_until


def _deliveries(app):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(Delivery).order_by(Delivery.id)).all()


def test_sign_up_reaches_the_notifications_worker_with_its_request_id(
    grants_app, grants, notifications_app, notifications_worker, broker
):
    response = grants.post(
        "/api/accounts",
        json={"email": "nora@example.org", "name": "Nora", "password": "a long password", "language": "en"},
    )
    assert response.status_code == 201
    request_id = response.headers["X-Request-ID"]

    assert Relay(grants_app.extensions["db"], broker).relay_batch() == 1
    deliveries = wait_until(lambda: _deliveries(notifications_app), message="the delivery")
    assert len(deliveries) == 1
    delivery = deliveries[0]
    assert (delivery.recipient_email, delivery.language, delivery.kind) == ("nora@example.org", "en", "account_confirmation")
    assert delivery.request_id == request_id
    assert delivery.context["confirm_url"].startswith("http://127.0.0.1:8000/subventions/accounts/confirm/")


def test_event_sent_twice_is_applied_once(grants_app, grants, notifications_app, notifications_worker, broker):
    grants.post("/api/accounts", json={"email": "o@example.org", "name": "O", "password": "a long password"})
    db = grants_app.extensions["db"]
    Relay(db, broker).relay_batch()
    wait_until(lambda: _deliveries(notifications_app), message="the first delivery")
    # A relay that crashed before marking its row sent sends the same event again.
    with db.unit_of_work() as session:
        row = session.scalars(select(OutboxMessage)).one()
        row.sent_at = None
    assert Relay(db, broker).relay_batch() == 1
    wait_until(lambda: broker.client.hlen(f"{broker.namespace}:notifications.msgs") == 0, message="the queue to drain")
    notifications_worker.join()
    with notifications_app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
    assert len(_deliveries(notifications_app)) == 1


def test_relay_thread_delivers_many_events_exactly_once(grants_app, notifications_app, notifications_worker, broker):
    from shared.accounts.models import create_account

    db = grants_app.extensions["db"]
    for number in range(20):
        with db.unit_of_work() as session:
            create_account(session, grants_app.config["SETTINGS"], email=f"p{number}@example.org",
                           name=f"P{number}", password="a long password", roles=["applicant"])
    stop = threading.Event()
    thread = threading.Thread(target=Relay(db, broker, batch_size=7).run, args=(stop,), kwargs={"idle_seconds": 0.05})
    thread.start()
    try:
        wait_until(lambda: len(_deliveries(notifications_app)) == 20, message="20 deliveries")
    finally:
        stop.set()
        thread.join(timeout=5)
    emails = [d.recipient_email for d in _deliveries(notifications_app)]
    assert sorted(emails) == sorted(f"p{n}@example.org" for n in range(20))
