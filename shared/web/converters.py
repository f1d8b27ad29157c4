"""URL converters every service uses in place of Werkzeug's."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from shared.core.fields import INT_MAX


def digits_at_most(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to `limit` (leading zeros aside)."""
    text = str(limit)
    alternatives = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for position, digit in enumerate(text):
        if digit != "0":
            alternatives.append(rf"{text[:position]}[0-{int(digit) - 1}]\d{{{len(text) - position - 1}}}")
    alternatives.append(text)
    return "(?:" + "|".join(alternatives) + ")"


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to our integer columns: a larger id cannot exist, so it is a 404 rather
    than an overflow in the database driver. flask-smorest documents the maximum in OpenAPI.

    The bound is in the pattern, not only in `to_python`: Werkzeug answers a value that matches a
    route's pattern but fails its converter with 405 when a sibling route takes another method.
    """

    regex = digits_at_most(INT_MAX)

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_converters(app) -> None:
    # Before any route is added: rules take their converters from the map when registered.
    app.url_map.converters["int"] = IdConverter
