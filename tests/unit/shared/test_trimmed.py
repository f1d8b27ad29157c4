"""Trimmed text: the spaces around it removed, its length limit held for the text as sent (as the
OpenAPI document's maxLength says), its limits checked again once trimmed."""
import pytest
from marshmallow import Schema, ValidationError, validate

from shared.core.fields import Trimmed


class Named(Schema):
    name = Trimmed(required=True, validate=validate.Length(min=1, max=10, error="At most 10, at least 1."))


def test_the_spaces_around_are_removed():
    assert Named().load({"name": "  Ana \n"}) == {"name": "Ana"}


def test_text_longer_than_its_limit_as_sent_is_refused_even_when_spaces_make_the_difference():
    with pytest.raises(ValidationError) as refused:
        Named().load({"name": "Ana" + " " * 8})
    assert refused.value.messages == {"name": ["At most 10, at least 1."]}
    assert Named().load({"name": "Ana" + " " * 7}) == {"name": "Ana"}


def test_blank_text_is_still_too_short_once_trimmed():
    with pytest.raises(ValidationError) as refused:
        Named().load({"name": "   "})
    assert refused.value.messages == {"name": ["At most 10, at least 1."]}
