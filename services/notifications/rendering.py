"""Turn a notification (kind, language, context) into a ready-to-send email.

Wording lives in templates/email/<language>/<kind>.txt and .html, one pair per
kind and language; the .txt template also holds the subject in a `subject` block
so that translators find everything a message says in one place.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone
import secrets
from email import quoprimime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

import jinja2
import markupsafe

PLATFORM_NAME = "Tremplin"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@dataclass(frozen=True)
class EmailKind:
    # Transactional messages answer something the person did or must know
    # (account, password, receipt); they are always sent and carry no
    # unsubscribe link. The others are opt-out and must offer one.
    transactional: bool
    context_keys: tuple[str, ...]


KINDS: dict[str, EmailKind] = {
    "account_confirmation": EmailKind(transactional=True, context_keys=("confirm_url",)),
    "password_reset": EmailKind(transactional=True, context_keys=("reset_url",)),
    "sign_up_attempted": EmailKind(transactional=True, context_keys=("sign_in_url", "reset_url")),
    "invitation": EmailKind(transactional=True, context_keys=("invited_by", "roles_text", "organisation", "accept_url")),
    "application_received": EmailKind(
        transactional=True,
        context_keys=("call_title", "project_title", "receipt_number", "submitted_at"),
    ),
    "draft_reminder": EmailKind(
        transactional=False, context_keys=("call_title", "closes_at", "application_url")
    ),
    # The reviews a juror agreed to do: sent whatever their choice about reminders of their own.
    "review_reminder": EmailKind(
        transactional=True, context_keys=("call_title", "review_deadline", "jury_url")
    ),
    # The call's decision, and what becomes of an award: answers to the person's application.
    "award_granted": EmailKind(
        transactional=True,
        context_keys=("call_title", "project_title", "amount", "conditions", "tranches", "award_url", "revised"),
    ),
    "award_cancelled": EmailKind(
        transactional=True,
        context_keys=("call_title", "project_title", "amount", "reason", "paid", "anything_paid", "award_url"),
    ),
    "application_not_selected": EmailKind(
        transactional=True, context_keys=("call_title", "project_title", "comments", "overall_comments", "decision_url")
    ),
    "campaign_news": EmailKind(
        transactional=False, context_keys=("campaign_title", "news_text", "campaign_url")
    ),
    "event_recorded": EmailKind(transactional=True, context_keys=("event_name",)),
}

# Crowdfunding: campaigns and pledges (transactional: each answers something the person did or
# must know; `campaign_news`, above, is the opt-out one).
KINDS.update({
    "campaign_submitted": EmailKind(transactional=True, context_keys=("campaign_title", "campaign_url", "submitted_at")),
    "campaign_to_moderate": EmailKind(transactional=True,
                                      context_keys=("campaign_title", "owner_name", "moderation_url")),
    "campaign_approved": EmailKind(transactional=True,
                                   context_keys=("campaign_title", "campaign_url", "starts_at", "ends_at")),
    "campaign_changes_requested": EmailKind(transactional=True, context_keys=("campaign_title", "campaign_url", "reason")),
    "campaign_rejected": EmailKind(transactional=True, context_keys=("campaign_title", "reason")),
    "campaign_published": EmailKind(transactional=True,
                                    context_keys=("campaign_title", "campaign_url", "ends_at", "goal", "model_text")),
    "pledge_confirmed": EmailKind(transactional=True, context_keys=(
        "campaign_title", "amount", "reward", "reference", "pledge_url", "payment_text")),
    "pledge_changed": EmailKind(transactional=True, context_keys=(
        "campaign_title", "amount", "previous_amount", "reward", "reference", "pledge_url")),
    "pledge_cancelled": EmailKind(transactional=True, context_keys=(
        "campaign_title", "amount", "reference", "reason_text", "campaign_url")),
    # The close, charges and refunds (issue 13).
    "campaign_succeeded": EmailKind(transactional=True, context_keys=(
        "campaign_title", "campaign_url", "pledged", "goal", "backers", "matched", "closed_at")),
    "campaign_failed_owner": EmailKind(transactional=True, context_keys=("campaign_title", "campaign_url", "pledged", "goal")),
    "campaign_failed_backer": EmailKind(transactional=True, context_keys=("campaign_title", "campaign_url")),
    "campaign_cancelled_owner": EmailKind(transactional=True, context_keys=("campaign_title", "reason", "cancelled_at")),
    "campaign_cancelled_backer": EmailKind(transactional=True, context_keys=("campaign_title", "campaign_url", "reason")),
    "pledge_charged": EmailKind(transactional=True, context_keys=(
        "campaign_title", "amount", "reward", "reference", "pledge_url", "charged_at")),
    "pledge_action_needed": EmailKind(transactional=True, context_keys=(
        "campaign_title", "amount", "reference", "action_url", "reason_text", "expires_at", "reminder")),
    "pledge_failed": EmailKind(transactional=True, context_keys=(
        "campaign_title", "amount", "reference", "campaign_url", "reason_text")),
    "pledge_failed_owner": EmailKind(transactional=True, context_keys=(
        "campaign_title", "campaign_url", "amount", "reference", "backer_name")),
    "pledge_refunded": EmailKind(transactional=True, context_keys=(
        "campaign_title", "amount", "reference", "pledge_url", "refund", "refunded_total", "fully", "reason",
        "refunded_at")),
})
# Impact: a request for the alternative funding referent (what the referent's role is for).
KINDS["advice_requested"] = EmailKind(transactional=True, context_keys=(
    "requester_name", "requester_email", "organisation", "project", "mechanisms_text", "queue_url"))

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates" / "email"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # Each template is compiled once per process: checking its file's time on every message cost
    # a system call per template (a worker is restarted to take new templates).
    auto_reload=False,
)


def message_language(language: str | None) -> str:
    """The language a message is written in: "en-GB" gives "en", anything unknown gives "fr"."""
    primary = (language or "").replace("_", "-").split("-")[0].strip().lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class RenderedEmail:
    """A message written in its language: its words, and who it is from and to.

    `message()` is the message as the standard library's EmailMessage (what the tests and the
    mailbox pages read); `as_bytes()` is the same message ready for SMTP, written directly with
    the standard library's encoders: building and flattening an EmailMessage (its header
    parsing, mostly) cost about 4 ms of CPU per email, a third of the worker's, where this costs
    0.3 ms. tests/unit/notifications/test_rendering.py checks that the two read the same.
    """

    subject: str
    sender: Address
    recipient: Address
    language: str
    text: str
    html: str
    unsubscribe_url: str | None
    message_id: str
    date: str

    def with_message_id(self, message_id: str) -> "RenderedEmail":
        return replace(self, message_id=message_id)

    @property
    def international(self) -> bool:
        """True when an address needs SMTPUTF8 (a non-ASCII mailbox or domain): `message()` then."""
        return not (self.sender.addr_spec.isascii() and self.recipient.addr_spec.isascii())

    def message(self) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = self.subject
        message["From"] = self.sender
        message["To"] = self.recipient
        message["Date"] = self.date
        message["Message-ID"] = self.message_id
        for name, value in self._list_headers():
            message[name] = value
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        # After set_content, which clears every Content-* header.
        message["Content-Language"] = self.language
        return message

    def as_bytes(self) -> bytes:
        """The message in MIME, lines ended by CRLF, for an SMTP server (ASCII addresses only:
        see `international`): headers encoded (RFC 2047) and folded, both parts in UTF-8
        quoted-printable, as EmailMessage writes them, by the standard library's encoders."""
        try:
            return self._written_directly()
        except _NotWrittenDirectly:
            message = self.message()
            return message.as_bytes(policy=message.policy.clone(linesep=CRLF))

    def _written_directly(self) -> bytes:
        boundary = f"=_{secrets.token_hex(16)}"  # "=_" never occurs in quoted-printable
        headers = [
            ("Subject", _folded("Subject", self.subject)),
            ("From", _mailbox("From", self.sender)),
            ("To", _mailbox("To", self.recipient)),
            ("Date", self.date),
            ("Message-ID", self.message_id),
            *self._list_headers(),
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/alternative;{CRLF} boundary="{boundary}"'),
            ("Content-Language", self.language),
        ]
        lines = [f"{name}: {value}" for name, value in headers] + [""]
        for body, subtype in ((self.text, "plain"), (self.html, "html")):
            lines += [
                f"--{boundary}", f'Content-Type: text/{subtype}; charset="utf-8"',
                "Content-Transfer-Encoding: quoted-printable", "",
                quoprimime.body_encode(_ends_with_newline(body).encode("utf-8").decode("latin-1"), eol=CRLF),
            ]
        lines += [f"--{boundary}--", ""]
        return CRLF.join(lines).encode("ascii")

    def _list_headers(self) -> list[tuple[str, str]]:
        # RFC 3834: tells vacation responders not to answer a notification.
        headers = [("Auto-Submitted", "auto-generated")]
        if self.unsubscribe_url:
            # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the URL.
            headers += [("List-Unsubscribe", f"<{self.unsubscribe_url}>"),
                        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
        return headers


CRLF = "\r\n"
_UNFOLDED = 10_000


class _NotWrittenDirectly(Exception):
    """A name too long for one encoded word: the message is written by EmailMessage instead."""


@functools.lru_cache(maxsize=256)
def _folded(name: str, value: str) -> str:
    """A header's value folded under 78 characters a line, in encoded words when not ASCII.
    Kept per value: a kind's subject in a language is the same for all its recipients, and its
    encoding was 60 us of an email's 2.3 ms of CPU."""
    return Header(value, None if value.isascii() else "utf-8", header_name=name).encode(linesep=CRLF)


def _mailbox(name: str, address: Address) -> str:
    if not address.display_name:
        return address.addr_spec
    if address.display_name.isascii():
        display = formataddr((address.display_name, "x"))[:-4]  # quoted when it must be
    else:
        # One encoded word: readers join the words of a name folded over lines with a space.
        display = Header(address.display_name, "utf-8").encode(maxlinelen=_UNFOLDED)
        if len(display) > 75:  # RFC 2047's longest encoded word
            raise _NotWrittenDirectly
    mailbox = f"<{address.addr_spec}>"
    last_line = display.rsplit(CRLF, 1)[-1]
    fits = len(last_line) + 1 + len(mailbox) + (len(name) + 2 if last_line == display else 0) <= 78
    return f"{display}{' ' if fits else CRLF + ' '}{mailbox}"


def _ends_with_newline(text: str) -> str:
    # EmailMessage.set_content ends a part with a line break; the two ways read the same.
    return text if text.endswith("\n") else text + "\n"


def render(
    kind: str,
    language: str,
    context: dict,
    *,
    sender: str,
    recipient: str,
    recipient_name: str,
    unsubscribe_url: str | None,
) -> RenderedEmail:
    email_kind = KINDS.get(kind)
    if email_kind is None:
        raise ValueError(f"unknown email kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    missing = [key for key in email_kind.context_keys if key not in context]
    if missing:
        raise ValueError(f"email kind {kind!r} needs context keys: {', '.join(missing)}")
    if email_kind.transactional:
        # A transactional message must not look opt-out, whatever the caller passed.
        unsubscribe_url = None
    elif not unsubscribe_url:
        raise ValueError(f"email kind {kind!r} is not transactional and needs an unsubscribe_url")

    language = message_language(language)
    subject, text, html = _words(kind, language, context, recipient_name, unsubscribe_url)
    return RenderedEmail(
        subject=subject,
        sender=_sender(sender),
        recipient=_address("recipient", recipient_name, recipient),
        language=language,
        text=text.rstrip() + "\n",
        html=html,
        unsubscribe_url=unsubscribe_url,
        message_id=make_msgid(domain="tremplin.local"),
        date=format_datetime(datetime.now(timezone.utc)),
    )


def _rendered(kind: str, language: str, context: dict, recipient_name: str,
              unsubscribe_url: str | None) -> tuple[str, str, str]:
    """The templates of a kind in a language rendered: the subject, the text, the HTML."""
    values = {
        **context,
        "platform_name": PLATFORM_NAME,
        "language": language,
        "recipient_name": recipient_name,
        "unsubscribe_url": unsubscribe_url,
    }
    try:
        text_template = _templates.get_template(f"{language}/{kind}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(values)))
        # Templates may wrap a long subject over lines; a header is one line.
        subject = " ".join(subject.split())
        text = text_template.render(values)
        html = _templates.get_template(f"{language}/{kind}.html").render(values, subject=subject)
    except jinja2.UndefinedError as error:
        raise ValueError(f"email kind {kind!r} could not be rendered: {error.message}") from error
    return subject, text, html


# Rendered once per kind, language and context, for every recipient of it (the backers of a
# campaign's news, say): the words with a stand-in for what is each recipient's own, their name
# and their unsubscribe link, put in afterwards, escaped in HTML as the template would have.
_NAME = "\x00recipient_name\x00"
_UNSUBSCRIBE = "\x00unsubscribe_url\x00"
_MARK = "\x00"


def _words(kind: str, language: str, context: dict, recipient_name: str,
           unsubscribe_url: str | None) -> tuple[str, str, str]:
    """`_rendered`'s subject, text and HTML, from the words rendered once for the context when
    it can be (see `_shared_words`), else rendered for this recipient alone."""
    try:
        key = json.dumps(context, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        key = None  # a value JSON cannot hold: rendered for this recipient alone
    shared = None
    if key is not None and _MARK not in (recipient_name or "") + (unsubscribe_url or ""):
        shared = _shared_words(kind, language, bool(recipient_name), bool(unsubscribe_url), key)
    if shared is None:
        return _rendered(kind, language, context, recipient_name, unsubscribe_url)
    subject, text, html = shared
    own = ((_NAME, recipient_name or ""), (_UNSUBSCRIBE, unsubscribe_url or ""))
    for stand_in, value in own:
        text = text.replace(stand_in, value)
        html = html.replace(stand_in, str(markupsafe.escape(value)))
    return subject, text, html


@functools.lru_cache(maxsize=256)
def _shared_words(kind: str, language: str, named: bool, unsubscribable: bool,
                  context_json: str) -> tuple[str, str, str] | None:
    """The words of a kind, language and context (in JSON, the cache's key) with stand-ins for
    the recipient's name and unsubscribe link; None when they cannot be shared: a stand-in in
    the subject (which is folded) or changed by a template's filter, or a NUL in the words."""
    subject, text, html = _rendered(kind, language, json.loads(context_json),
                                    _NAME if named else "", _UNSUBSCRIBE if unsubscribable else None)
    if _MARK in subject or any(_MARK in part.replace(_NAME, "").replace(_UNSUBSCRIBE, "") for part in (text, html)):
        return None
    return subject, text, html


def render_email(kind: str, language: str, context: dict, **addressing) -> EmailMessage:
    """`render`'s email as an EmailMessage; the same keyword arguments (sender, recipient,
    recipient_name, unsubscribe_url)."""
    return render(kind, language, context, **addressing).message()


@functools.lru_cache(maxsize=16)
def _sender(sender: str) -> Address:
    """The sender's address, read once (it is the same on every message: MAIL_FROM)."""
    sender_name, sender_address = parseaddr(sender)
    return _address("sender", sender_name or PLATFORM_NAME, sender_address)


def _address(role: str, name: str, address: str) -> Address:
    try:
        return Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError) as error:  # IndexError: the stdlib's answer to ""
        raise ValueError(f"{role} {address!r} is not a usable email address") from error
