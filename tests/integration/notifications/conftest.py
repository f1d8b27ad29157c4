import pytest


@pytest.fixture
def db(notifications_app):
    return notifications_app.extensions["db"]


@pytest.fixture
def client(notifications_app):
    return notifications_app.test_client()
