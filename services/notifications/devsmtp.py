"""The project's own local SMTP server for `make run`: it keeps every message it
receives as a .eml file so that a developer can read what the platform sent.

    python -m services.notifications.devsmtp --host 127.0.0.1 --port 8025 --dir var/mail
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import threading
import uuid
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller

# "<UTC time to the microsecond>-<uuid4 hex>": sorts by arrival, never collides.
_MESSAGE_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{32}$")
_SUFFIX = ".eml"


class MailDirectory:
    """aiosmtpd handler that stores each received message in `directory`."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    async def handle_DATA(self, server, session, envelope) -> str:
        message_id = store_message(
            self.directory, envelope.original_content, envelope.mail_from, envelope.rcpt_tos
        )
        return f"250 2.0.0 Stored as {message_id}"


def store_message(
    directory: str | os.PathLike, content: bytes, mail_from: str, rcpt_tos: list[str]
) -> str:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    received_at = datetime.now(timezone.utc)
    message_id = f"{received_at:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex}"
    # The envelope says who the message was really for (Bcc included), which
    # the headers do not; keep it as the first lines, as a mail server would.
    envelope_lines = (
        f"Return-Path: <{mail_from}>\r\n"
        f"X-Envelope-To: {', '.join(rcpt_tos)}\r\n"
    ).encode("utf-8", errors="surrogateescape")
    # Write then rename, so that a reader never sees half a message.
    temporary = directory / f".{message_id}.tmp"
    temporary.write_bytes(envelope_lines + content)
    os.replace(temporary, directory / f"{message_id}{_SUFFIX}")
    return message_id


def list_messages(directory: str | os.PathLike) -> list[dict]:
    """Stored messages, newest first: id, subject, from, to, date, received_at."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    parser = BytesHeaderParser(policy=policy.default)
    messages = []
    for path in directory.glob(f"*{_SUFFIX}"):
        message_id = path.name.removesuffix(_SUFFIX)
        if not _MESSAGE_ID.match(message_id):
            continue
        with path.open("rb") as file:
            headers = parser.parse(file)
        messages.append(
            {
                "id": message_id,
                "subject": str(headers.get("Subject", "")),
                "from": str(headers.get("From", "")),
                "to": str(headers.get("To", "")),
                "date": str(headers.get("Date", "")),
                "received_at": _received_at(message_id),
            }
        )
    messages.sort(key=lambda message: message["id"], reverse=True)
    return messages


def read_message(directory: str | os.PathLike, message_id: str) -> EmailMessage:
    # Only names this module made: no path separators, no "..", nothing to escape with.
    if not isinstance(message_id, str) or not _MESSAGE_ID.match(message_id):
        raise ValueError(f"not a stored message id: {message_id!r}")
    with (Path(directory) / f"{message_id}{_SUFFIX}").open("rb") as file:
        return BytesParser(policy=policy.default).parse(file)


def _received_at(message_id: str) -> datetime:
    return datetime.strptime(message_id[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=timezone.utc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.notifications.devsmtp",
        description="Local SMTP server that stores every message as a .eml file.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="var/mail", help="where to store the messages")
    arguments = parser.parse_args(argv)

    Path(arguments.dir).mkdir(parents=True, exist_ok=True)
    stopping = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())

    controller = Controller(
        MailDirectory(arguments.dir), hostname=arguments.host, port=arguments.port
    )
    controller.start()
    print(
        f"devsmtp listening on {arguments.host}:{arguments.port}, "
        f"storing messages in {Path(arguments.dir).resolve()}",
        flush=True,
    )
    try:
        stopping.wait()
    finally:
        controller.stop()
    print("devsmtp stopped", flush=True)


if __name__ == "__main__":
    main()
