"""The close's events become emails through the real pipeline: written to crowdfunding's outbox
with their contracts (as its close writes them), relayed to Redis, handled by a real dramatiq
worker running the notifications actors, sent to a real SMTP server (aiosmtpd). Each person reads
theirs in their language, times in Paris time as the other messages write them ("6 janv. 2027,
18:01" in French, "6 Jan 2027, 18:01" in English)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from services.notifications.models import Delivery
from shared.core.outbox import Relay, publish
from tests.conftest import wait_until

CLOSED_AT = datetime(2026, 12, 30, 17, 0, tzinfo=timezone.utc)  # 18:00 in Paris
EXPIRES_AT = datetime(2027, 1, 6, 17, 1, tzinfo=timezone.utc)
OLGA = {"email": "olga@example.org", "name": "Olga Martin", "language": "fr"}
OSCAR = {"email": "oscar@example.org", "name": "Oscar Reid", "language": "en"}
BEA = {"email": "bea@example.org", "name": "Béa Durand", "language": "fr"}
BEN = {"email": "ben@example.org", "name": "Ben Hall", "language": "en"}
ORGANISATION = {"siret": "73282932000074", "siren": "732829320", "rna": None, "legal_name": "Label Dôme SARL",
                "kind": "company", "sector": "music", "postal_code": "63000", "city": "Clermont-Ferrand"}


def _campaign(owner: dict, title: str, **extra) -> dict:
    return {**owner, "campaign_id": 3, "campaign_title": title,
            "campaign_url": "http://127.0.0.1:8000/financement-participatif/campaigns/3",
            "owner_account_id": 7, "organisation": ORGANISATION, "funding_model": "all_or_nothing",
            "goal_cents": 500_000, "ends_at": CLOSED_AT, "closed_at": CLOSED_AT, "pledged_cents": 620_000,
            "card_pledged_cents": 600_000, "transfer_cents": 20_000, "backers": 48, **extra}


def _pledge(backer: dict, pledge_id: int, title: str, **extra) -> dict:
    return {**backer, "pledge_id": pledge_id, "reference": f"CF-REF{pledge_id}", "campaign_id": 3,
            "campaign_title": title, "campaign_url": "http://127.0.0.1:8000/financement-participatif/campaigns/3",
            "pledge_url": f"http://127.0.0.1:8000/financement-participatif/pledges/{pledge_id}",
            "amount_cents": 2_500, "tier_title": None, "method": "card", "funding_model": "all_or_nothing",
            "ends_at": CLOSED_AT, "backer_account_id": 20 + pledge_id, "attempt": 1, **extra}


def _mail(inbox, to: str, subject_part: str) -> tuple[str, str, str]:
    found = [m for m in inbox.messages if to in m["To"] and subject_part in " ".join(m["Subject"].split())]
    assert len(found) == 1, [(m["To"], m["Subject"]) for m in inbox.messages]
    message = found[0]
    text = " ".join(message.get_body(("plain",)).get_content().replace("\u202f", " ").replace("\xa0", " ").split())
    return " ".join(message["Subject"].split()), text, message.get_body(("html",)).get_content()


def test_the_close_charges_and_refunds_reach_each_person_in_their_language(
        crowdfunding_app, notifications_app, notifications_worker, inbox, broker):
    with crowdfunding_app.extensions["db"].unit_of_work() as session:
        def send(name, payload):
            publish(session, "crowdfunding", name, 1, payload)

        send("campaign.succeeded", _campaign(OLGA, "Un disque pour la Criée", matched_cents=140_000))
        send("campaign.succeeded", _campaign(OSCAR, "A film by the lake"))
        send("campaign.failed", _campaign(OLGA, "Le Chœur des Puys", recipients=[BEA, BEN, OLGA]))
        send("campaign.cancelled", _campaign(OSCAR, "The Dome Tour", cancelled_at=EXPIRES_AT,
                                             reason="The project is abandoned.", recipients=[BEA, BEN]))
        send("pledge.charged", _pledge(BEA, 1, "Un disque pour la Criée", payment_intent_id="pi_1", charged_at=CLOSED_AT))
        send("pledge.charged", _pledge(BEN, 2, "A film by the lake", payment_intent_id="pi_2", charged_at=CLOSED_AT))
        send("pledge.action_needed", _pledge(BEA, 3, "Un disque pour la Criée", reason="authentication_required",
                                             action_url="http://127.0.0.1:8000/financement-participatif/pledges/3/pay",
                                             expires_at=EXPIRES_AT, reminder=0))
        send("pledge.action_needed", _pledge(BEN, 4, "A film by the lake", reason="card_declined",
                                             action_url="http://127.0.0.1:8000/financement-participatif/pledges/4/pay",
                                             expires_at=EXPIRES_AT, reminder=2))
        send("pledge.failed", _pledge(BEA, 5, "Un disque pour la Criée", reason="expired", failed_at=EXPIRES_AT,
                                      owner=OLGA))
        send("pledge.failed", _pledge(BEN, 6, "A film by the lake", reason="expired", failed_at=EXPIRES_AT, owner=OSCAR))
        send("pledge.refunded", _pledge(BEA, 7, "Un disque pour la Criée", refund_id=1, refund_cents=1_000,
                                        refunded_total_cents=1_000, fully_refunded=False, reason="Contrepartie épuisée.",
                                        refunded_at=EXPIRES_AT))
        send("pledge.refunded", _pledge(BEN, 8, "A film by the lake", refund_id=2, refund_cents=2_500,
                                        refunded_total_cents=2_500, fully_refunded=True, reason="Asked by the backer.",
                                        refunded_at=EXPIRES_AT))
    assert Relay(crowdfunding_app.extensions["db"], broker).relay_batch() == 12

    def all_sent():
        with notifications_app.extensions["db"].unit_of_work() as session:
            rows = session.scalars(select(Delivery)).all()
        return len(rows) == 18 and all(row.status == "sent" for row in rows)

    wait_until(all_sent, timeout=40, message="18 messages sent")
    assert len(inbox.messages) == 18

    # campaign.succeeded: the owner.
    subject, text, html = _mail(inbox, "olga@", "a réussi")
    assert subject == "Votre campagne « Un disque pour la Criée » a réussi"
    assert "s'est close le 30 déc. 2026, 18:00 (heure de Paris)" in text
    assert "6 200,00 € promis par 48 contributeurs" in text and "Le fonds les a doublées à hauteur de 1 400,00 €" in text
    subject, text, _ = _mail(inbox, "oscar@", "succeeded")
    assert subject == 'Your campaign "A film by the lake" succeeded'
    assert "closed on 30 Dec 2026, 18:00 (Paris time)" in text and "matched" not in text

    # campaign.failed: the owner and each backer (the owner, a backer too, gets one message).
    subject, text, _ = _mail(inbox, "olga@", "n'a pas atteint son objectif")
    assert subject == "Votre campagne « Le Chœur des Puys » n'a pas atteint son objectif"
    assert "rien n'est débité" in text
    subject, text, _ = _mail(inbox, "bea@", "Le Chœur des Puys")
    assert subject == "« Le Chœur des Puys » n'a pas atteint son objectif : rien n'est débité"
    assert "votre carte enregistrée pour elle est retirée" in text
    subject, text, _ = _mail(inbox, "ben@", "Le Chœur des Puys")
    assert subject == '"Le Chœur des Puys" did not reach its goal: nothing is charged'

    # campaign.cancelled: the owner, and the backers refunded.
    subject, text, _ = _mail(inbox, "oscar@", "is cancelled")
    assert subject == 'Your campaign "The Dome Tour" is cancelled'
    assert "on 6 Jan 2027, 18:01 (Paris time)" in text and "Reason: The project is abandoned." in text
    subject, text, _ = _mail(inbox, "bea@", "The Dome Tour")
    assert subject == "« The Dome Tour » est annulée : vous êtes remboursé"
    assert "vous est remboursé sur votre carte" in text
    subject, _text, _ = _mail(inbox, "ben@", "The Dome Tour")
    assert subject == '"The Dome Tour" is cancelled: you are refunded'

    # pledge.charged: the receipt.
    subject, text, html = _mail(inbox, "bea@", "Reçu")
    assert subject == "Reçu : 25,00 € payés à « Un disque pour la Criée »"
    assert "débitée de 25,00 € le 30 déc. 2026, 18:00 (heure de Paris)" in text and "Référence : CF-REF1" in text
    assert 'href="http://127.0.0.1:8000/financement-participatif/pledges/1"' in html
    subject, text, _ = _mail(inbox, "ben@", "Receipt")
    assert subject == 'Receipt: €25.00 paid to "A film by the lake"'
    assert "charged €25.00 on 30 Dec 2026, 18:00 (Paris time)" in text

    # pledge.action_needed: the link, the deadline in Paris time, the reminder's wording.
    subject, text, html = _mail(inbox, "bea@", "Finalisez")
    assert subject == "Finalisez votre paiement de 25,00 € à « Un disque pour la Criée »"
    assert "jusqu'au 6 janv. 2027, 18:01 (heure de Paris)" in text and "3-D Secure" in text
    assert 'href="http://127.0.0.1:8000/financement-participatif/pledges/3/pay"' in html
    subject, text, _ = _mail(inbox, "ben@", "Last reminder")
    assert subject == 'Last reminder: finish paying your €25.00 to "A film by the lake"'
    assert "until 6 Jan 2027, 18:01 (Paris time)" in text and "you can give another one" in text

    # pledge.failed: the backer, and the owner.
    subject, text, _ = _mail(inbox, "bea@", "Votre contribution à")
    assert subject == "Votre contribution à « Un disque pour la Criée » est annulée"
    assert "n'a pas été fait avant la date limite" in text
    subject, text, _ = _mail(inbox, "olga@", "n'a pas été payée")
    assert "de Béa Durand (référence CF-REF5)" in text and "sa contrepartie est de nouveau disponible" in text
    subject, _text, _ = _mail(inbox, "ben@", "Your pledge to")
    assert subject == 'Your pledge to "A film by the lake" is cancelled'
    subject, text, _ = _mail(inbox, "oscar@", "was not paid")
    assert "by Ben Hall (reference CF-REF6)" in text

    # pledge.refunded: in part, in full.
    subject, text, _ = _mail(inbox, "bea@", "Remboursement")
    assert subject == "Remboursement de 10,00 € : « Un disque pour la Criée »"
    assert "10,00 € de votre contribution de 25,00 €" in text and "Motif : Contrepartie épuisée." in text
    subject, text, _ = _mail(inbox, "ben@", "Refund")
    assert subject == 'Refund of €25.00: "A film by the lake"' and "is refunded in full" in text
    assert "made on 6 Jan 2027, 18:01 (Paris time)" in text
