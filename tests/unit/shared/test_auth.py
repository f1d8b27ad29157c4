import pytest

from shared.accounts import auth, passwords

SECRET = "a test secret of at least 32 bytes"


def test_argon2_hash_and_verify():
    hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2")
    assert passwords.verify_password(hashed, "correct horse battery")
    assert not passwords.verify_password(hashed, "wrong")
    assert not passwords.verify_password(None, "anything")
    assert not passwords.verify_password("not-a-hash", "anything")


def test_token_carries_roles_for_one_audience():
    token = auth.issue_token(SECRET, "tremplin:grants", 7, ["fund_manager"], 60)
    principal = auth.read_token(SECRET, "tremplin:grants", token)
    assert principal == auth.Principal(7, ("fund_manager",))
    with pytest.raises(auth.InvalidToken):
        auth.read_token(SECRET, "tremplin:crowdfunding", token)
    with pytest.raises(auth.InvalidToken):
        auth.read_token("another secret of thirty-two bytes!!", "tremplin:grants", token)


def test_expired_token_refused():
    token = auth.issue_token(SECRET, "tremplin:grants", 7, ["applicant"], -1)
    with pytest.raises(auth.InvalidToken):
        auth.read_token(SECRET, "tremplin:grants", token)
