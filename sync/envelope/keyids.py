"""Names for public keys: a short key id for files, a longer fingerprint for people.

``key_id`` is the first 8 bytes of SHA-256 over the raw 32-byte public key, as 16 lower-case hex
digits; it tells which key sealed or signed something. ``fingerprint`` is the first 10 bytes of the
same hash as upper-case hex in groups of four (``4F2A-9C1B-77D0-E3A5-1B2C``): what two people
compare on two screens when a kiosk is enrolled. The fingerprint starts with the key id, so a person
who sees both can match them at a glance.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Union

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from sync.envelope.suites import HYBRID_PUBLIC_SIZE, HybridPublicKey

PublicKey = Union[X25519PublicKey, Ed25519PublicKey, HybridPublicKey]
RAW_KEY_SIZE = 32


def raw_public_bytes(public_key: PublicKey) -> bytes:
    """The raw bytes of a public key: 32 for X25519 or Ed25519 (RFC 7748 / RFC 8032 encoding),
    1216 for the hybrid ML-KEM-768 + X25519 key (``sync.envelope.suites``)."""
    if isinstance(public_key, HybridPublicKey):
        return public_key.raw()
    if not isinstance(public_key, (X25519PublicKey, Ed25519PublicKey)):
        raise TypeError(f"expected an X25519 or Ed25519 public key, got {type(public_key).__name__}")
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: PublicKey) -> str:
    """16 hex digits naming a public key (64 bits of SHA-256 over its raw bytes)."""
    return hashlib.sha256(raw_public_bytes(public_key)).hexdigest()[:16]


def fingerprint(public_key: PublicKey) -> str:
    """``4F2A-9C1B-77D0-E3A5-1B2C``: 80 bits of SHA-256, for a person to compare."""
    digits = hashlib.sha256(raw_public_bytes(public_key)).hexdigest()[:20].upper()
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def encode_public_key(public_key: PublicKey) -> str:
    """Standard base64 with padding of the raw key, as written in JSON files."""
    return base64.b64encode(raw_public_bytes(public_key)).decode("ascii")


def decode_raw_key(text: object, size: int = RAW_KEY_SIZE) -> bytes:
    """The ``size`` bytes behind a base64 key string; ``ValueError`` when it is not one."""
    if not isinstance(text, str):
        raise ValueError("a key must be a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("a key must be a base64 string") from None
    if len(raw) != size:
        raise ValueError(f"a key has {size} bytes, this one {len(raw)}")
    return raw


def decode_ed25519_public(text: object) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(decode_raw_key(text))


def decode_x25519_public(text: object) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(decode_raw_key(text))


def decode_hybrid_public(text: object) -> HybridPublicKey:
    return HybridPublicKey.from_raw(decode_raw_key(text, HYBRID_PUBLIC_SIZE))
