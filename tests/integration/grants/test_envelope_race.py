"""The envelope under concurrency: awards granted at the same moment through the API, each
request in its own thread with its own database connection, whose sum exceeds the envelope.
Exactly those that fit are granted; the others get 409 saying how much is left, and nothing of
them is written. On PostgreSQL the fund's row lock serialises them; on SQLite (`make run`) the
write lock each transaction takes when it begins does."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from services.grants.app import create_app
from services.grants.config import MIGRATIONS_DIR
from services.grants.models import Award, AwardTranche, Fund
from shared.core.migrations import upgrade
from tests.integration.grants.applicant_setup import manager
from tests.integration.grants.award_setup import grant, reviewed_call
from tests.integration.shared.test_concurrent_writes import at_once

ENVELOPE = 5_000_000
# Eight awards, €75,200 in all, for an envelope of €50,000.
AMOUNTS = [950_000, 900_000, 1_000_000, 870_000, 990_000, 940_000, 980_000, 890_000]


@pytest.fixture(params=["postgresql", "sqlite"])
def app(request, tmp_path, monkeypatch, databases):
    monkeypatch.setenv("GRANTS_DOCUMENTS_DIR", str(tmp_path / "documents"))
    config = {"TESTING": True}
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'grants.db'}"
        upgrade(MIGRATIONS_DIR, url)
        config["SETTINGS_OVERRIDES"] = {"database_url": url}
    app = create_app(config)
    yield app
    app.extensions["db"].dispose()


def _requested(app, amounts):
    """Each application asks for the amount it will be granted (its award is at most that)."""
    from services.grants.models import Application

    with app.extensions["db"].unit_of_work() as session:
        for application, amount in zip(session.scalars(select(Application).order_by(Application.id)), amounts):
            application.snapshot = {**application.snapshot, "requested_cents": amount}


def test_parallel_awards_never_take_the_fund_past_its_envelope(app):
    call = reviewed_call(app, [f"Projet {n}" for n in range(len(AMOUNTS))], reviewed=False)
    _requested(app, AMOUNTS)
    with app.extensions["db"].unit_of_work() as session:
        session.execute(update(Fund).values(envelope_cents=ENVELOPE, grants_objective=10))
    headers = manager(app)

    def granting(application_id, amount):
        return lambda: grant(app.test_client(), headers, application_id, amount)

    answers = at_once(*[granting(application_id, amount) for application_id, amount in zip(call.applications, AMOUNTS)])

    granted = [amount for amount, answer in zip(AMOUNTS, answers) if answer.status_code == 201]
    refused = [(amount, answer.get_json()) for amount, answer in zip(AMOUNTS, answers) if answer.status_code != 201]
    assert all(body["code"] == 409 for _amount, body in refused), refused
    assert sum(granted) <= ENVELOPE
    left = ENVELOPE - sum(granted)
    # Exactly those that fit: each refused award was larger than what was left when it was
    # judged, and what is left only shrinks, so it is larger than what is left now.
    assert all(amount > left for amount, _body in refused)
    assert len(granted) == 5 and refused  # with these amounts, five fit whatever the order
    for amount, body in refused:
        said = body["errors"]["json"]["amount_cents"][0]
        assert said.startswith("This award would take the fund past its envelope: €") and said.endswith(" left.")
    with app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.coalesce(func.sum(Award.amount_cents), 0))) == sum(granted)
        assert session.scalar(select(func.count()).select_from(Award)) == len(granted)
        # No tranche of a refused award was left behind.
        assert session.scalar(select(func.count()).select_from(AwardTranche)) == 2 * len(granted)
    board = app.test_client().get(f"/api/manage/calls/{call.call_id}/awards", headers=headers).get_json()
    assert (board["committed_cents"], board["remaining_cents"]) == (sum(granted), left)


def test_two_managers_granting_one_application_at_once_make_one_award(app):
    call = reviewed_call(app, ["Tournée des Volcans"], reviewed=False)
    first, second = manager(app), {**manager(app)}

    def granting(headers):
        return lambda: grant(app.test_client(), headers, call.applications[0], 800_000).status_code

    statuses = at_once(*[granting(headers) for headers in (first, second, first, second)])
    assert sorted(statuses) == [200, 200, 200, 201]
    with app.extensions["db"].unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Award)) == 1
