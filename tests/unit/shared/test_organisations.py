import pytest

from shared.core.organisations import (
    ORGANISATION_KIND_LABELS,
    ORGANISATION_KINDS,
    SECTOR_LABELS,
    SECTORS,
    InvalidIdentifier,
    InvalidPostalCode,
    check_organisation_identifiers,
    check_postal_code,
    check_rna,
    check_siren_or_siret,
)


def test_every_sector_and_kind_has_french_and_english_labels():
    assert set(SECTOR_LABELS) == set(SECTORS)
    assert set(ORGANISATION_KIND_LABELS) == set(ORGANISATION_KINDS)
    for labels in [*SECTOR_LABELS.values(), *ORGANISATION_KIND_LABELS.values()]:
        assert set(labels) == {"fr", "en"}
        assert all(labels.values())
    assert SECTOR_LABELS["music"] == {"fr": "Musique", "en": "Music"}


@pytest.mark.parametrize(
    ("entered", "compact"),
    [
        ("732829320", "732829320"),
        ("732 829 320", "732829320"),
        ("73282932000074", "73282932000074"),
        ("732 829 320 00074", "73282932000074"),
    ],
)
def test_valid_siren_and_siret_come_back_compact(entered, compact):
    assert check_siren_or_siret(entered) == compact


@pytest.mark.parametrize(
    "entered",
    ["732829321", "73282932000075", "73282932", "7328293200007", "ABCDEFGHI", "", "   "],
)
def test_invalid_siren_and_siret_are_refused(entered):
    with pytest.raises(InvalidIdentifier) as raised:
        check_siren_or_siret(entered)
    assert raised.value.message


def test_la_poste_establishments_are_checked_by_digit_sum_not_luhn():
    # Head office: an ordinary Luhn-valid SIRET.
    assert check_siren_or_siret("35600000000048") == "35600000000048"
    # An establishment: fails Luhn, digit sum 45 is a multiple of 5.
    assert check_siren_or_siret("35600000049837") == "35600000049837"
    # Passes Luhn but its digit sum (19) is not a multiple of 5.
    with pytest.raises(InvalidIdentifier):
        check_siren_or_siret("35600000000014")


def test_rna_is_w_and_nine_digits():
    assert check_rna("W123456789") == "W123456789"
    assert check_rna(" w123 456 789 ") == "W123456789"
    for bad in ["W12345678", "X123456789", "W1234567890", "123456789", ""]:
        with pytest.raises(InvalidIdentifier):
            check_rna(bad)


def test_postal_code_is_five_digits():
    assert check_postal_code("69001") == "69001"
    assert check_postal_code(" 20000 ") == "20000"
    for bad in ["6900", "690011", "69 001", "ABCDE", "00100", ""]:
        with pytest.raises(InvalidPostalCode):
            check_postal_code(bad)


@pytest.mark.parametrize("kind", ["company", "sole_trader"])
def test_company_and_sole_trader_need_a_siren_or_siret(kind):
    assert check_organisation_identifiers(kind, "732829320", None) == {}
    assert check_organisation_identifiers(kind, "73282932000074", "") == {}
    assert set(check_organisation_identifiers(kind, None, None)) == {"siret"}
    assert set(check_organisation_identifiers(kind, "  ", "W123456789")) == {"siret"}
    assert set(check_organisation_identifiers(kind, "732829321", None)) == {"siret"}


def test_association_needs_an_rna_and_may_give_a_siret():
    assert check_organisation_identifiers("association", None, "W123456789") == {}
    assert check_organisation_identifiers("association", "73282932000074", "W123456789") == {}
    assert set(check_organisation_identifiers("association", None, None)) == {"rna"}
    assert set(check_organisation_identifiers("association", "732829321", "W12345678")) == {"siret", "rna"}


def test_project_holder_needs_no_identifier_but_what_is_given_must_be_valid():
    assert check_organisation_identifiers("project_holder", None, None) == {}
    assert check_organisation_identifiers("project_holder", "", "") == {}
    assert set(check_organisation_identifiers("project_holder", "732829321", None)) == {"siret"}


def test_unknown_kind_is_an_error_on_the_kind():
    assert set(check_organisation_identifiers("cooperative", "732829320", None)) == {"kind"}
