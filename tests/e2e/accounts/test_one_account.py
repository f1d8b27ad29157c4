"""One person, one account, across the services: signed in once at the accounts service, known to
grants and notifications; signed out once, refused everywhere as soon as `account.updated` has
gone through the real relay, Redis and the services' real workers."""
import dramatiq
from sqlalchemy import select

import services.grants.actors  # noqa: F401  (declares the grants queue, which account.updated reaches)
import services.notifications.actors  # noqa: F401
from shared.accounts.auth import SESSION_COOKIE
from shared.core.outbox import OutboxMessage, Relay
from tests.conftest import wait_until
from tests.pages import post_form

PASSWORD = "une phrase assez longue"


def test_signed_out_once_refused_everywhere(accounts_app, grants_app, notifications_app, broker):
    worker = dramatiq.Worker(broker, worker_timeout=100, worker_threads=2)
    worker.start()
    relay = Relay(accounts_app.extensions["db"], broker)
    try:
        accounts = accounts_app.test_client()
        assert accounts.post("/api/accounts", json={"email": "lina@example.org", "name": "Lina",
                                                    "password": PASSWORD}).status_code == 202
        with accounts_app.extensions["db"].unit_of_work() as session:
            confirm_url = session.scalars(select(OutboxMessage).where(
                OutboxMessage.name == "account.registered")).one().payload["confirm_url"]
        assert accounts.post("/api/accounts/confirm", json={"token": confirm_url.rsplit("/", 1)[1]}).status_code == 200
        relay.relay_batch()

        browser = accounts_app.test_client()
        assert post_form(browser, "/signin", {"email": "lina@example.org", "password": PASSWORD}).status_code == 302
        cookie = browser.get_cookie(SESSION_COOKIE).value
        token = accounts.post("/api/auth/token", json={"email": "lina@example.org", "password": PASSWORD}).get_json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}

        grants_pages = grants_app.test_client()
        grants_pages.set_cookie(SESSION_COOKIE, cookie)
        notifications_api = notifications_app.test_client()
        assert grants_pages.get("/applications").status_code == 200
        assert notifications_api.get("/api/me/messages", headers=bearer).status_code == 200
        # Both services know her from the accounts service's event (or her token, if it came first).
        for app in (grants_app, notifications_app):
            people = app.extensions["people"]
            wait_until(lambda: _known(app, people, "lina@example.org"), message="the copy of Lina")

        assert post_form(browser, "/signout", {}).status_code == 302
        assert relay.relay_batch() >= 1
        wait_until(lambda: grants_pages.get("/applications").status_code == 302, message="grants to refuse the cookie")
        wait_until(lambda: notifications_api.get("/api/me/messages", headers=bearer).status_code == 401,
                   message="notifications to refuse the token")
        # Signing in again works at once, with a session of the new version.
        again = accounts_app.test_client()
        assert post_form(again, "/signin", {"email": "lina@example.org", "password": PASSWORD}).status_code == 302
        grants_pages.set_cookie(SESSION_COOKIE, again.get_cookie(SESSION_COOKIE).value)
        assert grants_pages.get("/applications").status_code == 200
    finally:
        worker.stop()


def _known(app, people, email):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(select(people).where(people.email == email)) is not None
