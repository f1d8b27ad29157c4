"""Integration tests run against real PostgreSQL databases and Redis (tests/real_services.py)."""
import pytest


@pytest.fixture(autouse=True)
def _starts_clean(clean_state):
    """Every test leaves empty tables and an empty queue namespace to the next."""
