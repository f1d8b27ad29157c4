"""Money is a whole number of euro cents, with one way to show it and one way to read what a
person writes. No amount ever passes through a float."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency
from marshmallow import ValidationError, fields, validate

LOCALES = {"fr": "fr_FR", "en": "en_GB"}

# Amounts are stored in 32-bit integer columns; €20 million is far above any grant, budget or
# pledge this platform handles, and an amount above it is refused rather than overflowing.
MAX_CENTS = 2_000_000_000
TOO_LARGE = "Amounts above €20,000,000 are not accepted."


@dataclass(frozen=True, order=True)
class Money:
    cents: int

    def __post_init__(self):
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError("Money holds an integer number of cents")

    @classmethod
    def euros(cls, amount: int | str | Decimal) -> "Money":
        """From a euro amount written by a person ("1250", "1250.5"); refuses fractions of a cent,
        what is not a number ("abc", "Infinity", "NaN") and amounts above MAX_CENTS."""
        try:
            value = Decimal(str(amount)) * 100
        except InvalidOperation:
            raise ValueError("not an amount") from None
        if not value.is_finite():
            raise ValueError("not an amount")
        if abs(value) > MAX_CENTS:
            raise ValueError(TOO_LARGE)
        if value != value.to_integral_value():
            raise ValueError("an amount in euros has at most two decimals")
        return cls(int(value))

    def __add__(self, other: "Money") -> "Money":
        return Money(self.cents + other.cents)

    def __sub__(self, other: "Money") -> "Money":
        return Money(self.cents - other.cents)

    def format(self, language: str = "fr") -> str:
        return format_money(self.cents, language)


def format_money(cents: int, language: str = "fr") -> str:
    """`1 250,00 €` in French, `€1,250.00` in English (Babel's CLDR data, with its narrow spaces)."""
    return _formatted(int(cents), LOCALES.get(language, "fr_FR"))


@functools.lru_cache(maxsize=4096)
def _formatted(cents: int, locale: str) -> str:
    # Kept per amount: a campaign's page shows the same few amounts to every visitor, and Babel
    # took a tenth of the page's time writing them (issue 15).
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


class Cents(fields.Integer):
    """An API amount: integer cents, from 0 to MAX_CENTS (documented as such in OpenAPI)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        # The bounds as validators too, so that the OpenAPI document states them (minimum, maximum);
        # `_validated` below refuses first, with one message.
        given = kwargs.pop("validate", None)
        given = [] if given is None else [given] if callable(given) else list(given)
        kwargs["validate"] = [validate.Range(min=0, max=MAX_CENTS), *given]
        super().__init__(**kwargs)

    def _validated(self, value):
        value = super()._validated(value)
        if value is not None and value < 0:
            raise ValidationError("Amounts cannot be negative.")
        if value is not None and value > MAX_CENTS:
            raise ValidationError(TOO_LARGE)
        return value


class Euros(fields.Field):
    """An amount a person writes in euros on a page ("1250", "1 250,50", "1250.5 €"), loaded as
    cents; the API's amounts are `Cents`."""

    default_error_messages = {"invalid": "Enter an amount in euros, such as 1250 or 1250.50."}

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        text = str(value)
        for ignored in (" ", "\u00a0", "\u202f", "€"):
            text = text.replace(ignored, "")
        try:
            cents = Money.euros(text.replace(",", ".")).cents
        except ValueError as error:
            if str(error) == TOO_LARGE:
                raise ValidationError(TOO_LARGE) from None
            raise self.make_error("invalid") from None
        if cents < 0:
            raise ValidationError("Amounts cannot be negative.")
        return cents

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else euros_text(value)


def euros_text(cents: int | None, language: str = "en") -> str:
    """Cents as a form shows them back for editing: "1250", or "1250,50" in French and
    "1250.50" in English (no thousands separator, so the value reads back as written)."""
    if cents is None:
        return ""
    whole, part = divmod(cents, 100)
    if not part:
        return str(whole)
    return f"{whole}{',' if language == 'fr' else '.'}{part:02d}"
