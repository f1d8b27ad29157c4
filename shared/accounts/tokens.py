"""The platform's tokens: signed by the accounts service alone (Ed25519, "EdDSA"), verified by
every service with the public keys accounts publishes as a JWKS document.

A token carries the account, its roles, its session version and what a service keeps about a
person (email, name, language), so a service that sees a person for the first time can record
them before the `account.*` event arrives. Two kinds:
- `access`: an API bearer token, `TOKEN_TTL_SECONDS` long;
- `session`: the platform's session cookie for pages, renewed while the person is active
  (`SESSION_IDLE_SECONDS`) up to `SESSION_LIFETIME_SECONDS` after sign-in (`auth_time`).

The private key never sits in the repository: production gives it as a PEM file
(`ACCOUNTS_SIGNING_KEY_FILE`) or in the environment (`ACCOUNTS_SIGNING_KEY`); `make run` makes a
key pair under `var/keys/` on first start. After a rotation, the old public key stays published
(`ACCOUNTS_PREVIOUS_PUBLIC_KEYS_FILE`, PEMs one after another) until the last token it signed
has expired.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.core.config import VAR

ISSUER = "tremplin-accounts"
AUDIENCE = "tremplin"
ALGORITHM = "EdDSA"
DEFAULT_KEY_FILE = VAR / "keys" / "accounts-signing.pem"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Claims:
    account_id: int
    kind: str
    roles: tuple[str, ...]
    session_version: int
    email: str
    name: str
    language: str
    issued_at: int
    expires_at: int
    auth_time: int


# --- Keys (the accounts service) ----------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's RFC 7638 thumbprint, so that a key keeps its id wherever it is loaded."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


def jwk(public_key: Ed25519PublicKey) -> dict:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": key_id(public_key), "alg": ALGORITHM, "use": "sig"}


def generate_key_file(path: Path) -> None:
    """A new Ed25519 private key in a PEM file only its owner can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


class Signer:
    """The accounts service's signing key, and the public keys it publishes."""

    def __init__(self, private_key: Ed25519PrivateKey, previous: list[Ed25519PublicKey] | None = None):
        self.private_key = private_key
        self.kid = key_id(private_key.public_key())
        self.previous = previous or []

    @classmethod
    def from_environment(cls) -> "Signer":
        pem = os.environ.get("ACCOUNTS_SIGNING_KEY")
        if pem is None:
            path = Path(os.environ.get("ACCOUNTS_SIGNING_KEY_FILE", DEFAULT_KEY_FILE))
            if not path.exists() and "ACCOUNTS_SIGNING_KEY_FILE" not in os.environ:
                try:
                    generate_key_file(path)  # `make run`'s first start
                except FileExistsError:
                    pass  # another process made it first
            pem = path.read_text()
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the accounts signing key must be an Ed25519 private key")
        previous = []
        previous_file = os.environ.get("ACCOUNTS_PREVIOUS_PUBLIC_KEYS_FILE")
        if previous_file:
            for block in Path(previous_file).read_text().split("-----END PUBLIC KEY-----"):
                if "BEGIN PUBLIC KEY" in block:
                    previous.append(serialization.load_pem_public_key((block + "-----END PUBLIC KEY-----").encode()))
        return cls(key, previous)

    def jwks(self) -> dict:
        return {"keys": [jwk(self.private_key.public_key())] + [jwk(key) for key in self.previous]}

    def mint(self, account, kind: str, ttl_seconds: int, auth_time: int | None = None) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER, "aud": AUDIENCE, "sub": str(account.id), "kind": kind,
            "roles": list(account.roles), "sv": account.session_version,
            "email": account.email, "name": account.name, "lang": account.language,
            "iat": now, "exp": now + ttl_seconds, "auth_time": auth_time or now,
        }
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})


# --- Verification (every service) ----------------------------------------------------------------


class Verifier:
    """Checks tokens with the public keys of the accounts' JWKS document, fetched from `JWKS_URL`
    (an http(s) address, or a file:// one in tests) and cached. A key id it does not know fetches
    the document again, at most once a minute, so a rotation is picked up without a restart and
    made-up key ids cannot make it fetch on every request."""

    REFETCH_SECONDS = 60.0
    # Tokens already verified, with their claims: a client sends the same token with each request,
    # and checking its signature costs more than Flask's whole hello world. Emptied when full and
    # whenever the published keys change.
    VERIFIED_MAX = 10_000

    def __init__(self, url: str):
        self.url = url
        self._keys: dict[str, object] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()
        self._verified: dict[str, Claims] = {}

    @classmethod
    def of_signer(cls, signer: "Signer") -> "Verifier":
        """The accounts service checks its own tokens with the keys it holds, fetching nothing."""
        verifier = cls("")
        verifier._keys = {key["kid"]: jwt.PyJWK(key).key for key in signer.jwks()["keys"]}
        verifier._fetched_at = float("inf")
        return verifier

    def verify(self, token: str, kind: str) -> Claims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify_signed(token)
            with self._lock:
                if len(self._verified) >= self.VERIFIED_MAX:
                    self._verified.clear()
                self._verified[token] = claims
        # Checked on every use, as PyJWT checks them: a remembered token still expires.
        if claims.expires_at <= time.time():
            raise InvalidToken("Signature has expired")
        if claims.kind != kind:
            raise InvalidToken(f"a {claims.kind} token where a {kind} token was expected")
        return claims

    def _verify_signed(self, token: str) -> Claims:
        try:
            key = self._key(jwt.get_unverified_header(token).get("kid", ""))
            data = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "sv", "kind"]},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidToken(str(error)) from None
        return Claims(
            account_id=int(data["sub"]), kind=data["kind"], roles=tuple(data.get("roles", ())),
            session_version=int(data["sv"]), email=data.get("email", ""), name=data.get("name", ""),
            language=data.get("lang", "fr"), issued_at=int(data["iat"]), expires_at=int(data["exp"]),
            auth_time=int(data.get("auth_time", data["iat"])),
        )

    def _key(self, kid: str):
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= self.REFETCH_SECONDS:
                self._fetched_at = time.monotonic()
                try:
                    jwk_set = self._fetch()
                except (OSError, ValueError, jwt.PyJWTError) as error:
                    # Accounts may be starting: try again within seconds, not a minute.
                    self._fetched_at = time.monotonic() - self.REFETCH_SECONDS + 5
                    raise InvalidToken(f"the accounts' public keys could not be read: {error}") from None
                self._keys = {key.key_id: key.key for key in jwk_set.keys}
                self._verified = {}  # a key no longer published no longer vouches for a token
            try:
                return self._keys[kid]
            except KeyError:
                raise InvalidToken("signed by a key the accounts service does not publish") from None

    def _fetch(self) -> jwt.PyJWKSet:
        # urllib reads http(s) and file:// alike (PyJWKClient only http).
        with urllib.request.urlopen(self.url, timeout=5) as answer:
            return jwt.PyJWKSet.from_dict(json.loads(answer.read()))
