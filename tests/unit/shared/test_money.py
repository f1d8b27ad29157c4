import pytest
from marshmallow import Schema, ValidationError

from shared.core.money import Cents, Money, format_money


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
