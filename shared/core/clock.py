"""Time as people in the metropolitan area see it, and as we store it.

Deadlines are entered and shown in Europe/Paris and stored in UTC.
"""

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format

PARIS = ZoneInfo("Europe/Paris")

# What an <input type="datetime-local"> sends; browsers add seconds when a step below
# one minute is set, so those are accepted too.
_DATETIME_LOCAL = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def paris_to_utc(naive_local: datetime) -> datetime:
    """The UTC instant of a wall-clock time read in Paris.

    A time inside the spring-forward gap never shows on a Paris clock, so it is refused
    rather than silently moved. A time repeated at the autumn fall-back is taken at its
    first occurrence (fold=0): that is when people in Paris see the clock reach it, so a
    deadline set then is never later than they expect.
    """
    if naive_local.tzinfo is not None:
        raise ValueError("paris_to_utc expects a naive wall-clock time, not an aware one.")
    local = naive_local.replace(tzinfo=PARIS, fold=0)
    in_utc = local.astimezone(timezone.utc)
    # zoneinfo accepts gap times and shifts them; a round trip that does not come back
    # to the same wall-clock time reveals one.
    if in_utc.astimezone(PARIS).replace(tzinfo=None) != naive_local.replace(fold=0):
        raise ValueError(
            f"{naive_local:%Y-%m-%d %H:%M} does not exist in Europe/Paris: "
            "clocks skip that hour when summer time starts."
        )
    return in_utc


def to_paris(aware: datetime) -> datetime:
    _refuse_naive(aware)
    return aware.astimezone(PARIS)


def next_paris_midnight(aware: datetime) -> datetime:
    """The first instant after `aware` at which the date changes in Paris, in UTC: what is counted
    in Paris days ("3 days left") changes then. Midnight exists every day in Paris (clocks change
    at 2 and 3 o'clock)."""
    local = to_paris(aware)
    tomorrow = local.date() + timedelta(days=1)
    return paris_to_utc(datetime(tomorrow.year, tomorrow.month, tomorrow.day))


def format_paris(aware: datetime, locale: str) -> str:
    """Medium date and short time in Paris, e.g. "22 nov. 2026, 18:00" in French."""
    local = to_paris(aware)
    # Babel's "medium" datetime includes seconds, which nobody wants on a deadline, so the
    # locale's own way of joining date and time is used with a short time.
    pattern = get_datetime_format("medium", locale=locale)
    return pattern.replace("{1}", format_date(local, "medium", locale=locale)).replace(
        "{0}", format_time(local, "short", tzinfo=PARIS, locale=locale)
    )


def parse_paris_input(text: str) -> datetime:
    """An HTML datetime-local value ("YYYY-MM-DDTHH:MM"), read in Paris, as aware UTC."""
    match = _DATETIME_LOCAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"Expected a date and time as YYYY-MM-DDTHH:MM, got {text!r}.")
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    return paris_to_utc(datetime(year, month, day, hour, minute, second))


def _refuse_naive(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Expected a timezone-aware datetime.")
