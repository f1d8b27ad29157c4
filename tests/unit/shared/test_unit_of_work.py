"""The unit of work on an in-memory SQLite database: no server needed."""
import pytest
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.core.db import Database, unit_of_work


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(20))


@pytest.fixture
def database():
    database = Database("sqlite://")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def _texts(database):
    with database.unit_of_work() as session:
        return sorted(note.text for note in session.query(Note))


def test_two_use_cases_share_one_commit(database):
    session = database.Session()
    with unit_of_work(session):
        session.add(Note(text="decision"))
        with unit_of_work(session):  # a use case opening its own block joins the outer one
            session.add(Note(text="award"))
        assert _texts(database) == []  # nothing committed before the outer block ends
    assert _texts(database) == ["award", "decision"]
    session.close()


def test_an_error_anywhere_rolls_back_everything(database):
    session = database.Session()
    with pytest.raises(RuntimeError):
        with unit_of_work(session):
            session.add(Note(text="decision"))
            with unit_of_work(session):
                session.add(Note(text="award"))
                raise RuntimeError("refused")
    assert _texts(database) == []
    session.close()
