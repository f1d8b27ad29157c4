"""A campaign's page replayed from memory (shared.web.public_reads): Flask's own answer, never one
from before a change to a row it shows, wherever the change was made, nor past the moment the
clock alone changes it (a place held by a card being entered, given back)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from services.crowdfunding.app import CAMPAIGN_PAGE_TABLES
from tests.conftest import recorded_statements, wait_until
from tests.public_reads import (listening as _listening, moved_elsewhere, read as _read, replayed_soon as _replayed_soon,
                                 until_the_clock_reaches)
from tests.integration.crowdfunding.campaign_setup import TIER, backer, draft, live, owner, received_transfer


def _words(html: str) -> str:
    """Text of a page or part of one, its markup stripped and its spaces (non-breaking ones too) single."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _tier(answer, tier_id: int) -> str:
    """The text of one reward tier on the page."""
    return _words(re.search(rf'<li id="tier-{tier_id}">(.*?)</li>', answer.get_data(as_text=True), re.S).group(1))


@pytest.fixture
def elsewhere(databases):
    """A connection of its own to the crowdfunding database, as another process or psql would write."""
    engine = create_engine(databases["crowdfunding"], isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def test_the_page_is_replayed_as_flask_answered_it_until_a_pledge_counts(crowdfunding_app):
    campaign = live(crowdfunding_app)
    path, visitor = f"/campaigns/{campaign['id']}", crowdfunding_app.test_client()
    first = visitor.get(path, headers={"X-Request-ID": "first1"})  # starts the listener
    assert first.status_code == 200
    _listening(crowdfunding_app)
    again = _replayed_soon(crowdfunding_app, visitor, path)
    assert again.get_data() == visitor.get(path).get_data()
    replay = visitor.get(path, headers={"X-Request-ID": "again2"})
    assert replay.headers["X-Request-ID"] == "again2"
    # Every other header as Flask sent it, the security headers included.
    assert sorted((k, v) for k, v in replay.headers if k != "X-Request-ID") == \
        sorted((k, v) for k, v in first.headers if k != "X-Request-ID")
    assert "Content-Security-Policy" in replay.headers
    assert "0,00 € collectés" in _words(replay.get_data(as_text=True))

    # A backer's transfer, marked received by the fund manager in this process: the very next
    # visitor's read is Flask's, and counts it.
    received_transfer(crowdfunding_app, campaign, "bea@example.org", 5_000, public_name=True)
    read, after = _read(crowdfunding_app, visitor, path)
    assert read is False
    assert "50,00 € collectés sur un objectif de 5 000,00 € (1 %), 1 contributeur" in _words(after.get_data(as_text=True))
    assert _replayed_soon(crowdfunding_app, visitor, path).get_data() == after.get_data()


def test_a_change_written_elsewhere_reaches_the_page_by_its_notification(crowdfunding_app, elsewhere):
    campaign = live(crowdfunding_app)
    path, visitor = f"/campaigns/{campaign['id']}", crowdfunding_app.test_client()
    visitor.get(path)
    _listening(crowdfunding_app)
    _replayed_soon(crowdfunding_app, visitor, path)
    with elsewhere.connect() as connection:
        connection.execute(text("UPDATE campaigns SET title_fr = 'Titre changé ailleurs' WHERE id = :id"),
                           {"id": campaign["id"]})
    wait_until(lambda: "Titre changé ailleurs" in visitor.get(path).get_data(as_text=True), timeout=5,
               message="the change written elsewhere")
    assert "Titre changé ailleurs" in _replayed_soon(crowdfunding_app, visitor, path).get_data(as_text=True)


def test_every_table_the_page_reads_tells_the_web_processes_of_a_change(crowdfunding_app, elsewhere):
    """Each table the page is made of notifies at commit, even for a statement that changes no row."""
    with elsewhere.connect() as connection:
        triggered = set(connection.execute(text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE '%\\_public\\_reads\\_changed' AND NOT t.tgisinternal")).scalars())
    assert triggered == set(CAMPAIGN_PAGE_TABLES)
    campaign = live(crowdfunding_app)
    path, visitor = f"/campaigns/{campaign['id']}", crowdfunding_app.test_client()
    visitor.get(path)
    _listening(crowdfunding_app)
    for table in CAMPAIGN_PAGE_TABLES:
        _replayed_soon(crowdfunding_app, visitor, path)
        with elsewhere.connect() as connection:
            connection.execute(text(f"DELETE FROM {table} WHERE false"))
        wait_until(lambda: not _read(crowdfunding_app, visitor, path)[0], timeout=5,
                   message=f"the notification of a statement on {table}")


def test_a_place_held_by_a_card_being_entered_shows_again_when_its_hold_runs_out(crowdfunding_app, elsewhere):
    campaign = live(crowdfunding_app, tiers=({**TIER, "quantity": 1},))
    [tier_id] = campaign["tier_ids"]
    path, visitor = f"/campaigns/{campaign['id']}", crowdfunding_app.test_client()
    _bea, headers = backer(crowdfunding_app, "bea@example.org")
    pledge = crowdfunding_app.test_client().post(f"/api/campaigns/{campaign['id']}/pledges", headers=headers, json={
        "amount_cents": 2_000, "tier_id": tier_id, "method": "card"}).get_json()
    assert pledge["status"] == "pending"
    visitor.get(path)
    _listening(crowdfunding_app)  # first, so that the seconds below are all left for the replay
    hold_until = moved_elsewhere(elsewhere, "pledges", "hold_until", pledge["id"])

    def replayed_sold_out() -> bool:
        replayed, answer = _read(crowdfunding_app, visitor, path)
        return replayed and "épuisée" in _tier(answer, tier_id)

    until_the_clock_reaches(hold_until, replayed_sold_out, "the tier sold out")
    read, after = _read(crowdfunding_app, visitor, path)
    assert read is False
    assert "1 place restante sur 1" in _tier(after, tier_id)


def test_a_page_that_is_not_public_or_a_personal_request_is_never_replayed(crowdfunding_app):
    client = crowdfunding_app.test_client()
    _olga, headers = owner(crowdfunding_app, "olga@example.org")
    unpublished = draft(client, headers)
    campaign = live(crowdfunding_app, owner_email="otto@example.org")
    path, visitor = f"/campaigns/{campaign['id']}", crowdfunding_app.test_client()
    visitor.get(path)
    _listening(crowdfunding_app)
    _replayed_soon(crowdfunding_app, visitor, path)
    # A draft is nobody's page: answered 404 by Flask each time, never kept.
    for _ in range(2):
        read, answer = _read(crowdfunding_app, visitor, f"/campaigns/{unpublished}")
        assert read is False and answer.status_code == 404
    # The owner signed in, a language asked for: Flask's. That language's cookie alone: the page
    # in that language, replayed to every visitor who chose it.
    assert _read(crowdfunding_app, client, path, headers=headers)[0] is False
    assert _read(crowdfunding_app, visitor, path, query_string={"lang": "en"})[0] is False
    assert visitor.get_cookie("lang").value == "en"
    english = _replayed_soon(crowdfunding_app, visitor, path)
    assert "30 days left" in _words(english.get_data(as_text=True))
    assert "30 jours restants" in _words(_replayed_soon(crowdfunding_app, crowdfunding_app.test_client(), path).get_data(as_text=True))
    # Only a campaign's own page is served so (and the list, "/"): not its other pages, nor what is not a number.
    served = crowdfunding_app.extensions["public_reads"]._served
    assert served(path) and served("/campaigns/12")
    assert not any(served(other) for other in (f"{path}/pledge", f"{path}/", "/campaigns/x", "/campaigns/"))


def test_the_page_is_not_replayed_past_the_campaign_s_end(crowdfunding_app, elsewhere):
    campaign = live(crowdfunding_app)
    path, visitor = f"/campaigns/{campaign['id']}", crowdfunding_app.test_client()
    visitor.get(path)
    _listening(crowdfunding_app)
    ends_at = moved_elsewhere(elsewhere, "campaigns", "ends_at", campaign["id"])

    def replayed_live() -> bool:
        replayed, answer = _read(crowdfunding_app, visitor, path)
        return replayed and "Soutenir cette campagne" in _words(answer.get_data(as_text=True))

    until_the_clock_reaches(ends_at, replayed_live, "the campaign taking pledges")
    read, after = _read(crowdfunding_app, visitor, path)
    assert read is False
    shown = _words(after.get_data(as_text=True))
    assert "Soutenir cette campagne" not in shown and "terminée le" in shown


def test_a_page_is_kept_until_the_next_midnight_in_paris_or_the_end_if_sooner():
    from types import SimpleNamespace

    from services.crowdfunding.campaigns import page_kept_until

    now = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
    unlimited = [SimpleNamespace(id=1, quantity=None)]
    # No limited tier: nothing to read (no session needed).
    far = SimpleNamespace(ends_at=now + timedelta(days=20), tiers=unlimited)
    assert page_kept_until(None, far, now) == datetime(2026, 12, 7, 23, 0, tzinfo=timezone.utc)  # midnight in Paris
    tonight = SimpleNamespace(ends_at=datetime(2026, 12, 7, 19, 0, tzinfo=timezone.utc), tiers=unlimited)
    assert page_kept_until(None, tonight, now) == tonight.ends_at
    ended = SimpleNamespace(ends_at=now - timedelta(days=1), tiers=unlimited)
    assert page_kept_until(None, ended, now) == datetime(2026, 12, 7, 23, 0, tzinfo=timezone.utc)


def test_the_live_campaigns_are_read_in_as_many_statements_whatever_their_number(crowdfunding_app):
    visitor = crowdfunding_app.test_client()

    def statements_of_one_read() -> int:
        with recorded_statements(crowdfunding_app.extensions["db"].engine) as statements:
            assert visitor.get("/?sector=music").status_code == 200  # a query string: never replayed
        return len(statements)

    live(crowdfunding_app, owner_email="one@example.org")
    one = statements_of_one_read()
    for number in range(3):
        live(crowdfunding_app, owner_email=f"more{number}@example.org")
    assert statements_of_one_read() == one  # no statement per campaign (its owner, its progress)
    page = _words(visitor.get("/?sector=music").get_data(as_text=True))
    assert page.count("0,00 € collectés") == 4 and page.count("Label Dôme SARL") == 4


def test_the_live_campaigns_are_replayed_until_a_pledge_counts_or_a_campaign_starts(crowdfunding_app, elsewhere):
    campaign = live(crowdfunding_app)
    visitor = crowdfunding_app.test_client()
    visitor.get("/")
    _listening(crowdfunding_app)
    assert "0,00 € collectés" in _words(_replayed_soon(crowdfunding_app, visitor, "/").get_data(as_text=True))

    received_transfer(crowdfunding_app, campaign, "bea@example.org", 5_000)
    read, after = _read(crowdfunding_app, visitor, "/")
    assert read is False and "50,00 € collectés" in _words(after.get_data(as_text=True))

    # A campaign approved to start in three seconds: not listed before, listed from then, with no write.
    later = live(crowdfunding_app, owner_email="otto@example.org", title_fr="La campagne suivante")
    starts_at = moved_elsewhere(elsewhere, "campaigns", "starts_at", later["id"], status="approved")

    def replayed_without_it() -> bool:
        replayed, answer = _read(crowdfunding_app, visitor, "/")
        return replayed and "La campagne suivante" not in answer.get_data(as_text=True)

    until_the_clock_reaches(starts_at, replayed_without_it, "the list before the start")
    read, after = _read(crowdfunding_app, visitor, "/")
    assert read is False and "La campagne suivante" in after.get_data(as_text=True)


def test_the_campaigns_in_json_are_replayed_to_anyone_until_a_pledge_counts(crowdfunding_app):
    campaign = live(crowdfunding_app)
    path, visitor = f"/api/campaigns/{campaign['id']}", crowdfunding_app.test_client()
    visitor.get(path)
    visitor.get("/api/campaigns")
    _listening(crowdfunding_app)
    shown = _replayed_soon(crowdfunding_app, visitor, path).get_json()
    assert shown["id"] == campaign["id"] and shown["progress"]["pledged_cents"] == 0
    assert [item["id"] for item in _replayed_soon(crowdfunding_app, visitor, "/api/campaigns").get_json()] == [campaign["id"]]
    # A filter, a token: Flask's.
    assert _read(crowdfunding_app, visitor, "/api/campaigns", query_string={"sector": "music"})[0] is False
    assert _read(crowdfunding_app, visitor, path, headers=campaign["owner_headers"])[0] is False

    received_transfer(crowdfunding_app, campaign, "bea@example.org", 5_000)
    read, after = _read(crowdfunding_app, visitor, path)
    assert read is False and after.get_json()["progress"]["pledged_cents"] == 5_000
    assert _replayed_soon(crowdfunding_app, visitor, path).get_json() == after.get_json()
    # The owner still reads the draft of another campaign of theirs; anyone else is told it does not exist.
    client = crowdfunding_app.test_client()
    unpublished = draft(client, campaign["owner_headers"], title_fr="Le brouillon")
    assert client.get(f"/api/campaigns/{unpublished}", headers=campaign["owner_headers"]).status_code == 200
    for _ in range(2):
        read, answer = _read(crowdfunding_app, visitor, f"/api/campaigns/{unpublished}")
        assert read is False and answer.status_code == 404
