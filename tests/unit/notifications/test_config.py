"""The notifications service's own settings, read from the environment when used."""
import pytest

from services.notifications import config
from services.notifications.preferences import CATEGORIES, category_of
from services.notifications.rendering import KINDS
from services.notifications.schemas import PreferencesSchema
from shared.core.config import ROOT


def test_smtp_defaults_are_make_runs_local_server(monkeypatch):
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_USERNAME", "SMTP_PASSWORD",
                 "SMTP_CA_FILE", "MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)

    smtp = config.smtp_settings()

    assert (smtp.host, smtp.port, smtp.starttls, smtp.username, smtp.password) == ("127.0.0.1", 8025, False, None, None)
    assert smtp.ca_file is None
    assert config.mail_from() == "Tremplin <no-reply@tremplin.local>"


def test_smtp_settings_are_read_when_used(monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("SMTP_PORT", "587")
    monkeypatch.setenv("SMTP_STARTTLS", "true")
    monkeypatch.setenv("SMTP_USERNAME", "tremplin")
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("SMTP_CA_FILE", "/etc/tremplin/smtp-ca.pem")

    smtp = config.smtp_settings()

    assert (smtp.host, smtp.port, smtp.starttls, smtp.username, smtp.password) == (
        "smtp.example.org", 587, True, "tremplin", "s3cret"
    )
    assert smtp.ca_file == "/etc/tremplin/smtp-ca.pem"


def test_backoff_doubles_up_to_its_ceiling():
    policy = config.RetryPolicy(max_attempts=10, first_backoff=30, max_backoff=3600)

    assert [policy.backoff(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_retry_policy_defaults_try_for_hours(monkeypatch):
    for name in ("DELIVERY_MAX_ATTEMPTS", "DELIVERY_BACKOFF_SECONDS", "DELIVERY_MAX_BACKOFF_SECONDS"):
        monkeypatch.delenv(name)

    policy = config.retry_policy()

    waited = sum(policy.backoff(n) for n in range(1, policy.max_attempts))
    assert policy.max_attempts == 10
    assert 2 * 3600 < waited < 4 * 3600


def test_mailbox_directory_is_the_procfiles_one_relative_to_the_repository(monkeypatch):
    monkeypatch.delenv("MAILBOX_DIR", raising=False)
    assert config.mailbox_dir() == ROOT / "var" / "mail"
    monkeypatch.setenv("MAILBOX_DIR", "elsewhere/mail")
    assert config.mailbox_dir() == ROOT / "elsewhere" / "mail"
    monkeypatch.setenv("MAILBOX_DIR", "/srv/mail")
    assert str(config.mailbox_dir()) == "/srv/mail"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_transactional_kinds_have_no_category_and_others_have_one(kind):
    if KINDS[kind].transactional:
        assert category_of(kind) is None
    else:
        assert category_of(kind) in CATEGORIES


def test_every_category_is_a_preference_field():
    assert set(PreferencesSchema().fields) == set(CATEGORIES)
