import pytest
from itsdangerous import URLSafeSerializer

from services.notifications.unsubscribe import InvalidUnsubscribeToken, make_token, read_token

SECRET = "test-secret-for-unsubscribe"


def test_token_gives_back_the_address_and_category():
    token = make_token(SECRET, "ana@example.org", "campaign_news")

    assert read_token(SECRET, token) == ("ana@example.org", "campaign_news")


def test_address_is_normalised_to_lower_case():
    token = make_token(SECRET, "  Ana.Muller@Example.ORG ", "draft_reminder")

    assert read_token(SECRET, token) == ("ana.muller@example.org", "draft_reminder")
    assert token == make_token(SECRET, "ana.muller@example.org", "draft_reminder")


def test_token_is_safe_in_a_url():
    token = make_token(SECRET, "ana+news@example.org", "campaign_news")

    assert all(character.isalnum() or character in "-_." for character in token)


def test_tampered_token_is_refused():
    token = make_token(SECRET, "ana@example.org", "campaign_news")
    payload, signature = token.rsplit(".", 1)
    other_payload = make_token(SECRET, "bob@example.org", "campaign_news").rsplit(".", 1)[0]

    with pytest.raises(InvalidUnsubscribeToken):
        read_token(SECRET, f"{other_payload}.{signature}")
    with pytest.raises(InvalidUnsubscribeToken):
        read_token(SECRET, f"{payload}.{signature[:-2]}xx")


def test_token_signed_with_another_secret_is_refused():
    token = make_token("another-secret", "ana@example.org", "campaign_news")

    with pytest.raises(InvalidUnsubscribeToken):
        read_token(SECRET, token)


def test_signature_made_with_the_same_secret_for_something_else_is_refused():
    # Same secret, no "unsubscribe" salt: e.g. a token another part of the platform signs.
    foreign = URLSafeSerializer(SECRET).dumps(["ana@example.org", "campaign_news"])

    with pytest.raises(InvalidUnsubscribeToken):
        read_token(SECRET, foreign)


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c", "....", "é"])
def test_garbage_is_refused(garbage):
    with pytest.raises(InvalidUnsubscribeToken):
        read_token(SECRET, garbage)


def test_invalid_token_is_a_value_error_for_callers_that_catch_those():
    with pytest.raises(ValueError):
        read_token(SECRET, "not-a-token")


@pytest.mark.parametrize("email, category", [("", "campaign_news"), ("ana@example.org", "")])
def test_token_needs_an_address_and_a_category(email, category):
    with pytest.raises(ValueError):
        make_token(SECRET, email, category)
