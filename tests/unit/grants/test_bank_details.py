import pytest
from stdnum import iban as stdnum_iban

from services.grants.bank_details import (
    BIC_INVALID,
    BIC_LENGTH,
    BIC_REQUIRED,
    IBAN_CHARACTERS,
    IBAN_INVALID,
    IBAN_OUTSIDE_SEPA,
    IBAN_REQUIRED,
    IBAN_UNKNOWN_BANK,
    IBAN_WRONG_FORM,
    BankDetails,
    bank_details_errors,
    bic_problem,
    iban_problem,
    mask_iban,
    read_bank_details,
)
from shared.core.refusal import Refusal

# Real IBANs of the kind banks print as examples (check digits and national keys valid).
VALID_IBANS = [
    ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
    ("fr76-3000-6000-0112-3456-7890-189", "FR7630006000011234567890189"),
    ("FR1420041010050500013M02606", "FR1420041010050500013M02606"),  # La Banque Postale, a letter inside
    ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("BE71 0961 2345 6769", "BE71096123456769"),
    ("ES91 2100 0418 4502 0005 1332", "ES9121000418450200051332"),
    ("IT60 X054 2811 1010 0000 0123 456", "IT60X0542811101000000123456"),
    ("NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
    ("MC58 1122 2000 0101 2345 6789 030", "MC5811222000010123456789030"),
    ("CH93 0076 2011 6238 5295 7", "CH9300762011623852957"),
    ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
]


@pytest.mark.parametrize(("typed", "compact"), VALID_IBANS)
def test_valid_ibans_pass_and_come_back_compact(typed, compact):
    assert iban_problem(typed) is None
    assert read_bank_details(typed, "BNPAFRPP").iban == compact


def _with_check_digits(country: str, bban: str) -> str:
    """An IBAN whose two check digits are right, whatever its national part says."""
    return country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", IBAN_REQUIRED),
        ("   ", IBAN_REQUIRED),
        (None, IBAN_REQUIRED),
        ("7630006000011234567890189", IBAN_CHARACTERS),  # the country left out
        ("FR76 3000 6000 0112 3456 7890 18_", IBAN_CHARACTERS),
        ("FR76 3000 6000 0112 3456 7890 18é", IBAN_CHARACTERS),
        ("US64 SVBK US6S 3300 9588 79", IBAN_OUTSIDE_SEPA),  # not an IBAN country, and not SEPA
        ("SA03 8000 0000 6080 1016 7519", IBAN_OUTSIDE_SEPA),  # a real Saudi IBAN
        ("FR76 3000 6000 0112 3456 7890 188", IBAN_INVALID),  # last digit mistyped
        ("FR76 3000 6000 0112 3456 7890 198", IBAN_INVALID),  # two digits swapped
        ("FR76 3000 6000 0112 3456 7890 18", IBAN_INVALID),  # a digit missing
        ("DE89 3704 0044 0532 0130 001", IBAN_INVALID),  # a digit too many
        ("IT60 Y054 2811 1010 0000 0123 456", IBAN_INVALID),  # the Italian CIN letter mistyped
        # Right check digits, wrong layout for France: a letter where the bank code has digits.
        (_with_check_digits("FR", "3A006000011234567890189"), IBAN_WRONG_FORM),
        # Right check digits, one character short for Germany (22).
        (_with_check_digits("DE", "3704004405320130"), IBAN_WRONG_FORM),
        # Right check digits, a Belgian bank code Belgium does not know.
        ("BE68 5390 0754 7034", IBAN_UNKNOWN_BANK),
    ],
)
def test_each_wrong_iban_gets_its_sentence(typed, message):
    assert iban_problem(typed) == message


@pytest.mark.parametrize(("typed", "compact"), [("BNPAFRPP", "BNPAFRPP"), ("bnpa fr pp xxx", "BNPAFRPPXXX"),
                                               ("DEUTDEFF500", "DEUTDEFF500"), ("PSSTFRPPLIL", "PSSTFRPPLIL")])
def test_valid_bics_pass_and_come_back_compact(typed, compact):
    assert bic_problem(typed) is None
    assert read_bank_details("FR7630006000011234567890189", typed).bic == compact


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", BIC_REQUIRED),
        (None, BIC_REQUIRED),
        ("BNPAFRP", BIC_LENGTH),
        ("BNPAFRPP12", BIC_LENGTH),
        ("1NPAFRPP", BIC_INVALID),  # the bank's code is letters
        ("BNPAXXPP", BIC_INVALID),  # XX is no country
        ("BNPAFRP*", BIC_INVALID),
    ],
)
def test_each_wrong_bic_gets_its_sentence(typed, message):
    assert bic_problem(typed) == message


def test_bank_details_give_one_message_per_wrong_field():
    assert bank_details_errors("FR7630006000011234567890189", "BNPAFRPP") == {}
    assert bank_details_errors("FR7630006000011234567890188", "BNPAFRP") == {"iban": [IBAN_INVALID], "bic": [BIC_LENGTH]}
    assert bank_details_errors("", "BNPAFRPP") == {"iban": [IBAN_REQUIRED]}


def test_wrong_bank_details_are_refused_with_422_per_field():
    with pytest.raises(Refusal) as refused:
        read_bank_details("FR7630006000011234567890188", "")
    assert refused.value.status == 422
    assert refused.value.errors == {"iban": [IBAN_INVALID], "bic": [BIC_REQUIRED]}


def test_the_iban_is_masked_for_display():
    assert mask_iban("FR7630006000011234567890189") == "FR76 •••• 0189"
    assert mask_iban("fr76 3000 6000 0112 3456 7890 189") == "FR76 •••• 0189"
    assert mask_iban("DE89370400440532013000") == "DE89 •••• 3000"
    assert mask_iban("") == "••••"
    details = read_bank_details("FR76 3000 6000 0112 3456 7890 189", "BNPAFRPP")
    assert details.masked_iban == "FR76 •••• 0189"


def test_bank_details_never_print_the_whole_iban():
    details = BankDetails("FR7630006000011234567890189", "BNPAFRPP")
    assert "30006000011234567890" not in repr(details)
    assert "30006000011234567890" not in str(details)
    assert repr(details) == "BankDetails(iban='FR76 •••• 0189', bic='BNPAFRPP')"
