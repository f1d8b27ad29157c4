import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port  # noqa: F401  (the notifications tests take it from here)


@pytest.fixture
def smtp_server():
    """Start a real aiosmtpd server around a handler; returns its port."""
    controllers = []

    def start(handler, **smtp_parameters) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_parameters)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


class Inbox:
    """An aiosmtpd handler that keeps what it accepts, and can be told to refuse recipients."""

    def __init__(self, recipient_answer: str | None = None):
        self.recipient_answer = recipient_answer
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.recipient_answer:
            return self.recipient_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 2.0.0 OK"


@pytest.fixture
def inbox(smtp_server, monkeypatch):
    """A real SMTP server the notifications service sends to (through its environment)."""
    handler = Inbox()
    monkeypatch.setenv("SMTP_PORT", str(smtp_server(handler)))
    return handler
