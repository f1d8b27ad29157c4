import pytest


@pytest.fixture
def accounts(accounts_app):
    return accounts_app.test_client()
