"""What the applicant side relies on: when a call takes applications, and its rules."""
from datetime import datetime, timedelta, timezone

from services.grants.calls import _widens, accepts_applications, call_rules, effective_status, next_opening_or_closing
from services.grants.eligibility import ApplicationFacts, failing_rules
from services.grants.models import Call
from services.grants.review import digits_as_text, euros, neutralise

OPENS = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
CLOSES = datetime(2027, 1, 15, 17, 0, tzinfo=timezone.utc)


def _call(**overrides):
    values = dict(
        status="open", opens_at=OPENS, closes_at=CLOSES, max_award_cents=1_000_000, postal_codes=["63000"],
        sectors=["music"], organisation_kinds=[], min_other_funding_share_percent=20,
        required_documents=[{"code": "budget", "label_fr": "Budget", "label_en": None}], scoring_grid=[],
    )
    values.update(overrides)
    return Call(**values)


def test_a_call_takes_applications_from_its_opening_to_just_before_its_closing():
    call = _call()
    assert not accepts_applications(call, OPENS - timedelta(seconds=1))
    assert accepts_applications(call, OPENS)
    assert accepts_applications(call, CLOSES - timedelta(microseconds=1))
    assert not accepts_applications(call, CLOSES)
    assert effective_status(call, CLOSES) == "closed" and effective_status(call, OPENS) == "open"
    for status in ("draft", "closed", "in_review", "decided"):
        assert not accepts_applications(_call(status=status), OPENS)


def test_the_open_calls_hold_until_the_next_opening_or_closing():
    before = OPENS - timedelta(days=1)
    later = _call(opens_at=OPENS + timedelta(days=3), closes_at=CLOSES - timedelta(days=1))
    # Before both open, the first opening changes what is shown (accepting applications or not).
    assert next_opening_or_closing([_call(), later], before) == OPENS
    # Once the first is open, the second's opening comes before either closing.
    assert next_opening_or_closing([_call(), later], OPENS) == OPENS + timedelta(days=3)
    assert next_opening_or_closing([_call(), later], OPENS + timedelta(days=3)) == CLOSES - timedelta(days=1)
    # With no call, until a day later (the replay's own limit is shorter anyway).
    assert next_opening_or_closing([], before) == before + timedelta(days=1)


def test_call_rules_feed_the_eligibility_check():
    rules = call_rules(_call())
    assert rules.required_documents == ("budget",) and rules.postal_codes == ("63000",)
    facts = ApplicationFacts(postal_code="63100", sector="music", organisation_kind="company", requested_cents=500_000,
                             total_budget_cents=1_000_000, other_funding_cents=500_000, documents=())
    assert {failure.rule for failure in failing_rules(rules, facts)} == {"territory", "documents"}


def test_a_restriction_widens_only_when_everyone_let_in_stays_in():
    assert _widens(["63000"], ["63000", "63100"]) and _widens(["63000"], []) and _widens([], [])
    assert not _widens(["63000", "63100"], ["63000"]) and not _widens([], ["63000"])


def test_spreadsheet_cells_neutralise_formulas_and_amounts_use_a_decimal_comma():
    assert [neutralise(v) for v in ("=1+1", "+33", "-2", "@SUM", "\tx", "ok", None, 5)] == [
        "'=1+1", "'+33", "'-2", "'@SUM", "'\tx", "ok", "", "5"]
    assert (euros(123456), euros(5), euros(0), euros(None)) == ("1234,56", "0,05", "0,00", "")



def test_a_siret_is_a_text_cell_that_excel_shows_as_its_digits():
    assert digits_as_text("73282932000074") == '="73282932000074"'
    assert digits_as_text("732829320") == '="732829320"'
    # Anything but digits is an ordinary cell, neutralised as the others.
    assert [digits_as_text(v) for v in (None, "", "=1+1", '1"+HYPERLINK("x")', "７３２")] == [
        "", "", "'=1+1", '1"+HYPERLINK("x")', "７３２"]
