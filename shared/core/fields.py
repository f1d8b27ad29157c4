"""Marshmallow field types for what clients send, bounded to what we can store and compute.

A value the database column or the calendar cannot hold is refused as a field error (422),
never let through to fail in the driver or in a time zone conversion (500).
"""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import fields, validate

# Our ids and counts are PostgreSQL `integer` columns (4 bytes, signed).
INT_MAX = 2**31 - 1

# Instants a person may give: wide enough for any deadline or birth date, and far enough from
# the calendar's ends (years 1 and 9999) that moving one to UTC or to Paris time cannot overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


class Id(fields.Integer):
    """The id of a record, as a JSON number: 1 to INT_MAX (documented as such in OpenAPI)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        kwargs.setdefault("validate", validate.Range(min=1, max=INT_MAX))
        super().__init__(**kwargs)


class Trimmed(fields.String):
    """Text with the spaces around it removed (what people type often ends with one). A length
    limit holds for the text as sent, spaces included, as the OpenAPI document's maxLength says;
    the limits are checked again on the trimmed text (a blank name is still empty)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        for validator in self.validators:
            if isinstance(validator, validate.Length):
                validator(text)
        return text.strip()


class StrictBoolean(fields.Boolean):
    """A JSON true or false, as documented: not 0, 1, "yes" or "on" (marshmallow's Boolean takes those,
    which suits a form's checkbox, not an API)."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Instant(fields.DateTime):
    """An ISO 8601 time with its offset, loaded as aware UTC, between EARLIEST and LATEST.

    Subclasses that read other forms of time (a Paris wall-clock time...) override `_read`;
    the bounds and the overflow check stay here.
    """

    default_error_messages = {
        "naive": "Give a time with its offset, such as 2026-11-22T18:00:00+01:00.",
        "out_of_range": "Give a time between the years 1900 and 8999.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        try:
            moment = self._read(value, attr, data, **kwargs).astimezone(timezone.utc)
        except OverflowError:
            # "9999-12-31T23:59:59-14:00" is past the last instant Python can hold in UTC.
            raise self.make_error("out_of_range") from None
        if not EARLIEST <= moment < LATEST:
            raise self.make_error("out_of_range")
        return moment

    def _read(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise self.make_error("naive")
        return moment
