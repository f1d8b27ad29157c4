import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.notifications.devsmtp import MailDirectory, list_messages, read_message
from services.notifications.rendering import render_email
from services.notifications.smtp import SmtpSettings, send

from tests.conftest import free_port

REPOSITORY = Path(__file__).resolve().parents[3]


def confirmation(recipient, language="fr"):
    return render_email(
        "account_confirmation",
        language,
        {"confirm_url": f"https://tremplin.local/confirm/{recipient}"},
        sender="no-reply@tremplin.local", recipient=recipient, recipient_name="Léa",
        unsubscribe_url=None,
    )


def test_received_messages_are_stored_and_read_back(smtp_server, tmp_path):
    mail = tmp_path / "mail"
    port = smtp_server(MailDirectory(mail))

    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.send_message(confirmation("first@example.org", "fr"))
        # Bcc'd: only the envelope knows this recipient.
        client.send_message(
            confirmation("second@example.org", "en"),
            to_addrs=["second@example.org", "audit@example.org"],
        )

    stored = sorted(path.name for path in mail.iterdir())
    assert len(stored) == 2
    assert all(name.endswith(".eml") for name in stored)  # no temporary file left behind

    messages = list_messages(mail)
    assert [message["to"] for message in messages] == [
        "Léa <second@example.org>",
        "Léa <first@example.org>",
    ]
    newest, oldest = messages
    assert newest["id"] > oldest["id"]
    assert newest["subject"] == "Confirm your email address on Tremplin"
    assert oldest["subject"] == "Confirmez votre adresse e-mail sur Tremplin"
    assert newest["from"] == "Tremplin <no-reply@tremplin.local>"
    assert newest["date"]
    assert abs(newest["received_at"] - datetime.now(timezone.utc)) < timedelta(minutes=1)

    message = read_message(mail, newest["id"])
    assert message["Return-Path"] == "<no-reply@tremplin.local>"
    assert message["X-Envelope-To"] == "second@example.org, audit@example.org"
    text = message.get_body(("plain",)).get_content()
    assert "https://tremplin.local/confirm/second@example.org" in text
    assert 'lang="en"' in message.get_body(("html",)).get_content()


def test_our_smtp_adapter_delivers_to_it(smtp_server, tmp_path):
    port = smtp_server(MailDirectory(tmp_path))

    settings = SmtpSettings("127.0.0.1", port, starttls=False, username=None, password=None)

    send(settings, confirmation("ana@example.org"))

    [listed] = list_messages(tmp_path)
    assert read_message(tmp_path, listed["id"])["To"] == "Léa <ana@example.org>"


@pytest.mark.parametrize(
    "message_id",
    [
        "../secret",
        "../../etc/passwd",
        "/etc/passwd",
        "sub/message",
        "..",
        ".",
        "",
        "message.eml",
        "a\x00b",
    ],
)
def test_ids_that_are_not_plain_message_names_are_refused(tmp_path, message_id):
    mail = tmp_path / "mail"
    mail.mkdir()
    (tmp_path / "secret.eml").write_text("Subject: not yours\n\nsecret\n")

    with pytest.raises(ValueError):
        read_message(mail, message_id)


def test_unknown_id_is_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_message(tmp_path, "20260101T000000000000Z-" + "0" * 32)


def test_missing_directory_lists_nothing(tmp_path):
    assert list_messages(tmp_path / "never-created") == []


def test_files_that_are_not_stored_messages_are_not_listed(smtp_server, tmp_path):
    port = smtp_server(MailDirectory(tmp_path))
    (tmp_path / "notes.eml").write_text("Subject: hand made\n\nhello\n")
    (tmp_path / ".20260101T000000000000Z-abc.tmp").write_text("half a message")

    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.send_message(confirmation("ana@example.org"))

    assert [message["subject"] for message in list_messages(tmp_path)] == [
        "Confirmez votre adresse e-mail sur Tremplin"
    ]


def wait_for_port(port, process, deadline=10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert process.poll() is None, process.stderr.read()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"devsmtp did not listen on {port}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_module_runs_as_a_server_until_signalled(tmp_path, stop_signal):
    port = free_port()
    mail = tmp_path / "var" / "mail"
    process = subprocess.Popen(
        [sys.executable, "-m", "services.notifications.devsmtp", "--host", "127.0.0.1",
         "--port", str(port), "--dir", str(mail)],
        cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_for_port(port, process)
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.send_message(confirmation("ana@example.org"))
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, stderr
    assert f"listening on 127.0.0.1:{port}" in stdout
    assert "stopped" in stdout
    [listed] = list_messages(mail)
    assert listed["subject"] == "Confirmez votre adresse e-mail sur Tremplin"
