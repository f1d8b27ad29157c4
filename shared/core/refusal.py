"""The one way a use case says no.

A refusal carries the HTTP status that fits (404, 409, 413, 415, 422...), a message written in
English with `%(name)s` values (instants and `Money` shown in the reader's language), messages per field, and optional details (the failing rules of
a submission, the id of the record that already exists...). A use case raises it before it
writes anything, or inside a unit of work that then rolls back, so a refused request changes
nothing.

The web layer registers one handler for it (`shared.web.service_app`): JSON
`{code, status, message, errors}` under `/api`, and the same words on a page for people, the
sentence translated first and then filled in, instants in Paris time.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from shared.core.clock import format_paris
from shared.core.money import Money

INVALID = "The request has invalid fields; see errors."

Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


class Refusal(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        errors: dict | None = None,
        *,
        values: dict | None = None,
        details: dict | None = None,
        headers: dict | None = None,
    ):
        self.status = status
        self.message = message
        self.errors = errors or {}
        self.values = values or {}
        self.details = details or {}
        self.headers = headers or {}  # such as Retry-After with a 429 or a 503
        super().__init__(self.text())

    @classmethod
    def invalid(cls, field: str, message: str, **values) -> "Refusal":
        """A 422 naming the one field that is wrong."""
        return cls(422, INVALID, {field: [message]}, values=values)

    @classmethod
    def not_found(cls, message: str) -> "Refusal":
        return cls(404, message)

    @classmethod
    def about(cls, field: str, status: int, message: str, **values) -> "Refusal":
        """A refusal about one field: the message is repeated under it, for forms."""
        return cls(status, message, {field: [message]}, values=values)

    def text(self, translate: Translate = _same, locale: str = "en_GB") -> str:
        """The message in a language: the sentence through `translate`, then its values filled
        in (instants in Paris time, in the locale's words)."""
        return _fill(translate(self.message), self.values, locale)

    def field_errors(self, translate: Translate = _same, locale: str = "en_GB") -> dict:
        """The per-field messages in a language, nested groups (such as `rules`) kept nested."""
        return _translate_tree(self.errors, translate, self.values, locale)


def _fill(sentence: str, values: dict, locale: str) -> str:
    if not values:
        return sentence
    shown = {name: _shown(value, locale) for name, value in values.items()}
    try:
        return sentence % shown
    except (KeyError, ValueError, TypeError):
        # A sentence that names none of the values (a per-field message) is shown as it is.
        return sentence


def _shown(value, locale: str):
    """Instants in Paris time and amounts of money as the locale writes them."""
    if isinstance(value, datetime):
        return format_paris(value, locale)
    if isinstance(value, Money):
        return value.format(locale.split("_")[0])
    return value


def _translate_tree(errors, translate: Translate, values: dict, locale: str):
    if isinstance(errors, dict):
        return {field: _translate_tree(messages, translate, values, locale) for field, messages in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [_translate_tree(message, translate, values, locale) for message in errors]
    if not isinstance(errors, str):
        return errors  # a figure given with the messages (a count, an id) stays as it is
    return _fill(translate(errors), values, locale)
