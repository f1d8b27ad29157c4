"""Signed one-click unsubscribe tokens, carried in the List-Unsubscribe URL.

The token names a person's address and a category of messages (e.g. the kind
"campaign_news"); the signature lets the unsubscribe endpoint trust both without
the person logging in. Tokens do not expire: an unsubscribe link in an old
message must keep working.
"""

from __future__ import annotations

from itsdangerous import BadData, URLSafeSerializer


class InvalidUnsubscribeToken(ValueError):
    pass


def make_token(secret: str | bytes, email: str, category: str) -> str:
    if "@" not in email or not category:
        raise ValueError("an unsubscribe token needs an email address and a category")
    return _serializer(secret).dumps([_normalised(email), category])


def read_token(secret: str | bytes, token: str) -> tuple[str, str]:
    try:
        payload = _serializer(secret).loads(token)
    except BadData as error:
        raise InvalidUnsubscribeToken("unsubscribe link is invalid or was altered") from error
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(part, str) for part in payload)
    ):
        raise InvalidUnsubscribeToken("unsubscribe link does not name an address and a category")
    email, category = payload
    return email, category


def _normalised(email: str) -> str:
    return email.strip().lower()


def _serializer(secret: str | bytes) -> URLSafeSerializer:
    # The salt keeps these signatures from being valid anywhere else the same secret signs.
    return URLSafeSerializer(secret, salt="unsubscribe")
