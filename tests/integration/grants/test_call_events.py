"""What the grants service announces when a call changes: a later closing time of an open call."""
from datetime import datetime, timedelta

from sqlalchemy import select

from shared.core.outbox import OutboxMessage
from tests.integration.grants.grants_manager_setup import call_payload, fund, iso, open_call


def _events(app):
    with app.extensions["db"].unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.name == "call.closing_extended"))
        return [row.payload for row in rows]


def test_a_later_closing_time_of_an_open_call_is_announced_once_with_it(grants_app, grants, manager):
    call = open_call(grants, manager, fund(grants, manager)["id"])
    closes_at = datetime.fromisoformat(call["closes_at"])
    later = closes_at + timedelta(days=7)

    response = grants.patch(f"/api/calls/{call['id']}", json={"closes_at": iso(later)}, headers=manager)

    assert response.status_code == 200, response.get_json()
    [event] = _events(grants_app)
    assert event == {"call_id": call["id"], "call_title": "Aide à la création 2026", "closes_at": iso(later)}
    # The same closing time again is no change: nothing more is announced.
    again = grants.patch(f"/api/calls/{call['id']}", json={"closes_at": iso(later)}, headers=manager)
    assert again.status_code == 200
    assert len(_events(grants_app)) == 1


def test_text_changes_refusals_and_drafts_announce_nothing(grants_app, grants, manager):
    fund_id = fund(grants, manager)["id"]
    call = open_call(grants, manager, fund_id)
    path = f"/api/calls/{call['id']}"
    closes_at = datetime.fromisoformat(call["closes_at"])

    assert grants.patch(path, json={"title_fr": "Nouveau titre"}, headers=manager).status_code == 200
    earlier = grants.patch(path, json={"closes_at": iso(closes_at - timedelta(days=1))}, headers=manager)
    assert earlier.status_code == 409
    # A refused change announces nothing either, even with a later closing time in it.
    harsher = grants.patch(path, json={"closes_at": iso(closes_at + timedelta(days=1)), "max_award_cents": 1},
                           headers=manager)
    assert harsher.status_code == 409
    draft = grants.post("/api/calls", json=call_payload(fund_id), headers=manager).get_json()
    moved = grants.patch(f"/api/calls/{draft['id']}", json={"closes_at": iso(closes_at + timedelta(days=3))},
                         headers=manager)
    assert moved.status_code == 200  # a draft has no applicants to tell

    assert _events(grants_app) == []
