"""Passwords: how they are kept (argon2 hashes) and what they must be: long enough, and hard to
guess, judged by zxcvbn (Dropbox's strength estimator, which knows common passwords, names,
keyboard patterns, repeats and dates) against the person's own name and address as well."""
from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
# zxcvbn's scale: 0 too guessable ... 4 very unguessable; 3 resists an offline attack on a slow hash.
MIN_SCORE = 3
ZXCVBN_MAX_LENGTH = 72

TOO_SHORT = "Use at least 10 characters."
TOO_LONG = "Use at most 200 characters."
CONTROL = "A password cannot contain control characters."
TOO_EASY = "This password is too easy to guess: use a few unusual words, or a longer mix of characters."


def password_problem(password: str, *hints: str) -> str | None:
    """Why this password is refused, or None. `hints` are the person's name and address."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if any(unicodedata.category(character) == "Cc" for character in password):
        return CONTROL
    # zxcvbn refuses (ValueError) to judge more than its 72 characters, its cost growing fast with
    # length: it judges the first 72, and a longer password is at least as hard to guess.
    if zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[hint for hint in hints if hint])["score"] < MIN_SCORE:
        return TOO_EASY
    return None


_hasher = PasswordHasher()
# Verified against when the email is unknown, so that sign-in takes as long either way.
_DUMMY_HASH = _hasher.hash("tremplin-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
