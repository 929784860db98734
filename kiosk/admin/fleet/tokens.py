"""Per-kiosk API tokens: created in the console, shown once, stored only as a SHA-256 hash.

A token is ``<selector>.<secret>``: 8 random bytes in hex that find the kiosk
through a database index, then 32 random bytes in URL-safe base64. The console
stores the selector and the SHA-256 hash of the whole token and compares
hashes with :func:`hmac.compare_digest`, so neither the lookup nor the
comparison reveals the secret through timing.

SHA-256 and not Argon2: Argon2 makes guessing low-entropy passwords slow,
but a 256-bit random secret cannot be guessed at any hashing speed, while an
Argon2 check (tens of milliseconds and tens of MiB each) would cost several
CPU cores at 10,000 kiosks reporting every minute.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SELECTOR_BYTES = 8
SECRET_BYTES = 32
TOKEN_PATTERN = re.compile(r"(?P<selector>[0-9a-f]{16})\.(?P<secret>[A-Za-z0-9_-]{43})")
_BEARER = re.compile(r"Bearer +(?P<token>\S+) *", re.IGNORECASE)


class TokenError(ValueError):
    """An Authorization header or token is malformed."""


@dataclass(frozen=True)
class NewToken:
    """A freshly generated token; ``token`` is shown once and never stored."""

    token: str
    selector: str
    digest: str


def token_digest(token: str) -> str:
    """Return the hex SHA-256 hash of ``token`` as stored in the database."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate_token() -> NewToken:
    """Create a new random token."""
    selector = secrets.token_hex(SELECTOR_BYTES)
    token = f"{selector}.{secrets.token_urlsafe(SECRET_BYTES)}"
    return NewToken(token=token, selector=selector, digest=token_digest(token))


def selector_of(token: str) -> str:
    """Return the selector part of ``token``; raise TokenError when it is not a token."""
    match = TOKEN_PATTERN.fullmatch(token)
    if match is None:
        raise TokenError("the token is malformed; expected the value shown when it was created")
    return match.group("selector")


def bearer_token(header: str | None) -> str:
    """Return the token of an ``Authorization: Bearer <token>`` header; raise TokenError otherwise."""
    if not header:
        raise TokenError("missing Authorization header; expected 'Bearer <token>'")
    match = _BEARER.fullmatch(header)
    if match is None:
        raise TokenError("the Authorization header is not 'Bearer <token>'")
    return match.group("token")


def digest_matches(token: str, stored_digest: str) -> bool:
    """Compare the hash of ``token`` with ``stored_digest`` in constant time."""
    if not stored_digest:
        return False
    return hmac.compare_digest(token_digest(token), stored_digest)
