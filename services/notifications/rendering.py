"""Turn a notification (kind, language, context) into a ready-to-send email.

Wording lives in templates/email/<language>/<kind>.txt and .html, one pair per
kind and language; the .txt template also holds the subject in a `subject` block
so that translators find everything a message says in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

import jinja2

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
)


def message_language(language: str | None) -> str:
    """The language a message is written in: "en-GB" gives "en", anything unknown gives "fr"."""
    primary = (language or "").replace("_", "-").split("-")[0].strip().lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def render_email(
    kind: str,
    language: str,
    context: dict,
    *,
    sender: str,
    recipient: str,
    recipient_name: str,
    unsubscribe_url: str | None,
) -> EmailMessage:
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

    message = EmailMessage()
    message["Subject"] = subject
    sender_name, sender_address = parseaddr(sender)
    message["From"] = _address("sender", sender_name or PLATFORM_NAME, sender_address)
    message["To"] = _address("recipient", recipient_name, recipient)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(domain="tremplin.local")
    # RFC 3834: tells vacation responders not to answer a notification.
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the URL.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text.rstrip() + "\n")
    message.add_alternative(html, subtype="html")
    # After set_content, which clears every Content-* header.
    message["Content-Language"] = language
    return message


def _address(role: str, name: str, address: str) -> Address:
    try:
        return Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError) as error:  # IndexError: the stdlib's answer to ""
        raise ValueError(f"{role} {address!r} is not a usable email address") from error
