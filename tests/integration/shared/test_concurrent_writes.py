"""Requests racing each other, each on its own database connection, keep the rules: one draft per
applicant and call, one submission (one event, one email), no change after submission.

On PostgreSQL the row locks (`SELECT ... FOR UPDATE`) serialise them. SQLite ignores those
locks; `make run` shares one SQLite file between several web threads, relays and workers, so
there every transaction takes SQLite's write lock when it begins (`shared.core.db`).
"""
from concurrent.futures import ThreadPoolExecutor
import threading

import pytest
from sqlalchemy import func, select

from services.grants.app import create_app
from services.grants.config import MIGRATIONS_DIR
from services.grants.models import Application
from shared.core.migrations import upgrade
from shared.core.outbox import OutboxMessage
from tests.integration.grants.applicant_setup import ANSWERS, a_call, applicant
from tests.integration.grants.test_applications_api import complete_draft

RACERS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path, monkeypatch):
    monkeypatch.setenv("GRANTS_DOCUMENTS_DIR", str(tmp_path / "documents"))
    config = {"TESTING": True}
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'grants.db'}"
        upgrade(MIGRATIONS_DIR, url)
        config["SETTINGS_OVERRIDES"] = {"database_url": url}
    app = create_app(config)
    yield app
    app.extensions["db"].dispose()


def at_once(*requests):
    """Run the requests in threads released together, each with its own test client."""
    barrier = threading.Barrier(len(requests))

    def run(send):
        barrier.wait()
        return send()

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(run, requests))


def count(app, statement) -> int:
    with app.extensions["db"].unit_of_work() as session:
        return session.scalar(statement)


def events(app, name) -> int:
    return count(app, select(func.count()).select_from(OutboxMessage).where(OutboxMessage.name == name))


def test_racing_starts_make_one_draft_and_one_event(app):
    call = a_call(app)
    _, headers = applicant(app)

    def start():
        return app.test_client().post("/api/applications", json={"call_id": call["id"]}, headers=headers).status_code

    statuses = at_once(*[start] * RACERS)

    assert sorted(statuses) == [201] + [409] * (RACERS - 1)
    assert count(app, select(func.count()).select_from(Application)) == 1
    assert events(app, "application.draft_started") == 1


def test_racing_submissions_submit_once_with_one_event(app):
    call = a_call(app)
    _, headers = applicant(app)
    draft = complete_draft(app.test_client(), headers, call["id"])

    def submit():
        return app.test_client().post(f"/api/applications/{draft['id']}/submit", headers=headers).status_code

    statuses = at_once(*[submit] * RACERS)

    assert sorted(statuses) == [200] + [409] * (RACERS - 1)
    assert events(app, "application.submitted") == 1


def test_no_change_lands_after_the_submission(app):
    call = a_call(app)
    _, headers = applicant(app)
    draft = complete_draft(app.test_client(), headers, call["id"])
    url = f"/api/applications/{draft['id']}"

    def submit():
        return app.test_client().post(f"{url}/submit", headers=headers).status_code

    def retitle(number):
        def send():
            return app.test_client().patch(url, json={"project_title": f"Title {number}"}, headers=headers).status_code
        return send

    statuses = at_once(submit, *[retitle(number) for number in range(RACERS - 1)])

    assert statuses[0] == 200
    assert set(statuses[1:]) <= {200, 409}
    submitted = app.test_client().get(url, headers=headers).get_json()
    with app.extensions["db"].unit_of_work() as session:
        frozen = session.get(Application, draft["id"]).snapshot
    # Whatever landed before the submission is in its snapshot; nothing landed after it.
    assert submitted["project_title"] == frozen["project_title"]
    assert frozen["project_title"] in {ANSWERS["project_title"], *(f"Title {n}" for n in range(RACERS - 1))}
