"""The SMTP adapter: hands one message to the configured mail server.

Failures come out as one of two errors so that the caller knows what to do with
the message: TemporaryDeliveryError (try again later) or PermanentDeliveryError
(the server said no for good; retrying would give the same answer).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None
    timeout: float = 10
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


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    try:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except smtplib.SMTPResponseException as error:
        raise _answer_error("greeting", error.smtp_code, error.smtp_error) from error
    except OSError as error:
        raise TemporaryDeliveryError(
            f"cannot connect to {settings.host}:{settings.port}: {_describe(error)}"
        ) from error

    try:
        if settings.starttls:
            client.starttls(context=ssl.create_default_context(cafile=settings.ca_file))
        if settings.username:
            client.login(settings.username, settings.password or "")
        refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise _refused_recipients_error(error.recipients) from error
    except smtplib.SMTPResponseException as error:
        # Covers sender refused, data refused, authentication and HELO answers.
        raise _answer_error(_stage(error), error.smtp_code, error.smtp_error) from error
    except OSError as error:
        # Every other smtplib error is an OSError too: disconnections, timeouts,
        # TLS failures, an extension the server does not offer.
        raise TemporaryDeliveryError(
            f"SMTP conversation with {settings.host}:{settings.port} failed: {_describe(error)}"
        ) from error
    finally:
        _close(client)

    if refused:
        # Some recipients accepted, others not: the message went out, so retrying
        # would send it twice to those who got it. Report, never retry.
        raise _refused_recipients_error(refused, retryable=False)


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
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
