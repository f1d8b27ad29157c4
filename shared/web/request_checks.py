"""What a request must be before any schema or query reads it.

- A JSON body nested more than MAX_DEPTH deep is malformed (400): Python's parser would raise
  RecursionError on a body nested 100,000 deep.
- Text is valid Unicode without NUL characters: a lone surrogate such as "\\ud800" makes the
  database driver raise UnicodeEncodeError, a NUL makes PostgreSQL refuse the query. In a body or
  a query string it is a 422 naming the field (by location, as the schemas' errors are); in the
  path it is a 404, since no record has such a name.
"""
from __future__ import annotations

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import abort
from werkzeug.exceptions import BadRequest

from shared.core.refusal import INVALID

# Our deepest schema nests four levels (a call's scoring grid: criteria, levels); 32 leaves room.
MAX_DEPTH = 32

BAD_TEXT = "Send valid Unicode text, without NUL characters or lone surrogates such as \\ud800."


class NestedTooDeep(BadRequest):
    # Not a ValueError: Flask would answer that with its generic "could not understand" message.
    description = f"The JSON body is nested more than {MAX_DEPTH} levels deep."


class CheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with bodies too deeply nested refused as malformed (400)."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise NestedTooDeep() from None
        if _depth_exceeds(value, MAX_DEPTH):
            raise NestedTooDeep()
        return value


def init_request_checks(app: Flask) -> None:
    app.json = CheckedJSONProvider(app)

    @app.before_request
    def _check_request():
        if any(isinstance(value, str) and not _is_clean(value) for value in (request.view_args or {}).values()):
            abort(404, message="Nothing exists at this address.")
        errors = {}
        for location, values in (("query", request.args), ("form", request.form)):
            found = {
                _shown(key): [BAD_TEXT]
                for key in values
                if not _is_clean(key) or not all(_is_clean(value) for value in values.getlist(key))
            }
            if found:
                errors[location] = found
        if request.is_json and request.get_data(cache=True):
            # Parsed once here through the provider above (a failure is Flask's 400); the schemas
            # read the same cached bytes afterwards.
            found = json_text_errors(request.get_json())
            if found:
                errors["json"] = found
        if errors:
            abort(422, message=INVALID, messages=errors)


def _depth_exceeds(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def json_text_errors(data) -> dict:
    """{field: {nested field or index: [message]}} for every string holding a NUL or a lone
    surrogate (keys included), shaped like marshmallow's errors; {} when all text is clean."""
    errors: dict = {}
    stack = [(data, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if not _is_clean(item):
                _put(errors, path or ("_schema",))
        elif isinstance(item, dict):
            for key, child in item.items():
                if not _is_clean(key):
                    _put(errors, path + (_shown(key),))
                stack.append((child, path + (_shown(key),)))
        elif isinstance(item, list):
            stack.extend((child, path + (index,)) for index, child in enumerate(item))
    return errors


def _shown(key: str) -> str:
    """A field's name as the client can read it back: "\\ud800" and "\\x00" written out."""
    return key if _is_clean(key) else key.encode("unicode_escape").decode("ascii")


def _is_clean(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _put(errors: dict, path: tuple) -> None:
    node = errors
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return  # already reported at a higher level
    node.setdefault(path[-1], [BAD_TEXT])
