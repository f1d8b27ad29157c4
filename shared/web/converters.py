"""URL converters every service uses in place of Werkzeug's."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from shared.core.fields import INT_MAX


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to our integer columns: a larger id cannot exist, so it is a 404 rather
    than an overflow in the database driver. flask-smorest documents the maximum in OpenAPI."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_converters(app) -> None:
    # Before any route is added: rules take their converters from the map when registered.
    app.url_map.converters["int"] = IdConverter
