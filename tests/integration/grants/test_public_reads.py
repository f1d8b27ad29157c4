"""The open calls replayed from memory (shared.web.public_reads): the same answer as Flask gives,
never one from before a change, whoever made it, nor past a call's closing time."""
from __future__ import annotations

import logging
import time
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from services.grants.app import create_app
from shared.web.public_reads import APPLICATION_NAME
from tests.conftest import PG_ADMIN_URL, recorded_statements, sqlite_database, wait_until
from tests.public_reads import listening as _listening, moved_elsewhere, read as _read, until_the_clock_reaches
from tests.integration.grants.grants_manager_setup import call_payload, fund, open_call


def _replayed(app, client, **options) -> tuple[bool, object]:
    """One GET /api/calls: whether it was replayed, and the answer."""
    return _read(app, client, "/api/calls", **options)


@pytest.fixture
def elsewhere(databases):
    """A connection of its own to the grants database, as another process or psql would write."""
    engine = create_engine(databases["grants"], isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def test_the_open_calls_are_replayed_as_flask_answered_them_until_a_call_changes(grants_app, grants, manager, caplog):
    call = open_call(grants, manager, fund(grants, manager)["id"])
    grants.get("/api/calls")  # starts the listener, if no test before has
    _listening(grants_app)
    # A change made by this process: the very next read is Flask's, and has it.
    assert grants.patch(f"/api/calls/{call['id']}", json={"description_fr": "Première description."},
                        headers=manager).status_code == 200
    read, first = _replayed(grants_app, grants, headers={"X-Request-ID": "first1"})
    assert read is False and [c["id"] for c in first.get_json()] == [call["id"]]
    assert first.get_json()[0]["description_fr"] == "Première description."

    answers = []

    def replayed_again():
        replayed, answer = _replayed(grants_app, grants, headers={"X-Request-ID": "again2"})
        answers.append(answer)
        return replayed

    # (The change's own notification, arriving after that read, may cost one more read.)
    with caplog.at_level(logging.INFO, logger="tremplin.services.grants.app.http"):
        wait_until(replayed_again, timeout=5, message="a replay")
    again = answers[-1]
    assert again.status_code == 200 and again.get_data() == first.get_data()
    # Every header as Flask sent it (security headers included), but each answer's own request id.
    assert first.headers["X-Request-ID"] == "first1" and again.headers["X-Request-ID"] == "again2"
    assert sorted((k, v) for k, v in again.headers if k != "X-Request-ID") == \
        sorted((k, v) for k, v in first.headers if k != "X-Request-ID")
    assert "Content-Security-Policy" in again.headers
    [line] = [r for r in caplog.records if getattr(r, "replayed", False)]
    assert (line.method, line.path, line.status) == ("GET", "/api/calls", 200)

    changed = grants.patch(f"/api/calls/{call['id']}", json={"description_fr": "Nouvelle description."},
                           headers=manager)
    assert changed.status_code == 200, changed.get_json()
    read, after = _replayed(grants_app, grants)
    assert read is False and after.get_json()[0]["description_fr"] == "Nouvelle description."
    assert wait_until(lambda: _replayed(grants_app, grants)[0], timeout=5, message="replays again")


def test_a_change_written_elsewhere_reaches_every_process_by_its_notification(grants_app, grants, manager, elsewhere):
    call = open_call(grants, manager, fund(grants, manager)["id"])
    grants.get("/api/calls")
    _listening(grants_app)
    assert wait_until(lambda: _replayed(grants_app, grants)[0], timeout=5, message="a replay")

    with elsewhere.connect() as connection:
        connection.execute(text("UPDATE calls SET title_fr = 'Titre changé ailleurs' WHERE id = :id"), {"id": call["id"]})
    wait_until(lambda: grants.get("/api/calls").get_json()[0]["title_fr"] == "Titre changé ailleurs",
               timeout=5, message="the change written elsewhere")
    # Closing it elsewhere removes it; then replays go on with the new answer.
    with elsewhere.connect() as connection:
        connection.execute(text("UPDATE calls SET status = 'closed' WHERE id = :id"), {"id": call["id"]})
    wait_until(lambda: grants.get("/api/calls").get_json() == [], timeout=5, message="the call closed elsewhere")
    assert wait_until(lambda: _replayed(grants_app, grants)[0], timeout=5, message="a replay")
    assert grants.get("/api/calls").get_json() == []


def test_an_answer_is_not_replayed_past_the_closing_time_of_a_call_it_shows(grants_app, grants, manager, elsewhere):
    call = open_call(grants, manager, fund(grants, manager)["id"])
    grants.get("/api/calls")
    _listening(grants_app)  # first, so that the seconds below are all left for the replay
    closes_at = moved_elsewhere(elsewhere, "calls", "closes_at", call["id"])

    def replayed_with_the_new_closing_time():
        replayed, answer = _replayed(grants_app, grants)
        shown = answer.get_json()
        return replayed and shown and datetime.fromisoformat(shown[0]["closes_at"]) == closes_at

    until_the_clock_reaches(closes_at, replayed_with_the_new_closing_time, "the new closing time")
    read, after = _replayed(grants_app, grants)
    assert read is False and after.get_json() == []


def test_a_signed_in_or_personal_request_is_never_replayed(grants_app, grants, manager):
    open_call(grants, manager, fund(grants, manager)["id"])
    grants.get("/api/calls")
    _listening(grants_app)
    assert wait_until(lambda: _replayed(grants_app, grants)[0], timeout=5, message="a replay")
    for options in ({"headers": manager}, {"query_string": {"lang": "en"}}):
        assert _replayed(grants_app, grants, **options)[0] is False, options
    # Any cookie but the language chosen (a session, say) makes a request its own.
    for cookie in ("tremplin_session=abc", "lang=en; tremplin_session=abc", "lang=de", "other=1"):
        # (A client without a cookie jar, which would replace the header with its own.)
        assert _replayed(grants_app, grants_app.test_client(use_cookies=False), headers={"Cookie": cookie})[0] is False, cookie
    fresh = grants_app.test_client()
    assert wait_until(lambda: _replayed(grants_app, fresh)[0], timeout=5, message="a replay")
    # Other addresses are Flask's alone.
    with recorded_statements(grants_app.extensions["db"].engine) as statements:
        grants.get("/api/calls/1")
        grants.get("/api/calls/1")
    assert len(statements) >= 2


def test_the_listener_lost_and_back_drops_what_was_kept(grants_app, grants, manager, elsewhere):
    call = open_call(grants, manager, fund(grants, manager)["id"])
    grants.get("/api/calls")
    _listening(grants_app)
    assert wait_until(lambda: _replayed(grants_app, grants)[0], timeout=5, message="a replay")

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    listeners = text("SELECT pid FROM pg_stat_activity WHERE application_name = :name AND datname = :database")
    names = {"name": APPLICATION_NAME, "database": elsewhere.url.database}
    with admin.connect() as connection:
        [old] = connection.execute(listeners, names).scalars().all()
        assert connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": old}).scalar_one()
    # Written while the listener is gone: its notification is lost, the reconnection makes up for it.
    with elsewhere.connect() as connection:
        connection.execute(text("UPDATE calls SET title_fr = 'Pendant la coupure' WHERE id = :id"), {"id": call["id"]})
    wait_until(lambda: grants.get("/api/calls").get_json()[0]["title_fr"] == "Pendant la coupure",
               timeout=10, message="the change made while nobody listened")
    with admin.connect() as connection:
        # The listener connects again (after 0.1 s, then longer while it fails).
        wait_until(lambda: set(connection.execute(listeners, names).scalars().all()) - {old},
                   timeout=10, message="a new listening connection")
        assert old not in connection.execute(listeners, names).scalars().all()
    admin.dispose()
    _listening(grants_app)
    assert wait_until(lambda: _replayed(grants_app, grants)[0], timeout=5, message="replays again")


def test_on_sqlite_nothing_is_kept(tmp_path, monkeypatch, documents_dir):
    with sqlite_database(tmp_path, "grants") as database:
        monkeypatch.setenv("GRANTS_DATABASE_URL", database.url)
        app = create_app({"TESTING": True})
        client = app.test_client()
        assert app.extensions["public_reads"].changes is None
        for _ in range(2):
            with recorded_statements(app.extensions["db"].engine) as statements:
                assert client.get("/api/calls").get_json() == []
            assert statements
        app.extensions["db"].dispose()


def test_replays_can_be_turned_off_or_listen_elsewhere(monkeypatch, documents_dir, databases):
    monkeypatch.setenv("GRANTS_LISTEN_DATABASE_URL", "off")
    app = create_app({"TESTING": True})
    assert app.extensions["public_reads"].changes is None
    app.extensions["db"].dispose()

    # A direct connection for the listener (the service's own URL going through a pooler): here the same database.
    monkeypatch.setenv("GRANTS_LISTEN_DATABASE_URL", databases["grants"])
    app = create_app({"TESTING": True})
    client = app.test_client()
    client.get("/api/calls")
    _listening(app)
    assert wait_until(lambda: _replayed(app, client)[0], timeout=5, message="a replay")
    app.extensions["db"].dispose()


def test_requests_arriving_while_the_answer_is_read_again_wait_for_it(grants_app, grants, manager):
    """After a change, one thread reads the answer again; the others asking meanwhile get that answer
    (a database slowed to 0.3 s a statement gives them the time to arrive), not one read each."""
    import threading

    from sqlalchemy import event

    call = open_call(grants, manager, fund(grants, manager)["id"])
    grants.get("/api/calls")
    _listening(grants_app)
    assert wait_until(lambda: _replayed(grants_app, grants)[0], timeout=5, message="a replay")
    changes = grants_app.extensions["public_reads"].changes
    before = changes.generation
    assert grants.patch(f"/api/calls/{call['id']}", json={"description_fr": "Relue une fois."},
                        headers=manager).status_code == 200
    # The change moves the generation on twice: when the write's connection goes back to the pool,
    # and when its notification reaches the listener. The visitors come after both: a notification
    # arriving during their read (a loaded machine delays it) would rightly keep nothing, and each
    # would then read the answer itself.
    wait_until(lambda: changes.generation >= before + 2, timeout=5, message="the change's notification")
    engine = grants_app.extensions["db"].engine

    def slow(*_args):
        time.sleep(0.3)

    answers, start = [], threading.Barrier(8)

    def visit():
        client = grants_app.test_client()
        start.wait()
        answers.append(client.get("/api/calls"))

    event.listen(engine, "before_cursor_execute", slow)
    try:
        with recorded_statements(engine) as statements:
            visitors = [threading.Thread(target=visit) for _ in range(8)]
            for visitor in visitors:
                visitor.start()
            for visitor in visitors:
                visitor.join()
    finally:
        event.remove(engine, "before_cursor_execute", slow)
    assert len(statements) == 1, statements  # the open calls read once, for all eight
    assert {answer.status_code for answer in answers} == {200}
    assert {answer.get_data() for answer in answers} == {answers[0].get_data()}
    assert answers[0].get_json()[0]["description_fr"] == "Relue une fois."
    assert len({answer.headers["X-Request-ID"] for answer in answers}) == 8


def test_a_visitor_who_chose_a_language_is_answered_from_memory_in_that_language(grants_app, grants, manager):
    call = open_call(grants, manager, fund(grants, manager)["id"])
    visitor = grants_app.test_client()
    assert visitor.get("/home", query_string={"lang": "en"}).status_code == 200  # the choice, kept in a cookie
    assert visitor.get_cookie("lang").value == "en"
    _listening(grants_app)
    french = grants_app.test_client()
    for path, english_words in (("/home", "Calls for projects open now"), (f"/calls/{call['id']}", call["title_en"])):
        assert wait_until(lambda: _read(grants_app, visitor, path)[0], timeout=5, message=f"a replay of {path}")
        assert english_words in visitor.get(path).get_data(as_text=True)
        # Kept apart from the French answer to visitors who chose nothing.
        assert wait_until(lambda: _read(grants_app, french, path)[0], timeout=5, message=f"a French {path}")
        assert english_words not in french.get(path).get_data(as_text=True)
        assert english_words in visitor.get(path).get_data(as_text=True)


def test_the_pages_that_show_the_calls_are_replayed_until_a_call_or_its_fund_changes(grants_app, grants, manager,
                                                                                      elsewhere):
    call = open_call(grants, manager, fund(grants, manager)["id"])
    visitor = grants_app.test_client()
    pages = ("/home", "/", f"/calls/{call['id']}")
    for path in pages:
        assert visitor.get(path).status_code == 200
    _listening(grants_app)
    for path in pages:
        assert wait_until(lambda: _read(grants_app, visitor, path)[0], timeout=5, message=f"a replay of {path}")
        assert call["title_fr"] in visitor.get(path).get_data(as_text=True)

    # The fund renamed by another connection: the call's page shows the new name once notified.
    with elsewhere.connect() as connection:
        connection.execute(text("UPDATE funds SET name = 'Fonds renommé ailleurs' WHERE id = :id"), {"id": call["fund_id"]})
    wait_until(lambda: "Fonds renommé ailleurs" in visitor.get(f"/calls/{call['id']}").get_data(as_text=True),
               timeout=5, message="the fund's new name")
    # The call's title changed in this process: every page's very next read is Flask's, and shows it.
    assert grants.patch(f"/api/calls/{call['id']}", json={"title_fr": "Titre tout neuf"}, headers=manager).status_code == 200
    for path in pages:
        read, answer = _read(grants_app, visitor, path)
        assert read is False and "Titre tout neuf" in answer.get_data(as_text=True), path
    # A draft call's page is nobody's: answered 404 by Flask each time, never kept.
    draft = grants.post("/api/calls", json=call_payload(call["fund_id"]), headers=manager).get_json()
    for _ in range(2):
        read, answer = _read(grants_app, visitor, f"/calls/{draft['id']}")
        assert read is False and answer.status_code == 404


def test_a_call_s_page_is_not_replayed_past_its_closing_time(grants_app, grants, manager, elsewhere):
    call = open_call(grants, manager, fund(grants, manager)["id"])
    visitor, path = grants_app.test_client(), f"/calls/{call['id']}"
    visitor.get(path)
    _listening(grants_app)
    closes_at = moved_elsewhere(elsewhere, "calls", "closes_at", call["id"])

    def replayed_open() -> bool:
        replayed, answer = _read(grants_app, visitor, path)
        return replayed and "Cet appel est clos" not in answer.get_data(as_text=True)

    until_the_clock_reaches(closes_at, replayed_open, "the open call")
    read, after = _read(grants_app, visitor, path)
    assert read is False and "Cet appel est clos : les candidatures ne sont plus acceptées." in after.get_data(as_text=True)
