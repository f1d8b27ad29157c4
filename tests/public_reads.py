"""What the tests of answers replayed from memory (shared.web.public_reads) share: whether a read
was replayed, and the wait for the moment the clock alone changes an answer."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

from tests.conftest import recorded_statements, wait_until


def listening(app) -> None:
    wait_until(lambda: app.extensions["public_reads"].changes.listening, timeout=10, message="the listener")


def read(app, client, path: str, **options) -> tuple[bool, object]:
    """One GET: whether it was replayed (no statement reached the database), and the answer."""
    with recorded_statements(app.extensions["db"].engine) as statements:
        answer = client.get(path, **options)
    return not statements, answer


def replayed_soon(app, client, path: str) -> object:
    """Reads until an answer is replayed (the notification of an earlier change may cost a read
    more); that answer."""
    answers = []

    def replayed() -> bool:
        was_replayed, answer = read(app, client, path)
        answers.append(answer)
        return was_replayed

    wait_until(replayed, timeout=5, message=f"a replay of {path}")
    return answers[-1]


def until_the_clock_reaches(moment: datetime, replayed_before: Callable[[], bool], what: str) -> None:
    """Waits for `replayed_before` (an answer replayed, as it reads before `moment`), then until
    `moment` has passed: what is read next is read after it."""
    wait_until(replayed_before, timeout=5, message=f"a replay of {what}")
    assert datetime.now(timezone.utc) < moment, "the machine took the whole three seconds: nothing was shown"
    time.sleep(max(0.0, (moment - datetime.now(timezone.utc)).total_seconds()) + 0.05)


def moved_elsewhere(engine, table: str, column: str, row_id: int, seconds: float = 3, **more) -> datetime:
    """Sets a row's instant `column` to `seconds` from now (and any `more` columns) through
    `engine`'s own connection, as another process would: that instant."""
    from datetime import timedelta

    from sqlalchemy import text

    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    assignments = ", ".join(f"{name} = :{name}" for name in (column, *more))
    with engine.connect() as connection:
        connection.execute(text(f"UPDATE {table} SET {assignments} WHERE id = :id"), {column: moment, **more, "id": row_id})
    return moment
