"""The platform's tokens: signed by the accounts service's Ed25519 key, checked with its public
keys; no network, no database."""
import json
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.accounts.passwords import hash_password, verify_password
from shared.accounts.tokens import InvalidToken, Signer, Verifier, key_id

PERSON = SimpleNamespace(id=7, roles=["applicant"], session_version=2, email="a@example.org", name="A", language="en")


def test_argon2_hash_and_verify():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_a_token_carries_the_person_and_their_session_version():
    signer = Signer(Ed25519PrivateKey.generate())
    claims = Verifier.of_signer(signer).verify(signer.mint(PERSON, "access", 60), "access")
    assert (claims.account_id, claims.roles, claims.session_version) == (7, ("applicant",), 2)
    assert (claims.email, claims.name, claims.language) == ("a@example.org", "A", "en")
    assert jwt.get_unverified_header(signer.mint(PERSON, "access", 60)) == {"alg": "EdDSA", "kid": signer.kid, "typ": "JWT"}


def test_refused_tokens():
    signer = Signer(Ed25519PrivateKey.generate())
    verifier = Verifier.of_signer(signer)
    with pytest.raises(InvalidToken):
        verifier.verify(signer.mint(PERSON, "session", 60), "access")  # a session cookie is no API token
    with pytest.raises(InvalidToken):
        verifier.verify(signer.mint(PERSON, "access", -1), "access")  # expired
    with pytest.raises(InvalidToken):
        verifier.verify(Signer(Ed25519PrivateKey.generate()).mint(PERSON, "access", 60), "access")  # another key
    forged = jwt.encode({"sub": "7", "kind": "access", "sv": 2, "iat": int(time.time()), "exp": int(time.time()) + 60,
                         "aud": "tremplin", "iss": "tremplin-accounts"}, "a shared secret of 32 bytes or more!!", algorithm="HS256")
    with pytest.raises(InvalidToken):
        verifier.verify(forged, "access")
    with pytest.raises(InvalidToken):
        verifier.verify("not a token", "access")


def test_a_rotated_key_stays_published_until_its_tokens_expire(tmp_path):
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    old_token = Signer(old).mint(PERSON, "access", 60)
    rotated = Signer(new, previous=[old.public_key()])
    assert [key["kid"] for key in rotated.jwks()["keys"]] == [key_id(new.public_key()), key_id(old.public_key())]
    published = tmp_path / "jwks.json"
    published.write_text(json.dumps(rotated.jwks()))
    verifier = Verifier(f"file://{published}")
    assert verifier.verify(old_token, "access").account_id == 7
    assert verifier.verify(rotated.mint(PERSON, "access", 60), "access").account_id == 7


def test_made_up_key_ids_do_not_make_the_verifier_fetch_every_time(tmp_path):
    signer = Signer(Ed25519PrivateKey.generate())
    published = tmp_path / "jwks.json"
    published.write_text(json.dumps(signer.jwks()))
    verifier = Verifier(f"file://{published}")
    verifier.verify(signer.mint(PERSON, "access", 60), "access")
    published.unlink()  # a fetch now would fail: none must happen for an unknown kid within a minute
    stranger = Signer(Ed25519PrivateKey.generate()).mint(PERSON, "access", 60)
    for _ in range(3):
        with pytest.raises(InvalidToken, match="does not publish"):
            verifier.verify(stranger, "access")


def test_a_remembered_token_still_expires_and_keeps_its_kind(monkeypatch):
    """A token's signature is checked once (then remembered); its expiry and kind at every use."""
    import shared.accounts.tokens as tokens

    signer = Signer(Ed25519PrivateKey.generate())
    verifier = Verifier.of_signer(signer)
    token = signer.mint(PERSON, "session", 60)
    assert verifier.verify(token, "session") == verifier.verify(token, "session")
    with pytest.raises(InvalidToken):
        verifier.verify(token, "access")
    later = time.time() + 61
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: later, monotonic=time.monotonic))
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token, "session")


def test_a_key_no_longer_published_no_longer_vouches_for_a_remembered_token(tmp_path):
    old, new = Signer(Ed25519PrivateKey.generate()), Signer(Ed25519PrivateKey.generate())
    published = tmp_path / "jwks.json"
    published.write_text(json.dumps(old.jwks()))
    verifier = Verifier(f"file://{published}")
    verifier.REFETCH_SECONDS = 0  # every unknown key id fetches the keys again
    old_token = old.mint(PERSON, "access", 60)
    assert verifier.verify(old_token, "access").account_id == 7
    published.write_text(json.dumps(new.jwks()))  # the old key withdrawn (it leaked, say)
    assert verifier.verify(new.mint(PERSON, "access", 60), "access").account_id == 7  # fetches the new keys
    with pytest.raises(InvalidToken, match="does not publish"):
        verifier.verify(old_token, "access")
