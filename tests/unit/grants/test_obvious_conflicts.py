"""The flags of obvious conflicts of interest, without a database."""
from services.grants.jury import email_domain, obvious_conflicts, siren_of


def test_a_siret_carries_its_siren():
    assert siren_of("732 829 320 00074") == "732829320"
    assert siren_of("732829320") == "732829320"
    assert siren_of("7328") is None and siren_of(None) is None and siren_of("") is None


def test_the_same_siren_is_flagged_whether_written_as_a_siren_or_a_siret():
    assert obvious_conflicts("732829320", "jules@example.net", "73282932000074", "ana@label.fr") == [
        ("same_siren", "732829320")]
    assert obvious_conflicts("552100554", "jules@example.net", "73282932000074", "ana@label.fr") == []
    assert obvious_conflicts(None, "jules@example.net", "73282932000074", "ana@label.fr") == []


def test_the_same_email_domain_is_flagged_unless_it_is_a_webmails():
    assert obvious_conflicts(None, "Jules@Films-du-Puy.fr", None, "contact@films-du-puy.fr") == [
        ("same_email_domain", "films-du-puy.fr")]
    for webmail in ("gmail.com", "orange.fr", "laposte.net", "free.fr", "hotmail.fr", "yahoo.fr"):
        assert obvious_conflicts(None, f"jules@{webmail}", None, f"ana@{webmail}") == []
    assert obvious_conflicts(None, "jules@films-du-puy.fr", None, "ana@label.fr") == []
    assert email_domain("not an address") is None


def test_both_rules_at_once():
    assert obvious_conflicts("732829320", "jules@label-dome.fr", "73282932000074", "ana@label-dome.fr") == [
        ("same_siren", "732829320"), ("same_email_domain", "label-dome.fr")]
