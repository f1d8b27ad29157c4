"""Each service's public address is the platform's one address plus the service's path, unless
its own <SERVICE>_PUBLIC_URL says otherwise."""
import pytest

from shared.core.config import load_settings, platform_public_url, service_path_prefix, service_public_url

VARIABLES = ("PUBLIC_URL", "PROXY_PORT", "GRANTS_PUBLIC_URL", "GRANTS_PATH_PREFIX", "CROWDFUNDING_PUBLIC_URL",
             "CROWDFUNDING_PATH_PREFIX", "NOTIFICATIONS_PUBLIC_URL", "NOTIFICATIONS_PATH_PREFIX")


@pytest.fixture(autouse=True)
def unset(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_by_default_every_service_is_under_the_proxy_at_its_french_path():
    assert platform_public_url() == "http://127.0.0.1:8000"
    assert [service_public_url(s) for s in ("grants", "crowdfunding", "notifications")] == [
        "http://127.0.0.1:8000/subventions",
        "http://127.0.0.1:8000/financement-participatif",
        "http://127.0.0.1:8000/messages",
    ]
    assert load_settings("grants").public_url == "http://127.0.0.1:8000/subventions"


def test_the_one_address_and_the_paths_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PROXY_PORT", "9000")
    assert service_public_url("grants") == "http://127.0.0.1:9000/subventions"
    monkeypatch.setenv("PUBLIC_URL", "https://tremplin.example.org/")
    monkeypatch.setenv("GRANTS_PATH_PREFIX", "aides/")
    assert service_path_prefix("grants") == "/aides"
    assert service_public_url("grants") == "https://tremplin.example.org/aides"
    # A service at the root of the address has no path.
    monkeypatch.setenv("CROWDFUNDING_PATH_PREFIX", "/")
    assert service_public_url("crowdfunding") == "https://tremplin.example.org"


def test_a_service_public_url_overrides_the_one_address(monkeypatch):
    monkeypatch.setenv("GRANTS_PUBLIC_URL", "https://aides.example.org/")
    assert service_public_url("grants") == "https://aides.example.org"
    monkeypatch.setenv("GRANTS_PUBLIC_URL", "")  # empty counts as unset (docker-compose passes it so)
    assert service_public_url("grants") == "http://127.0.0.1:8000/subventions"
