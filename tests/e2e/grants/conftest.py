from tests.integration.notifications.conftest import inbox, smtp_server  # noqa: F401  (fixtures)
