from datetime import datetime, timedelta, timezone

import pytest

from shared.core.clock import PARIS, format_paris, next_paris_midnight, parse_paris_input, paris_to_utc, to_paris, utcnow


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def test_utcnow_is_aware_utc():
    now = utcnow()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_summer_and_winter_offsets():
    assert paris_to_utc(datetime(2026, 7, 1, 18, 0)) == utc(2026, 7, 1, 16, 0)
    assert paris_to_utc(datetime(2026, 12, 1, 18, 0)) == utc(2026, 12, 1, 17, 0)


def test_a_time_skipped_by_spring_forward_is_refused():
    with pytest.raises(ValueError, match="does not exist in Europe/Paris"):
        paris_to_utc(datetime(2027, 3, 28, 2, 30))
    # Either side of the gap is fine.
    assert paris_to_utc(datetime(2027, 3, 28, 1, 59)) == utc(2027, 3, 28, 0, 59)
    assert paris_to_utc(datetime(2027, 3, 28, 3, 0)) == utc(2027, 3, 28, 1, 0)


def test_a_time_repeated_by_fall_back_takes_its_first_occurrence():
    assert paris_to_utc(datetime(2026, 10, 25, 2, 30)) == utc(2026, 10, 25, 0, 30)
    assert paris_to_utc(datetime(2026, 10, 25, 2, 30, fold=1)) == utc(2026, 10, 25, 0, 30)


def test_paris_to_utc_refuses_an_aware_time():
    with pytest.raises(ValueError):
        paris_to_utc(utc(2026, 7, 1, 18, 0))


def test_to_paris():
    local = to_paris(utc(2026, 7, 1, 16, 0))
    assert local.tzinfo == PARIS
    assert (local.hour, local.minute) == (18, 0)
    with pytest.raises(ValueError):
        to_paris(datetime(2026, 7, 1, 16, 0))


def test_format_paris_in_french_and_english():
    deadline = utc(2026, 11, 22, 17, 0)
    assert format_paris(deadline, "fr") == "22 nov. 2026, 18:00"
    assert format_paris(deadline, "fr_FR") == "22 nov. 2026, 18:00"
    assert format_paris(deadline, "en").replace("\u202f", " ") == "Nov 22, 2026, 6:00 PM"


def test_format_paris_uses_the_paris_date_near_midnight():
    assert format_paris(utc(2026, 12, 31, 23, 30), "fr") == "1 janv. 2027, 00:30"


def test_parse_paris_input_reads_a_datetime_local_value():
    assert parse_paris_input("2026-07-01T18:00") == utc(2026, 7, 1, 16, 0)
    assert parse_paris_input("2026-12-01T18:00") == utc(2026, 12, 1, 17, 0)
    assert parse_paris_input("2026-12-01T18:00:30") == utc(2026, 12, 1, 17, 0, 30)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-07-01",
        "2026-07-01 18:00",
        "2026-07-01T18:00Z",
        "2026-07-01T18:00+02:00",
        "2026-13-01T18:00",
        "tomorrow",
    ],
)
def test_parse_paris_input_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_paris_input(text)


def test_parse_paris_input_refuses_a_time_skipped_by_spring_forward():
    with pytest.raises(ValueError, match="does not exist"):
        parse_paris_input("2027-03-28T02:30")


@pytest.mark.parametrize("moment, midnight", [
    # Winter (UTC+1): 23:30 UTC is already the next day in Paris.
    (datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc), datetime(2026, 12, 7, 23, 0, tzinfo=timezone.utc)),
    (datetime(2026, 12, 7, 22, 59, 59, tzinfo=timezone.utc), datetime(2026, 12, 7, 23, 0, tzinfo=timezone.utc)),
    (datetime(2026, 12, 7, 23, 0, tzinfo=timezone.utc), datetime(2026, 12, 8, 23, 0, tzinfo=timezone.utc)),
    # Summer (UTC+2), and the nights the clocks change (the day is 23 or 25 hours long).
    (datetime(2026, 7, 14, 12, 0, tzinfo=timezone.utc), datetime(2026, 7, 14, 22, 0, tzinfo=timezone.utc)),
    (datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc), datetime(2026, 3, 29, 22, 0, tzinfo=timezone.utc)),
    (datetime(2026, 10, 24, 22, 30, tzinfo=timezone.utc), datetime(2026, 10, 25, 23, 0, tzinfo=timezone.utc)),
])
def test_next_paris_midnight_is_when_the_date_changes_in_paris(moment, midnight):
    assert next_paris_midnight(moment) == midnight
    assert to_paris(midnight).time() == datetime.min.time()
    assert to_paris(midnight - timedelta(microseconds=1)).date() == to_paris(moment).date()
