"""Browser tests run against the platform's own processes (tests/e2e/platform.py)."""
import pytest

from tests.e2e.platform import Platform


@pytest.fixture(scope="package")
def platform(databases, tmp_path_factory):
    """The platform's processes on the test databases, started once for this package's tests.

    Each test's `clean_state` empties the databases under the running processes. They stop when
    the package's last test ends: a relay and a worker still running would take the events and
    messages of the other end-to-end tests, which run their own.
    """
    running = Platform(tmp_path_factory.mktemp("platform")).start()
    yield running
    running.stop()
