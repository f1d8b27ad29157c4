"""The SMTP adapter: hands one message to the configured mail server.

Failures come out as one of two errors so that the caller knows what to do with
the message: TemporaryDeliveryError (try again later) or PermanentDeliveryError
(the server said no for good; retrying would give the same answer).

`session` lets the caller record a message as sent between the server's acceptance and the
goodbye (QUIT), so that nothing but the server's own "250" and that record is left in the
window where a crash sends a message twice.

`ConnectionPool` keeps one open connection per thread (a worker's thread sends one message at a
time) and hands it to the next message of that thread: connecting, greeting, STARTTLS and
signing in are paid once, not per message. A connection idle too long is opened anew. A
connection taken again is not checked first (a NOOP was a round trip per message): when the
server has closed it meanwhile (servers close idle connections, restart), the message's first
command (MAIL) finds it closed, or answered 421, before the server accepted anything of the
message, so the connection is opened anew and the message sent on it, once. A failure later in
the exchange is never retried here: the server may have the message. A connection that failed
in any way is closed, never reused.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Callable, Iterator


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None
    # Seconds to wait for each answer of the server...
    timeout: float = 10
    # ...except the answer to the end of a message: the server may be storing or scanning it,
    # and a client that gives up then sends the message a second time when it tries again
    # (RFC 5321 4.5.3.2.6 gives servers up to 10 minutes there).
    data_timeout: float = 60
    # A CA bundle (PEM) to trust for STARTTLS instead of the system's, e.g. a private CA.
    # The certificate and its host name are verified either way.
    ca_file: str | None = None


class DeliveryError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TemporaryDeliveryError(DeliveryError):
    pass


class PermanentDeliveryError(DeliveryError):
    pass


class _Client(smtplib.SMTP):
    """smtplib's client, waiting `data_timeout` for the answer to a message's end and
    `timeout` for every other answer, and never past `deadline` (time.monotonic()) in all."""

    def __init__(self, settings: SmtpSettings, deadline: float):
        self._deadline = deadline
        # The command of a message's exchange under way: "mail", "rcpt" or "data".
        self.stage: str | None = None
        self._settings = settings
        self._answer_timeout = settings.timeout
        self._data_timeout = settings.data_timeout
        super().__init__(timeout=settings.timeout)
        self._host = settings.host  # the name STARTTLS verifies the certificate against

    def give_until(self, deadline: float) -> None:
        """The next exchange on this connection ends by `deadline` (time.monotonic())."""
        self._deadline = deadline

    def _limit(self, seconds: float) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the SMTP exchange ran out of time")
        if self.sock is not None:
            self.sock.settimeout(min(seconds, remaining))

    def send(self, s):
        self._limit(self.timeout)
        return super().send(s)

    def getreply(self):
        self._limit(self._answer_timeout)
        return super().getreply()

    def mail(self, sender, options=()):
        self.stage = "mail"
        return super().mail(sender, options)

    def rcpt(self, recip, options=()):
        self.stage = "rcpt"
        return super().rcpt(recip, options)

    def data(self, msg):
        self.stage = "data"
        self._answer_timeout = self._data_timeout
        try:
            return super().data(msg)
        finally:
            self._answer_timeout = self.timeout


class MailServer:
    """An open, greeted (and signed-in) SMTP connection.

    `reopen`, given for a connection used before, opens a new one when this one turns out to
    have been closed by the server before it accepted anything of a message (see the module).
    """

    def __init__(self, client: _Client, settings: SmtpSettings, reopen: Callable[[], _Client] | None = None):
        self._client = client
        self._settings = settings
        self._reopen = reopen

    @property
    def client(self) -> _Client:
        return self._client

    def send(self, message: EmailMessage) -> None:
        """Returns once the server has accepted the message for every recipient."""
        self._transfer(lambda client: client.send_message(message))

    def send_bytes(self, sender: str, recipients: list[str], data: bytes) -> None:
        """`send` for a message already written (lines ended by CRLF), to ASCII addresses."""
        self._transfer(lambda client: client.sendmail(sender, recipients, data))

    def _transfer(self, exchange: Callable[[_Client], dict]) -> None:
        try:
            try:
                refused = exchange(self._client)
            except (smtplib.SMTPSenderRefused, OSError) as error:
                if not (self._reopen is not None and _closed_before_mail(self._client, error)):
                    raise
                self._client = self._reopen()
                self._reopen = None  # once: a new connection that fails so is a failure
                refused = exchange(self._client)
        except smtplib.SMTPRecipientsRefused as error:
            raise _refused_recipients_error(error.recipients) from error
        except smtplib.SMTPResponseException as error:
            # Covers sender refused, data refused and HELO answers.
            raise _answer_error(_stage(error), error.smtp_code, error.smtp_error) from error
        except OSError as error:
            # Every other smtplib error is an OSError too: disconnections, timeouts.
            raise _conversation_error(self._settings, error) from error
        if refused:
            # Some recipients accepted, others not: the message went out, so retrying
            # would send it twice to those who got it. Report, never retry.
            raise _refused_recipients_error(refused, retryable=False)


def _closed_before_mail(client: _Client, error: Exception) -> bool:
    """The server had closed the connection (or was closing it: 421) before the message's
    first command was answered: it has nothing of the message, which may be sent again."""
    if client.stage != "mail":
        return False
    if isinstance(error, smtplib.SMTPSenderRefused):
        return error.smtp_code == 421
    return isinstance(error, (smtplib.SMTPServerDisconnected, ConnectionError))


def _deadline(time_limit: float | None) -> float:
    return time.monotonic() + (time_limit if time_limit is not None else float("inf"))


def _open(settings: SmtpSettings, deadline: float) -> _Client:
    """A connected, greeted (STARTTLS, signed-in) client, or the DeliveryError of why not."""
    client = _Client(settings, deadline)
    try:
        code, answer = client.connect(settings.host, settings.port)
    except smtplib.SMTPResponseException as error:
        _close(client)
        raise _answer_error("greeting", error.smtp_code, error.smtp_error) from error
    except OSError as error:
        _close(client)
        raise TemporaryDeliveryError(
            f"cannot connect to {settings.host}:{settings.port}: {_describe(error)}"
        ) from error
    try:
        if code != 220:
            raise _answer_error("greeting", code, answer)
        try:
            if settings.starttls:
                client.starttls(context=ssl.create_default_context(cafile=settings.ca_file))
            if settings.username:
                client.login(settings.username, settings.password or "")
        except smtplib.SMTPResponseException as error:
            raise _answer_error(_stage(error), error.smtp_code, error.smtp_error) from error
        except OSError as error:
            # TLS failures, an extension the server does not offer, disconnections, timeouts.
            raise _conversation_error(settings, error) from error
    except BaseException:
        _close(client)
        raise
    return client


@contextmanager
def session(settings: SmtpSettings, time_limit: float | None = None) -> Iterator[MailServer]:
    """Connect, STARTTLS and sign in; QUIT when the block ends. The whole exchange, QUIT
    aside, ends within `time_limit` seconds (a TemporaryDeliveryError past it)."""
    client = _open(settings, _deadline(time_limit))
    try:
        yield MailServer(client, settings)
    finally:
        _close(client)


@dataclass
class _Held:
    client: _Client
    settings: SmtpSettings
    used_at: float


class ConnectionPool:
    """One open connection per thread, reused from one message to the next (see the module)."""

    def __init__(self, max_idle_seconds: float = 60):
        self.max_idle_seconds = max_idle_seconds
        self._local = threading.local()
        self.opened = 0  # connections opened, all threads together (read by the tests and benches)
        self._count_lock = threading.Lock()

    @contextmanager
    def session(self, settings: SmtpSettings, time_limit: float | None = None) -> Iterator[MailServer]:
        """As `session`, on this thread's connection when it has one; the connection stays open
        for the thread's next message unless something failed."""
        deadline = _deadline(time_limit)
        held: _Held | None = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and not self._reusable(held, settings):
            _close(held.client)
            held = None
        reopen = None
        if held is None:
            held = _Held(self._open(settings, deadline), settings, time.monotonic())
        else:
            held.client.give_until(deadline)
            held.client.stage = None

            def reopen() -> _Client:
                _close(held.client)
                held.client = self._open(settings, deadline)
                return held.client
        server = MailServer(held.client, settings, reopen)
        try:
            yield server
        except BaseException:
            # Whatever failed, the conversation's state is unknown: the next message starts afresh.
            _close(server.client)
            raise
        held.client = server.client
        held.used_at = time.monotonic()
        self._local.held = held

    def _open(self, settings: SmtpSettings, deadline: float) -> _Client:
        client = _open(settings, deadline)
        with self._count_lock:
            self.opened += 1
        return client

    def _reusable(self, held: _Held, settings: SmtpSettings) -> bool:
        return held.settings == settings and time.monotonic() - held.used_at <= self.max_idle_seconds

    def close(self) -> None:
        """Say goodbye on this thread's connection, if it has one."""
        held: _Held | None = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None:
            _close(held.client)


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    with session(settings) as server:
        server.send(message)


def _conversation_error(settings: SmtpSettings, error: OSError) -> TemporaryDeliveryError:
    return TemporaryDeliveryError(
        f"SMTP conversation with {settings.host}:{settings.port} failed: {_describe(error)}"
    )


def _answer_error(stage: str, code: int, text: bytes | str) -> DeliveryError:
    reason = f"{stage}: {code} {_text(text)}"
    if 500 <= code <= 599:
        return PermanentDeliveryError(reason)
    return TemporaryDeliveryError(reason)


def _refused_recipients_error(
    recipients: dict[str, tuple[int, bytes]], *, retryable: bool = True
) -> DeliveryError:
    reason = "recipient refused: " + "; ".join(
        f"{address}: {code} {_text(text)}" for address, (code, text) in recipients.items()
    )
    # Only worth retrying when some refusal is temporary (4xx).
    if retryable and any(not 500 <= code <= 599 for code, _ in recipients.values()):
        return TemporaryDeliveryError(reason)
    return PermanentDeliveryError(reason)


def _stage(error: smtplib.SMTPResponseException) -> str:
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"sender {error.sender} refused"
    if isinstance(error, smtplib.SMTPDataError):
        return "message refused"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "authentication refused"
    if isinstance(error, smtplib.SMTPHeloError):
        return "HELO refused"
    return "SMTP answer"


def _text(text: bytes | str) -> str:
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    return text


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _close(client: smtplib.SMTP) -> None:
    # The message is already accepted or already failed by now; a bad answer to
    # QUIT must not change that outcome.
    try:
        if client.sock is not None:
            client.sock.settimeout(client.timeout)
            client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
