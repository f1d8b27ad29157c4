"""The fuzz tests send requests to the service apps over WSGI, against real PostgreSQL databases
and Redis (tests/real_services.py)."""
import pytest


@pytest.fixture(autouse=True)
def _starts_clean(clean_state):
    """Every test leaves empty tables and an empty queue namespace to the next."""
