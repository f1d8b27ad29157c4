import pytest
from marshmallow import Schema, ValidationError

from shared.core.money import MAX_CENTS, Cents, Money, format_money


def test_french_and_english_formats():
    # Babel uses a narrow no-break space between thousands and a no-break space before €.
    assert format_money(125000, "fr") == "1\u202f250,00\xa0€"
    assert format_money(125000, "en") == "€1,250.00"
    assert Money(5).format("en") == "€0.05"


def test_money_is_integer_cents_only():
    with pytest.raises(TypeError):
        Money(12.5)
    assert Money.euros("1250.5") == Money(125050)
    with pytest.raises(ValueError):
        Money.euros("0.001")
    assert Money(100) + Money(50) == Money(150)


def test_cents_field_refuses_floats_and_negatives():
    class Amount(Schema):
        amount = Cents(required=True)

    assert Amount().load({"amount": 500}) == {"amount": 500}
    for bad in (5.5, -1, "12"):
        with pytest.raises(ValidationError):
            Amount().load({"amount": bad})


def test_what_a_person_types_is_refused_cleanly_when_it_is_not_an_amount():
    for typed in ("abc", "Infinity", "-Infinity", "NaN", "1e400", "20000000.01"):
        with pytest.raises(ValueError):
            Money.euros(typed)
    assert Money.euros("20000000") == Money(2_000_000_000)


def test_cents_field_refuses_what_the_database_cannot_hold():
    class Amount(Schema):
        amount = Cents(required=True)

    with pytest.raises(ValidationError) as error:
        Amount().load({"amount": 3_000_000_000})
    assert error.value.messages == {"amount": ["Amounts above €20,000,000 are not accepted."]}


def test_a_form_shows_euros_back_as_the_language_writes_them():
    from shared.core.money import euros_text

    assert euros_text(1_250_050, "fr") == "12500,50"
    assert euros_text(1_250_050, "en") == "12500.50"
    assert euros_text(1_250_000, "fr") == "12500"
    assert euros_text(None, "fr") == ""


def test_euros_written_by_a_person_are_read_without_a_float():
    from shared.core.money import Euros

    class Form(Schema):
        amount = Euros()

    for written, cents in (("12500,50", 1_250_050), ("12 500,50 €", 1_250_050), ("1250.5", 125_050),
                           ("0,10", 10), ("20000000", 2_000_000_000)):
        assert Form().load({"amount": written}) == {"amount": cents}, written
    for wrong in ("douze", "1,234,5", "0,001", "Infinity", "-3", "20000000,01"):
        with pytest.raises(ValidationError):
            Form().load({"amount": wrong})


def test_an_amount_kept_once_written_reads_as_babel_writes_it():
    from decimal import Decimal

    from babel.numbers import format_currency

    for cents in (0, 1, 99, 304_950, 123_456_789, MAX_CENTS):
        for language, locale in (("fr", "fr_FR"), ("en", "en_GB")):
            expected = format_currency(Decimal(cents) / 100, "EUR", locale=locale)
            assert format_money(cents, language) == format_money(cents, language) == expected
    assert format_money(304_950, "de") == format_money(304_950, "fr")  # an unknown language reads as French
