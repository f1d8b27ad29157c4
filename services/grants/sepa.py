"""A SEPA credit transfer file (pain.001) of the tranches due, for the fund's treasury.

The file is built by `sepaxml` (one payment block for the execution date, batch booking: one
line on the treasury's statement) and checked here against the pain.001 schema that sepaxml
ships, after the message id and creation time are set from the caller, so that the file of a
batch is the same every time it is downloaded.

Amounts are integer cents all the way: sepaxml takes cents and writes them as decimal text
without a float.

Texts are written in SEPA's basic character set (EPC, "SEPA requirements for an extended
character set": a-z A-Z 0-9 / - ? : ( ) . , ' + and space), which every bank in the area
accepts: accents and ligatures are spelt out ("Société Œuvre" -> "Societe OEuvre"), "&"
becomes "+", anything else a space; names are cut at 70 characters and remittance texts at 140.

Used by the awards (issue 11): the manager downloads the file of the tranches due. The
debtor's name, IBAN and BIC are the fund's treasury account, from settings.
"""
from __future__ import annotations

import functools
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from services.grants.bank_details import bic_problem, iban_problem, mask_iban, normal_iban
from shared.core.clock import to_paris

SCHEMAS = ("pain.001.001.03", "pain.001.001.09")
DEFAULT_SCHEMA = "pain.001.001.03"  # the version every French bank takes; .09 is the 2019 rulebook's

MAX_NAME = 70
MAX_REMITTANCE = 140
MAX_ID = 35
# The EPC's ceiling for one SEPA credit transfer: 999,999,999.99 euros.
MAX_TRANSFER_CENTS = 99_999_999_999

_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_SPACES = re.compile(r" {2,}")
# Identifiers: the basic set without spaces, not starting or ending with "/", no "//" (EPC).
_IDENTIFIER = re.compile(r"(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+]{1,35}(?<!/)")
_REPLACEMENTS = str.maketrans({"&": "+", "\"": "'", "_": "-", ";": ",", "!": ".", "\n": " ", "\t": " "})


def sepa_text(text: str, max_length: int) -> str:
    """The text in SEPA's basic character set, cut at `max_length`."""
    from text_unidecode import unidecode

    # NFKC first: "1ʳᵉ" is "1re". "n°" is the French "no.", not "ndeg" as unidecode spells it.
    text = unicodedata.normalize("NFKC", text).replace("°", "o").replace("%", " pct")
    spelt = unidecode(text).replace("<<", "'").replace(">>", "'").translate(_REPLACEMENTS)
    return _SPACES.sub(" ", _NOT_SEPA.sub(" ", spelt)).strip()[:max_length].rstrip()


def _check_account(owner: str, iban: str, bic: str) -> None:
    problem = iban_problem(iban) or bic_problem(bic)
    if problem:
        raise ValueError(f"{owner}'s account ({mask_iban(iban)}, {bic}): {problem}")


def _check_identifier(what: str, value: str) -> None:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a SEPA identifier: 1 to 35 letters, digits or / - ? : ( ) . , ' +,"
            " with no space, not starting or ending with /, no //."
        )


@dataclass(frozen=True, repr=False)
class Debtor:
    """The account the transfers are paid from: the fund's treasury."""

    name: str
    iban: str
    bic: str

    def __post_init__(self) -> None:
        _check_account("The debtor", self.iban, self.bic)
        if not sepa_text(self.name, MAX_NAME):
            raise ValueError("The debtor needs a name.")

    def __repr__(self) -> str:
        return f"Debtor({self.name!r}, {mask_iban(self.iban)!r})"


@dataclass(frozen=True, repr=False)
class Transfer:
    """One payment: to whom (name, IBAN, BIC), how much (cents), its end-to-end id (kept by
    both banks, it comes back on the statements: the tranche's reference) and the remittance
    text the firm reads on its statement."""

    creditor_name: str
    iban: str
    bic: str
    amount_cents: int
    end_to_end_id: str
    remittance: str

    def __post_init__(self) -> None:
        _check_account(f"Transfer {self.end_to_end_id}", self.iban, self.bic)
        if not isinstance(self.amount_cents, int) or isinstance(self.amount_cents, bool):
            raise TypeError("A transfer's amount is an integer number of cents.")
        if not 1 <= self.amount_cents <= MAX_TRANSFER_CENTS:
            raise ValueError(f"Transfer {self.end_to_end_id}: the amount must be from 1 cent to 999,999,999.99 euros.")
        _check_identifier("The end-to-end id", self.end_to_end_id)
        if not sepa_text(self.creditor_name, MAX_NAME):
            raise ValueError(f"Transfer {self.end_to_end_id}: the creditor needs a name.")
        if not sepa_text(self.remittance, MAX_REMITTANCE):
            raise ValueError(f"Transfer {self.end_to_end_id}: the remittance text is empty.")

    def __repr__(self) -> str:  # the IBAN masked, as everywhere but in the file itself
        return (f"Transfer({self.end_to_end_id!r}, {self.creditor_name!r}, {mask_iban(self.iban)!r}, "
                f"{self.amount_cents} cents)")


@dataclass(frozen=True, repr=False)
class PaymentFile:
    message_id: str
    schema: str
    execution_date: date
    count: int
    total_cents: int
    xml: bytes

    @property
    def filename(self) -> str:
        return f"{self.message_id}.xml"

    def __repr__(self) -> str:
        return f"PaymentFile({self.message_id!r}, {self.count} transfers, {self.total_cents} cents)"


def schema_path(schema: str) -> Path:
    """The XSD sepaxml ships for this pain.001 version."""
    import sepaxml

    return Path(sepaxml.__file__).resolve().parent / "schemas" / f"{schema}.xsd"


def credit_transfer_file(
    debtor: Debtor,
    execution_date: date,
    transfers: list[Transfer] | tuple[Transfer, ...],
    *,
    message_id: str,
    now: datetime,
    schema: str = DEFAULT_SCHEMA,
) -> PaymentFile:
    """The pain.001 file paying `transfers` from the debtor's account on `execution_date`.

    `message_id` names the file at the bank (unique per file: the batch's reference); `now`
    (aware) is its creation time, written in Paris time. ValueError when a transfer cannot
    go into a SEPA file; the file written is checked against the schema before it is returned.
    """
    from sepaxml import SepaTransfer

    if schema not in SCHEMAS:
        raise ValueError(f"Unknown pain.001 version {schema!r}; one of {SCHEMAS}.")
    _check_identifier("The message id", message_id)
    if not transfers:
        raise ValueError("A payment file has at least one transfer.")
    ids = [transfer.end_to_end_id for transfer in transfers]
    if len(set(ids)) != len(ids):
        raise ValueError("Each transfer of a file has its own end-to-end id.")

    config = {
        "name": sepa_text(debtor.name, MAX_NAME),
        "IBAN": normal_iban(debtor.iban),
        "BIC": debtor.bic.replace(" ", "").upper(),
        "batch": True,
        "currency": "EUR",
    }
    # clean=False: the texts are already in SEPA's set (sepaxml's own cleaning keeps "&" and
    # the like, which some banks refuse).
    builder = SepaTransfer(config, schema=schema, clean=False)
    for transfer in transfers:
        builder.add_payment({
            "name": sepa_text(transfer.creditor_name, MAX_NAME),
            "IBAN": normal_iban(transfer.iban),
            "BIC": transfer.bic.replace(" ", "").upper(),
            "amount": transfer.amount_cents,
            "execution_date": execution_date,
            "description": sepa_text(transfer.remittance, MAX_REMITTANCE),
            "endtoend_id": transfer.end_to_end_id,
        })
    xml = _stamped(builder.export(validate=False), schema, message_id, now)
    validate(xml, schema)
    return PaymentFile(
        message_id=message_id,
        schema=schema,
        execution_date=execution_date,
        count=len(transfers),
        total_cents=sum(transfer.amount_cents for transfer in transfers),
        xml=xml,
    )


def _stamped(xml: bytes, schema: str, message_id: str, now: datetime) -> bytes:
    """The file with our message id, payment block ids and creation time instead of sepaxml's
    random ones and its clock."""
    namespace = f"urn:iso:std:iso:20022:tech:xsd:{schema}"
    root = ET.fromstring(xml)
    for element in root.iter():  # back to plain names under one default namespace, as sepaxml writes
        element.tag = element.tag.removeprefix(f"{{{namespace}}}")
    root.set("xmlns", namespace)
    header = root.find("CstmrCdtTrfInitn/GrpHdr")
    header.find("MsgId").text = message_id
    header.find("CreDtTm").text = to_paris(now).strftime("%Y-%m-%dT%H:%M:%S")
    for number, block in enumerate(root.iterfind("CstmrCdtTrfInitn/PmtInf/PmtInfId"), start=1):
        block.text = f"{message_id[:MAX_ID - 4]}-{number:03d}"
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def validate(xml: bytes, schema: str = DEFAULT_SCHEMA) -> None:
    """Raise xmlschema's error when the file does not follow the pain.001 schema."""
    _schema(schema).validate(xml.decode("utf-8"))


@functools.cache
def _schema(schema: str):
    import xmlschema  # read once per process: building it takes a good part of a second

    return xmlschema.XMLSchema(str(schema_path(schema)))
