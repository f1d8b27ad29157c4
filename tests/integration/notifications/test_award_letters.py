"""The award letters from grants' `award.granted` and `award.cancelled`: a change replaces the
letter still queued, an older revision handled after a newer one changes nothing, a
cancellation stops the letter, and two events of one award at once (two worker threads, each
with its own connection) leave one letter, the newest."""
import threading
from datetime import datetime, timezone

from sqlalchemy import select

from services.notifications.deliveries import HANDLERS
from services.notifications.models import Delivery
from shared.core.consumer import consume

from . import envelopes


def _facts(award_id: int) -> dict:
    return {
        **envelopes.person(), "award_id": award_id, "application_id": 3, "receipt_number": "TR-2026-000003",
        "call_id": 1, "fund_id": 1, "fund_year": 2026, "call_title": "Aide à la création 2026",
        "project_title": "Tournée des Volcans", "amount_cents": 800_000,
        "granted_at": datetime.now(timezone.utc).isoformat(),
        "award_url": f"http://127.0.0.1:8000/subventions/awards/{award_id}",
        "organisation": {"siret": "73282932000074", "siren": "732829320", "legal_name": "Label Dôme SARL",
                         "kind": "company", "sector": "music", "postal_code": "63000", "city": "Clermont-Ferrand"},
    }


def granted(revision: int, amount_cents: int = 800_000, award_id: int = 4) -> dict:
    return envelopes.envelope("award.granted", 1, {
        **_facts(award_id), "amount_cents": amount_cents, "revision": revision, "conditions": "Citer le fonds.",
        "tranches": [{"number": 1, "due": "acceptance", "share_bp": 7000, "amount_cents": amount_cents * 7 // 10},
                     {"number": 2, "due": "final_report", "share_bp": 3000,
                      "amount_cents": amount_cents - amount_cents * 7 // 10}]})


def cancelled(award_id: int = 4) -> dict:
    return envelopes.envelope("award.cancelled", 1, {
        **_facts(award_id), "cancelled_at": datetime.now(timezone.utc).isoformat(), "reason": "Projet abandonné.",
        "paid_cents": 0})


def _letters(db, award_id: int = 4):
    with db.unit_of_work() as session:
        return [(row.kind, row.context.get("revision"), row.status) for row in session.scalars(
            select(Delivery).where(Delivery.topic == f"award:{award_id}").order_by(Delivery.id))]


def test_a_change_replaces_the_queued_letter_and_an_older_one_changes_nothing(db):
    assert consume(db, HANDLERS, granted(1)) and consume(db, HANDLERS, granted(2, 650_000))
    assert _letters(db) == [("award_granted", 1, "cancelled"), ("award_granted", 2, "queued")]
    with db.unit_of_work() as session:
        letter = session.scalars(select(Delivery).where(Delivery.kind == "award_granted", Delivery.status == "queued")).one()
        assert letter.context["amount"] == "6\u202f500,00\xa0€" and letter.context["revised"] is True
        assert letter.context["tranches"][0] == "Tranche 1 : 4\u202f550,00\xa0€ (70\xa0%), à l'acceptation de l'aide"
    assert consume(db, HANDLERS, granted(1))  # sent again, late: nothing more
    assert _letters(db) == [("award_granted", 1, "cancelled"), ("award_granted", 2, "queued")]
    assert consume(db, HANDLERS, cancelled())
    assert _letters(db) == [("award_granted", 1, "cancelled"), ("award_granted", 2, "cancelled"),
                            ("award_cancelled", None, "queued")]
    assert consume(db, HANDLERS, granted(3))  # a revision handled after the cancellation
    assert [kind for kind, _revision, status in _letters(db) if status == "queued"] == ["award_cancelled"]


def test_two_revisions_of_one_award_at_once_leave_one_letter_the_newest(db):
    for award_id in range(10, 16):
        older, newer = granted(1, award_id=award_id), granted(2, 700_000, award_id=award_id)
        start = threading.Barrier(2)

        def handle(event):
            start.wait()
            consume(db, HANDLERS, event)

        threads = [threading.Thread(target=handle, args=(event,)) for event in (older, newer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [revision for _kind, revision, status in _letters(db, award_id) if status == "queued"] == [2], award_id
