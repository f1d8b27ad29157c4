"""The browser tests' platform says why it could not start, and leaves nothing running."""
import pytest

from tests.e2e.platform import Platform


def test_a_platform_that_cannot_start_names_the_process_and_its_output(tmp_path, monkeypatch):
    monkeypatch.setenv("GRANTS_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tremplin_no_such_database")
    platform = Platform(tmp_path, processes=("grants", "mail"))
    with pytest.raises(RuntimeError) as failure:
        platform.start(timeout=60)
    message = str(failure.value)
    assert message.startswith("processes ended: {'grants': 1}")
    assert "--- grants ---" in message and "tremplin_no_such_database" in message
    # The mail server, which did start, was stopped with the rest.
    assert set(platform.processes) == {"grants", "mail"}
    assert all(process.poll() is not None for process in platform.processes.values())
