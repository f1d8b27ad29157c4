"""The SEPA file checked on its own: against the XSD sepaxml ships, read with xmlschema here
(not through the module's own check), and its figures read back from the XML."""
import functools
import os
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import sepaxml
import xmlschema

from services.grants.sepa import (
    SCHEMAS,
    Debtor,
    Transfer,
    credit_transfer_file,
    sepa_text,
)

TREASURY = Debtor("Trésorerie de la Métropole", "FR76 3000 6000 0112 3456 7890 189", "BNPAFRPP")
NOW = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)  # 09:30 in Paris
EXECUTION = date(2026, 3, 2)
SEPA_CHARACTERS = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")


def transfer(number, cents, name="Studio Lumière", iban="FR1420041010050500013M02606", bic="PSSTFRPPLIL",
             remittance=None):
    return Transfer(name, iban, bic, cents, f"TRANCHE-{number}", remittance or f"Tremplin grant, tranche {number}")


def build(transfers, schema="pain.001.001.03", message_id="TREMPLIN-20260301-0001"):
    return credit_transfer_file(TREASURY, EXECUTION, transfers, message_id=message_id, now=NOW, schema=schema)


@functools.cache
def xsd(schema):
    return xmlschema.XMLSchema(os.path.join(os.path.dirname(sepaxml.__file__), "schemas", f"{schema}.xsd"))


def read(payment_file):
    """The document's elements by local name, and the schema check done here."""
    xsd(payment_file.schema).validate(payment_file.xml.decode("utf-8"))
    root = ET.fromstring(payment_file.xml)
    namespace = f"{{urn:iso:std:iso:20022:tech:xsd:{payment_file.schema}}}"
    assert root.tag == f"{namespace}Document"
    for element in root.iter():
        element.tag = element.tag.removeprefix(namespace)
    return root


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_file_validates_against_the_pain_001_schema(schema):
    payment_file = build([transfer(1, 700_001), transfer(2, 300_000, name="Société Œuvre & Fils")], schema=schema)
    root = read(payment_file)
    assert root.find("CstmrCdtTrfInitn/GrpHdr/MsgId").text == "TREMPLIN-20260301-0001"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_group_header_and_the_payment_block_count_and_sum_the_transfers(schema):
    # Amounts whose sum goes wrong in binary floats: 0.10 + 0.20, and two hundred single cents.
    amounts = [10, 20, 700_001, 300_000, 99_999_999_999] + [1] * 200
    payment_file = build([transfer(n, cents) for n, cents in enumerate(amounts)], schema=schema)
    root = read(payment_file)
    header = root.find("CstmrCdtTrfInitn/GrpHdr")
    block = root.find("CstmrCdtTrfInitn/PmtInf")
    total = sum(amounts)  # 100 001 000 230 cents
    assert header.find("NbOfTxs").text == block.find("NbOfTxs").text == "205"
    assert header.find("CtrlSum").text == block.find("CtrlSum").text == "1000010002.30"
    assert (payment_file.count, payment_file.total_cents) == (205, total)
    written = [Decimal(a.text) for a in root.iter("InstdAmt")]
    assert written[:5] == [Decimal("0.10"), Decimal("0.20"), Decimal("7000.01"), Decimal("3000.00"),
                           Decimal("999999999.99")]
    assert sum(written) * 100 == total
    assert {a.get("Ccy") for a in root.iter("InstdAmt")} == {"EUR"}


def test_one_payment_block_from_the_treasury_on_the_execution_date():
    root = read(build([transfer(1, 700_001), transfer(2, 5)]))
    blocks = root.findall("CstmrCdtTrfInitn/PmtInf")
    assert len(blocks) == 1
    block = blocks[0]
    assert block.find("PmtMtd").text == "TRF"
    assert block.find("BtchBookg").text == "true"
    assert block.find("PmtTpInf/SvcLvl/Cd").text == "SEPA"
    assert block.find("ReqdExctnDt").text == "2026-03-02"
    assert block.find("Dbtr/Nm").text == "Tresorerie de la Metropole"
    assert block.find("DbtrAcct/Id/IBAN").text == "FR7630006000011234567890189"
    assert block.find("DbtrAgt/FinInstnId/BIC").text == "BNPAFRPP"
    assert block.find("PmtInfId").text == "TREMPLIN-20260301-0001-001"
    first = block.find("CdtTrfTxInf")
    assert first.find("PmtId/EndToEndId").text == "TRANCHE-1"
    assert first.find("CdtrAcct/Id/IBAN").text == "FR1420041010050500013M02606"  # whole, in the file only
    assert first.find("CdtrAgt/FinInstnId/BIC").text == "PSSTFRPPLIL"
    assert first.find("RmtInf/Ustrd").text == "Tremplin grant, tranche 1"


def test_the_creation_time_is_the_callers_in_paris_and_the_file_is_the_same_every_time():
    first = build([transfer(1, 700_001)])
    again = build([transfer(1, 700_001)])
    assert first.xml == again.xml
    assert read(first).find("CstmrCdtTrfInitn/GrpHdr/CreDtTm").text == "2026-03-01T09:30:00"


def test_names_and_texts_are_written_in_the_sepa_character_set():
    payment_file = build([
        transfer(1, 100, name="Société Œuvre & Fils — «Éditions» Straße", remittance="Subvention n° 12 : 1ʳᵉ tranche (70 %) ; merci !"),
        transfer(2, 200, name="Ærø Łódź_Studio \"Nord\" @ Lille", remittance="Prix € 50 # 2/2"),
    ])
    root = read(payment_file)
    names = [n.text for n in root.iter("Nm")]
    texts = [t.text for t in root.iter("Ustrd")]
    assert names == ["Tresorerie de la Metropole", "Tresorerie de la Metropole",
                     "Societe OEuvre + Fils -- 'Editions' Strasse", "AEro Lodz-Studio 'Nord' Lille"]
    assert texts == ["Subvention no 12 : 1re tranche (70 pct) , merci .", "Prix EUR 50 2/2"]
    for element in root.iter():
        if element.text:
            assert SEPA_CHARACTERS.fullmatch(element.text), element.text


def test_long_names_and_texts_are_cut_at_sepa_lengths():
    root = read(build([transfer(1, 100, name="Compagnie " * 10, remittance="Tranche " * 30)]))
    name = root.find("CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/Cdtr/Nm").text
    text = root.find("CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/RmtInf/Ustrd").text
    assert len(name) <= 70 and name.startswith("Compagnie Compagnie") and not name.endswith(" ")
    assert len(text) <= 140 and text.startswith("Tranche Tranche")


def test_sepa_text_spells_out_what_banks_would_refuse():
    assert sepa_text("Café-concert L'Aéronef", 70) == "Cafe-concert L'Aeronef"
    assert sepa_text("  a\tb\nc  ", 70) == "a b c"
    assert sepa_text("東京", 70) == "Dong Jing"
    assert sepa_text("abcdef", 3) == "abc"


@pytest.mark.parametrize(
    "make",
    [
        lambda: transfer(1, 0),  # nothing to pay
        lambda: transfer(1, -5),
        lambda: transfer(1, 100_000_000_000),  # above the EPC's ceiling for one transfer
        lambda: transfer(1, 100, iban="FR7630006000011234567890188"),  # mistyped IBAN
        lambda: transfer(1, 100, iban="US64SVBKUS6S3300958879"),  # outside SEPA
        lambda: transfer(1, 100, bic="BNPAFRP"),
        lambda: transfer(1, 100, name="   "),
        lambda: transfer(1, 100, remittance="@#*"),  # nothing left once spelt in SEPA's set
        lambda: Transfer("Studio", "FR1420041010050500013M02606", "PSSTFRPPLIL", 100, "TRANCHE 1", "x"),
        lambda: Transfer("Studio", "FR1420041010050500013M02606", "PSSTFRPPLIL", 100, "/TRANCHE-1", "x"),
        lambda: Transfer("Studio", "FR1420041010050500013M02606", "PSSTFRPPLIL", 100, "TRANCHE//1", "x"),
        lambda: Transfer("Studio", "FR1420041010050500013M02606", "PSSTFRPPLIL", 100, "T" * 36, "x"),
        lambda: Debtor("Trésorerie", "FR7630006000011234567890188", "BNPAFRPP"),
    ],
)
def test_what_cannot_go_into_a_sepa_file_is_refused_when_made(make):
    with pytest.raises((ValueError, TypeError)):
        make()


def test_an_amount_is_integer_cents():
    with pytest.raises(TypeError):
        transfer(1, 10.5)
    with pytest.raises(TypeError):
        transfer(1, Decimal("10.50"))


def test_a_file_has_transfers_with_their_own_ids_and_a_sepa_message_id():
    with pytest.raises(ValueError):
        build([])
    with pytest.raises(ValueError):
        build([transfer(1, 100), transfer(1, 200)])
    with pytest.raises(ValueError):
        build([transfer(1, 100)], message_id="TREMPLIN 2026")
    with pytest.raises(ValueError):
        build([transfer(1, 100)], schema="pain.001.001.02")
    with pytest.raises(ValueError):
        credit_transfer_file(TREASURY, EXECUTION, [transfer(1, 100)], message_id="M1", now=datetime(2026, 3, 1))


def test_ibans_are_masked_when_printed():
    assert "30006000011234567890" not in repr(TREASURY)
    assert "2004101005050001" not in repr(transfer(1, 100))
    assert "FR14 •••• 2606" in repr(transfer(1, 100))
