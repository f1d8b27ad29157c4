"""The notifications API's inputs and outputs."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.notifications.models import DELIVERY_STATUSES
from services.notifications.preferences import CATEGORIES
from shared.core.fields import StrictBoolean


class DeliverySchema(Schema):
    """A delivery as admins see it: who, what, and where it stands."""

    id = fields.Integer()
    event_id = fields.String()
    event_name = fields.String()
    kind = fields.String()
    channel = fields.String()
    recipient_email = fields.Email()
    recipient_name = fields.String()
    language = fields.String()
    status = fields.String(metadata={"enum": list(DELIVERY_STATUSES)})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    last_attempt_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)


class DeliveryQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    event_id = fields.String(validate=validate.Length(equal=36))
    recipient = fields.Email()


class MessageSchema(Schema):
    """A message in a person's own history: what it was and when, not its links."""

    id = fields.Integer()
    kind = fields.String()
    language = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)


class PreferencesSchema(Schema):
    """Opt-out categories and whether the address receives them; transactional messages always arrive."""

    reminders = StrictBoolean(metadata={"description": "Reminders, e.g. a draft before the call closes."})
    campaign_news = StrictBoolean(metadata={"description": "News from campaigns the person backs."})


# One field per category: a category added in preferences.py must be added here too.
assert set(PreferencesSchema._declared_fields) == set(CATEGORIES)
