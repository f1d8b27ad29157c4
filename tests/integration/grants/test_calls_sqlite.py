"""Calls kept in SQLite (make run): a real database file, so an integration test."""
from sqlalchemy import select

from services.grants.calls import accepts_applications
from services.grants.models import Base, Call, Fund
from shared.core.db import CoreBase, Database
from tests.unit.grants.test_calls import CLOSES, OPENS, _call


def test_times_read_back_from_sqlite_are_utc(tmp_path):
    # SQLite keeps no time zone (make run); the column type gives the times back aware.
    database = Database(f"sqlite:///{tmp_path / 'grants.db'}")
    CoreBase.metadata.create_all(database.engine)
    Base.metadata.create_all(database.engine)
    with database.unit_of_work() as session:
        fund = Fund(name="Fonds", year=2026, envelope_cents=5_000_000, grants_objective=5)
        session.add(_call(fund=fund, title_fr="Appel", description_fr="Pour tous."))
    with database.unit_of_work() as session:
        call = session.scalars(select(Call)).one()
        assert accepts_applications(call, OPENS) and not accepts_applications(call, CLOSES)
    database.dispose()
