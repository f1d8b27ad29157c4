from datetime import datetime, timezone

from shared.core.refusal import INVALID, Refusal

FRENCH = {"The call closed on %(closes_at)s (Paris time).": "L'appel a fermé le %(closes_at)s (heure de Paris).",
          "Required before submitting.": "Obligatoire avant l'envoi."}


def test_a_refusal_fills_in_its_values_after_translating_instants_in_paris_time():
    refusal = Refusal(409, "The call closed on %(closes_at)s (Paris time).",
                      values={"closes_at": datetime(2026, 7, 1, 16, 0, tzinfo=timezone.utc)})
    assert refusal.text() == "The call closed on 1 Jul 2026, 18:00 (Paris time)."
    french = refusal.text(lambda s: FRENCH.get(s, s), "fr_FR")
    assert french.startswith("L'appel a fermé le 1 juil. 2026") and "18:00" in french


def test_per_field_messages_are_translated_nested_groups_kept():
    refusal = Refusal(422, INVALID, {"summary": ["Required before submitting."], "rules": {"documents": ["x"]}})
    assert refusal.field_errors(lambda s: FRENCH.get(s, s)) == {
        "summary": ["Obligatoire avant l'envoi."], "rules": {"documents": ["x"]}}


def test_shortcuts_name_the_field():
    assert Refusal.invalid("fund_id", "There is no such fund.").errors == {"fund_id": ["There is no such fund."]}
    about = Refusal.about("year", 409, "Taken.")
    assert (about.status, about.message, about.errors) == (409, "Taken.", {"year": ["Taken."]})
    assert Refusal.not_found("Gone.").status == 404
