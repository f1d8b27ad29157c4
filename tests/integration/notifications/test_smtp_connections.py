"""A worker thread keeps its connection to the mail server from one message to the next
(smtp.ConnectionPool), and opens a new one when the server closed it or something failed."""
import asyncio
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from services.notifications.smtp import ConnectionPool, PermanentDeliveryError, TemporaryDeliveryError

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


class DroppingInbox(CountingInbox):
    """A server that closes each connection after a message (as one closes idle connections),
    answers 421 to MAIL on a connection it is leaving, or drops the connection once it has read a
    message's DATA, before answering (the ambiguous case: it may have the message)."""

    def __init__(self, close_after_message=False, answer_421_on_mail=0, drop_on_data=False):
        super().__init__()
        self.close_after_message = close_after_message
        self.answer_421_on_mail = answer_421_on_mail
        self.drop_on_data = drop_on_data
        self.data_received = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.answer_421_on_mail:
            self.answer_421_on_mail -= 1
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.4.2 Idle for too long, closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_received += 1
        if self.drop_on_data:
            server.transport.close()
            return "250 2.0.0 OK"  # never reaches the client
        self.recipients.extend(envelope.rcpt_tos)
        if self.close_after_message:
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 2.0.0 OK"


def test_a_connection_the_server_closed_after_a_message_is_opened_again_without_a_check(smtp_server):
    inbox = DroppingInbox(close_after_message=True)
    port = smtp_server(inbox)
    pool = ConnectionPool()

    for number in range(3):
        send_with(pool, port, f"r{number}@example.org")
        time.sleep(0.1)  # the server's close has reached the client's socket

    # Each message after the first found its connection closed at MAIL, opened another, was sent once.
    assert inbox.recipients == [f"r{number}@example.org" for number in range(3)]
    assert inbox.data_received == 3 and pool.opened == 3 and inbox.greetings == 3
    pool.close()


def test_a_421_to_the_first_command_of_a_reused_connection_opens_another(smtp_server):
    inbox = DroppingInbox()
    port = smtp_server(inbox)
    pool = ConnectionPool()
    send_with(pool, port, "first@example.org")
    inbox.answer_421_on_mail = 1

    send_with(pool, port, "second@example.org")

    assert inbox.recipients == ["first@example.org", "second@example.org"]
    assert pool.opened == 2 and inbox.greetings == 2
    pool.close()


def test_a_new_connection_that_fails_so_too_is_a_temporary_failure(smtp_server):
    inbox = DroppingInbox()
    port = smtp_server(inbox)
    pool = ConnectionPool()
    send_with(pool, port, "first@example.org")
    inbox.answer_421_on_mail = 2  # the reused connection and the new one

    with pytest.raises(TemporaryDeliveryError, match="421"):
        send_with(pool, port, "second@example.org")

    assert inbox.recipients == ["first@example.org"] and pool.opened == 2


def test_a_connection_lost_after_the_message_was_sent_is_not_sent_again(smtp_server):
    # The server may have the message: trying again on a new connection could deliver it twice.
    inbox = DroppingInbox()
    port = smtp_server(inbox)
    pool = ConnectionPool()
    send_with(pool, port, "first@example.org")
    inbox.drop_on_data = True

    with pytest.raises(TemporaryDeliveryError):
        send_with(pool, port, "second@example.org")

    assert inbox.data_received == 2 and pool.opened == 1
    inbox.drop_on_data = False
    send_with(pool, port, "third@example.org")  # a new connection: the failed one is not reused
    assert inbox.recipients == ["first@example.org", "third@example.org"] and pool.opened == 2
    pool.close()
