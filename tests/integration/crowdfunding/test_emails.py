"""The crowdfunding's events become emails through the real pipeline: the crowdfunding outbox's
relay, Redis, a real dramatiq worker running the notifications and crowdfunding actors, and a
real SMTP server. Each person reads theirs in their own language; a cancelled card pledge's card
is detached at localstripe by the crowdfunding worker."""

import pytest
from sqlalchemy import select

import services.crowdfunding.actors  # noqa: F401  (its queue is consumed by the worker below)
from services.crowdfunding.models import Pledge
from services.notifications.models import Delivery
from shared.core.outbox import Relay
from tests.conftest import wait_until
from tests.integration.crowdfunding.campaign_setup import backer, live
from tests.stripe_js import confirm_card_setup


def _deliveries(app):
    with app.extensions["db"].unit_of_work() as session:
        return session.scalars(select(Delivery).order_by(Delivery.id)).all()


def _all_sent(app, count):
    rows = _deliveries(app)
    return len(rows) == count and all(row.status == "sent" for row in rows) and rows


@pytest.fixture
def relay_all(crowdfunding_app, broker):
    relay = Relay(crowdfunding_app.extensions["db"], broker)
    return lambda: relay.relay_batch()


def _mail(inbox, to, subject_part):
    found = [m for m in inbox.messages if to in m["To"] and subject_part in " ".join(m["Subject"].split())]
    assert len(found) == 1, [(m["To"], m["Subject"]) for m in inbox.messages]
    # Lines joined, and the narrow spaces French puts in amounts read as spaces.
    return " ".join(found[0].get_body(("plain",)).get_content().split())


def test_owners_backers_and_moderators_read_their_emails_in_their_language(
        crowdfunding_app, notifications_app, notifications_worker, inbox, relay_all):
    # The owner writes in French, the fund manager reads in English.
    campaign = live(crowdfunding_app, manager_language="en")
    client = crowdfunding_app.test_client()
    _nora, nora_headers = backer(crowdfunding_app, "nora@example.org", "Nora Smith", "en")
    _bea, bea_headers = backer(crowdfunding_app, "bea@example.org", "Béa Durand", "fr")

    # Nora pledges by card: the receipt in English, nothing charged before the close.
    card = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=nora_headers,
                       json={"amount_cents": 2_500, "tier_id": campaign["tier_ids"][0], "method": "card"}).get_json()
    setup = client.post(f"/api/pledges/{card['id']}/card", headers=nora_headers).get_json()
    assert confirm_card_setup(setup)["status"] == "succeeded"
    assert client.post(f"/api/pledges/{card['id']}/confirm", headers=nora_headers).get_json()["outcome"] == "confirmed"
    # Béa pledges by transfer; the fund manager marks it received; she changes it.
    transfer = client.post(f"/api/campaigns/{campaign['id']}/pledges", headers=bea_headers,
                           json={"amount_cents": 5_000, "method": "transfer"}).get_json()
    assert client.post(f"/api/manage/pledges/{transfer['id']}/transfer-received",
                       headers=campaign["manager_headers"]).status_code == 200
    assert client.patch(f"/api/pledges/{transfer['id']}", json={"amount_cents": 6_000},
                        headers=bea_headers).status_code == 200
    # The owner posts news; Nora cancels.
    assert client.post(f"/api/campaigns/{campaign['id']}/news", json={"text": "Le mixage est fini !"},
                       headers=campaign["owner_headers"]).status_code == 201
    assert client.post(f"/api/pledges/{card['id']}/cancel", headers=nora_headers).status_code == 200

    # submitted (owner + manager), approved, published, 2 confirmed, changed, news (2), cancelled, and
    # each confirmed pledge's match.requested to the grants
    assert relay_all() == 10
    try:
        wait_until(lambda: _all_sent(notifications_app, 10), timeout=30, message="every email sent")
    except AssertionError:
        raise AssertionError([(d.kind, d.status, d.last_error) for d in _deliveries(notifications_app)])

    assert "Un disque pour la Criée" in _mail(inbox, "olga@example.org", "Campagne envoyée à la modération")
    assert "Olga Martin" in _mail(inbox, "manon@example.org", "A campaign awaits your moderation")
    approved = _mail(inbox, "olga@example.org", "Campagne approuvée")
    assert "(heure de Paris)" in approved
    assert "tout ou rien" in _mail(inbox, "olga@example.org", "Votre campagne est en ligne")

    receipt = _mail(inbox, "nora@example.org", "Thank you! Your pledge of €25.00 to \"A record for La Criée\"")
    assert "Reward: The record" in receipt and card["reference"] in receipt
    assert "Nothing is charged today" in receipt and "only if the campaign reaches its goal" in receipt
    assert "(Paris time)" in receipt
    bea_receipt = _mail(inbox, "bea@example.org", "Merci ! Votre contribution de 50,00 €")
    assert "Votre virement est reçu" in bea_receipt and "sans contrepartie" in bea_receipt
    assert "passe de 50,00 € à 60,00 €" in _mail(inbox, "bea@example.org", "Contribution modifiée")
    assert "You cancelled it." in _mail(inbox, "nora@example.org", "Pledge cancelled")

    # The news: both backers, each in their language, each with the one-click unsubscribe link.
    assert "Le mixage est fini !" in _mail(inbox, "nora@example.org", "News from the campaign \"A record for La Criée\"")
    french_news = [m for m in inbox.messages if "bea@example.org" in m["To"] and "Des nouvelles" in m["Subject"]]
    assert len(french_news) == 1 and french_news[0]["List-Unsubscribe"]

    # The crowdfunding worker forgot Nora's saved card at Stripe.
    def detached():
        with crowdfunding_app.extensions["db"].unit_of_work() as session:
            return session.get(Pledge, card["id"]).card_detached_at is not None

    wait_until(detached, timeout=30, message="the cancelled pledge's card detached")
