import pytest

from tests.integration.grants import applicant_setup


@pytest.fixture
def manager(grants_app):
    """The fund manager's Authorization header."""
    return applicant_setup.manager(grants_app)
