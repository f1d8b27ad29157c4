import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.notifications.rendering import render_email
from services.notifications.smtp import (
    DeliveryError,
    PermanentDeliveryError,
    SmtpSettings,
    TemporaryDeliveryError,
    send,
)

from tests.conftest import free_port


class RecordingHandler:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((session.authenticated, envelope))
        return "250 2.0.0 OK"


class RecipientAnswer:
    def __init__(self, answer):
        self.answer = answer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return self.answer


class DataAnswer:
    def __init__(self, answer):
        self.answer = answer

    async def handle_DATA(self, server, session, envelope):
        return self.answer


class SenderAnswer:
    def __init__(self, answer):
        self.answer = answer

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        return self.answer


def settings(port, **changes):
    values = {"host": "127.0.0.1", "port": port, "starttls": False, "username": None,
              "password": None, "timeout": 5}
    values.update(changes)
    return SmtpSettings(**values)


def reset_message(language="en", recipient="ana@example.org"):
    return render_email(
        "password_reset", language, {"reset_url": "https://tremplin.local/reset/xyz"},
        sender="no-reply@tremplin.local", recipient=recipient, recipient_name="Ana",
        unsubscribe_url=None,
    )


def test_sent_message_arrives_with_both_parts_in_its_language(smtp_server):
    handler = RecordingHandler()
    port = smtp_server(handler)

    send(settings(port), reset_message("en"))

    [(_, envelope)] = handler.envelopes
    assert envelope.mail_from == "no-reply@tremplin.local"
    assert envelope.rcpt_tos == ["ana@example.org"]
    received = message_from_bytes(envelope.original_content, policy=policy.default)
    assert received["Subject"] == "Reset your Tremplin password"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "To choose a new password, open this link:" in text
    assert "https://tremplin.local/reset/xyz" in text
    assert '<html lang="en">' in html
    assert 'href="https://tremplin.local/reset/xyz"' in html


def test_french_message_arrives_in_french(smtp_server):
    handler = RecordingHandler()
    port = smtp_server(handler)

    send(settings(port), reset_message("fr"))

    received = message_from_bytes(handler.envelopes[0][1].original_content, policy=policy.default)
    assert received["Subject"] == "Réinitialisation de votre mot de passe Tremplin"
    assert received["Content-Language"] == "fr"
    assert "Pour choisir un nouveau mot de passe" in received.get_body(("plain",)).get_content()


def test_login_is_used_when_configured(smtp_server):
    handler = RecordingHandler()

    def authenticator(server, session, envelope, mechanism, auth_data):
        valid = auth_data == LoginPassword(b"tremplin", b"s3cret")
        return AuthResult(success=valid)

    port = smtp_server(handler, authenticator=authenticator, auth_require_tls=False)

    send(settings(port, username="tremplin", password="s3cret"), reset_message())

    [(authenticated, _)] = handler.envelopes
    assert authenticated is True


def test_refused_recipient_is_permanent_with_the_server_text(smtp_server):
    port = smtp_server(RecipientAnswer("550 5.1.1 No such user"))

    with pytest.raises(PermanentDeliveryError) as raised:
        send(settings(port), reset_message(recipient="nobody@example.org"))

    assert "550 5.1.1 No such user" in raised.value.reason
    assert "nobody@example.org" in raised.value.reason
    assert isinstance(raised.value, DeliveryError)


def test_recipient_deferred_is_temporary_with_the_server_text(smtp_server):
    port = smtp_server(RecipientAnswer("451 4.3.0 Try later"))

    with pytest.raises(TemporaryDeliveryError) as raised:
        send(settings(port), reset_message())

    assert "451 4.3.0 Try later" in raised.value.reason


@pytest.mark.parametrize(
    "answer, error",
    [
        ("554 5.6.0 Message content rejected", PermanentDeliveryError),
        ("452 4.3.1 Insufficient system storage", TemporaryDeliveryError),
    ],
)
def test_refused_data_is_classified_by_its_code(smtp_server, answer, error):
    port = smtp_server(DataAnswer(answer))

    with pytest.raises(error) as raised:
        send(settings(port), reset_message())

    assert answer in raised.value.reason


@pytest.mark.parametrize(
    "answer, error",
    [
        ("553 5.7.1 Sender address rejected", PermanentDeliveryError),
        ("421 4.7.0 Too many connections", TemporaryDeliveryError),
    ],
)
def test_refused_sender_is_classified_by_its_code(smtp_server, answer, error):
    port = smtp_server(SenderAnswer(answer))

    with pytest.raises(error) as raised:
        send(settings(port), reset_message())

    assert answer.split(" ", 1)[1] in raised.value.reason
    assert answer.split(" ", 1)[0] in raised.value.reason


def test_closed_port_is_temporary():
    port = free_port()  # nothing listens there once the probe is closed

    with pytest.raises(TemporaryDeliveryError) as raised:
        send(settings(port), reset_message())

    assert f"127.0.0.1:{port}" in raised.value.reason
    assert "ConnectionRefusedError" in raised.value.reason


def test_server_that_never_greets_is_a_temporary_timeout():
    # A listening socket nobody accepts from: the connection opens, no greeting comes.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]

        with pytest.raises(TemporaryDeliveryError) as raised:
            send(settings(port, timeout=0.3), reset_message())

    assert "timed out" in raised.value.reason.lower()
