"""A worker thread keeps its connection to the mail server from one message to the next
(smtp.ConnectionPool), and opens a new one when the server closed it or something failed."""
import threading

import pytest
from aiosmtpd.controller import Controller

from services.notifications.smtp import ConnectionPool, PermanentDeliveryError

from tests.conftest import free_port
from tests.integration.notifications.test_smtp import reset_message, settings


class CountingInbox:
    """Counts greetings (one per connection) and keeps every accepted message's recipients."""

    def __init__(self, refuse: str | None = None):
        self.greetings = 0
        self.recipients = []
        self.refuse = refuse

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.recipients.extend(envelope.rcpt_tos)
        return "250 2.0.0 OK"


def send_with(pool, port, recipient):
    with pool.session(settings(port), time_limit=10) as server:
        server.send(reset_message(recipient=recipient))


def test_messages_of_one_thread_share_one_connection(smtp_server):
    inbox = CountingInbox()
    port = smtp_server(inbox)
    pool = ConnectionPool()

    for number in range(5):
        send_with(pool, port, f"r{number}@example.org")

    assert inbox.recipients == [f"r{number}@example.org" for number in range(5)]
    assert pool.opened == 1 and inbox.greetings == 1
    pool.close()


def test_each_thread_has_its_own_connection(smtp_server):
    inbox = CountingInbox()
    port = smtp_server(inbox)
    pool = ConnectionPool()

    def three(thread):
        for number in range(3):
            send_with(pool, port, f"t{thread}-{number}@example.org")
        pool.close()

    threads = [threading.Thread(target=three, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(inbox.recipients) == sorted(f"t{t}-{n}@example.org" for t in range(2) for n in range(3))
    assert pool.opened == 2 and inbox.greetings == 2


def test_a_connection_the_server_closed_is_opened_again_and_the_message_sent_once():
    port = free_port()
    first, second = CountingInbox(), CountingInbox()
    controller = Controller(first, hostname="127.0.0.1", port=port)
    controller.start()
    pool = ConnectionPool()
    send_with(pool, port, "before@example.org")
    controller.stop()  # the server goes away, and the pool's connection with it
    controller = Controller(second, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        send_with(pool, port, "after@example.org")
    finally:
        pool.close()
        controller.stop()

    assert first.recipients == ["before@example.org"] and second.recipients == ["after@example.org"]
    assert pool.opened == 2 and second.greetings == 1


def test_a_connection_that_failed_is_not_reused(smtp_server):
    inbox = CountingInbox(refuse="nobody@example.org")
    port = smtp_server(inbox)
    pool = ConnectionPool()
    send_with(pool, port, "first@example.org")

    with pytest.raises(PermanentDeliveryError):
        send_with(pool, port, "nobody@example.org")
    send_with(pool, port, "next@example.org")

    assert inbox.recipients == ["first@example.org", "next@example.org"]
    assert pool.opened == 2 and inbox.greetings == 2
    pool.close()


def test_a_connection_idle_too_long_is_replaced(smtp_server):
    inbox = CountingInbox()
    port = smtp_server(inbox)
    pool = ConnectionPool(max_idle_seconds=0)

    send_with(pool, port, "a@example.org")
    send_with(pool, port, "b@example.org")

    assert inbox.recipients == ["a@example.org", "b@example.org"] and pool.opened == 2
    pool.close()
