"""The account a grant is paid to: its IBAN and BIC, checked and normalised with python-stdnum,
and the IBAN masked for display.

The IBAN is shown masked everywhere (pages, emails, exports, logs: a `BankDetails` prints
masked too) except in the SEPA payment file, which needs it whole.

Messages are stable English sentences, one per field (`iban`, `bic`), for the caller's
`Refusal` and the pages' translations.

Used by the awards (issue 11): the applicant gives them on accepting an award.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from shared.core.refusal import INVALID, Refusal

IBAN_REQUIRED = "Enter the IBAN of the account the grant is paid to."
IBAN_CHARACTERS = "An IBAN has only letters and digits, and starts with its country's two letters, such as FR76."
IBAN_OUTSIDE_SEPA = "Grants are paid by SEPA transfer: the IBAN must be of an account in the SEPA area."
IBAN_WRONG_FORM = "This IBAN does not have the length or form of an IBAN of its country."
IBAN_INVALID = "This IBAN is not valid: check for a missing or mistyped character."
IBAN_UNKNOWN_BANK = "This IBAN does not match a bank account of its country: check the bank and account numbers."
BIC_REQUIRED = "Enter the BIC (SWIFT code) of the bank."
BIC_LENGTH = "A BIC has 8 or 11 letters and digits, such as BNPAFRPP."
BIC_INVALID = "This BIC is not valid: check its letters and digits."

# Countries of the SEPA credit transfer scheme (the EPC's register of SEPA countries, EPC409-09):
# the EU, the EEA, and the others the EPC admitted. The French overseas departments have French
# IBANs. To be kept up with the EPC's register.
SEPA_COUNTRIES = frozenset(
    # European Union
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK "
    # European Economic Area
    "IS LI NO "
    # Admitted by the EPC
    "AD AL CH GB GI MC MD ME MK SM VA".split()
)

MASK = "\u2022" * 4  # ••••
_IBAN_START = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]*")


@dataclass(frozen=True, repr=False)
class BankDetails:
    """An IBAN and a BIC, both checked and compact ("FR7630006000011234567890189", "BNPAFRPP")."""

    iban: str
    bic: str

    @property
    def masked_iban(self) -> str:
        return mask_iban(self.iban)

    def __repr__(self) -> str:  # never the whole IBAN in a log or a traceback
        return f"BankDetails(iban={self.masked_iban!r}, bic={self.bic!r})"


def normal_iban(text: str) -> str:
    """The IBAN as typed, without spaces, dashes or dots, in capitals; not yet checked."""
    return stdnum_iban.compact(text or "")


def iban_problem(text: str | None) -> str | None:
    """What is wrong with this IBAN, as a stable sentence, or None when it is a valid IBAN of
    the SEPA area."""
    number = normal_iban(text or "")
    if not number:
        return IBAN_REQUIRED
    if not _IBAN_START.fullmatch(number):
        return IBAN_CHARACTERS
    if number[:2] not in SEPA_COUNTRIES:
        return IBAN_OUTSIDE_SEPA
    try:
        stdnum_iban.validate(number)
    except (InvalidLength, InvalidFormat):
        return IBAN_WRONG_FORM
    except InvalidComponent:
        # A country's own rules, where stdnum has them (Belgium, Spain, Norway, Montenegro):
        # its national check digits, or a bank code it does not know.
        return IBAN_UNKNOWN_BANK
    except ValidationError:
        # The two check digits (mod 97), checked first: they also catch a character missing,
        # added or mistyped.
        return IBAN_INVALID
    return None


def bic_problem(text: str | None) -> str | None:
    """What is wrong with this BIC, as a stable sentence, or None when it is a valid BIC."""
    number = stdnum_bic.compact(text or "")
    if not number:
        return BIC_REQUIRED
    if len(number) not in (8, 11):
        return BIC_LENGTH
    try:
        stdnum_bic.validate(number)
    except ValidationError:
        return BIC_INVALID
    return None


def bank_details_errors(iban: str | None, bic: str | None) -> dict[str, list[str]]:
    """The per-field messages for these bank details; empty when both are valid."""
    errors = {}
    if (problem := iban_problem(iban)) is not None:
        errors["iban"] = [problem]
    if (problem := bic_problem(bic)) is not None:
        errors["bic"] = [problem]
    return errors


def read_bank_details(iban: str | None, bic: str | None) -> BankDetails:
    """The checked, compact bank details, or a 422 Refusal naming each wrong field."""
    errors = bank_details_errors(iban, bic)
    if errors:
        raise Refusal(422, INVALID, errors)
    return BankDetails(normal_iban(iban or ""), stdnum_bic.compact(bic or ""))


def mask_iban(iban: str) -> str:
    """"FR76 •••• 0189": the country and check digits, and the last four characters, so that a
    person recognises their account; the rest never leaves the payment file."""
    number = normal_iban(iban)
    if len(number) < 8:
        return MASK
    return f"{number[:4]} {MASK} {number[-4:]}"
