"""Money is a whole number of euro cents, with one way to show it."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency
from marshmallow import ValidationError, fields

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@dataclass(frozen=True, order=True)
class Money:
    cents: int

    def __post_init__(self):
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError("Money holds an integer number of cents")

    @classmethod
    def euros(cls, amount: int | str | Decimal) -> "Money":
        """From a euro amount written by a person ("1250", "1250.5"); refuses fractions of a cent."""
        value = Decimal(str(amount)) * 100
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
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALES.get(language, "fr_FR"))


class Cents(fields.Integer):
    """An API amount: integer cents, never negative."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)

    def _validated(self, value):
        value = super()._validated(value)
        if value is not None and value < 0:
            raise ValidationError("Amounts cannot be negative.")
        return value
