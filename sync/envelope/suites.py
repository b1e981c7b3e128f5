"""The HPKE suites a sealed item may name, and the town hall's keys for each.

``x25519`` is RFC 9180 Base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
ChaCha20-Poly1305: small, fast, and what every item of format 1 uses. ``mlkem768-x25519`` swaps the
KEM for the hybrid ML-KEM-768 + X25519 KEM (HPKE KEM 0x647A, "X-Wing"), for town halls that keep
applications for years and want them safe even if X25519 falls to a quantum computer later; the
KDF, the AEAD and everything around them stay the same.

``cryptography`` takes the hybrid key as its two halves and offers no byte encoding for it, so
``HybridPublicKey`` and ``HybridPrivateKey`` keep both halves and define the encoding the spec
names: the ML-KEM-768 encapsulation key (1184 bytes) followed by the X25519 key (32 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

SUITE_X25519 = "x25519"
SUITE_HYBRID = "mlkem768-x25519"
SUITES: tuple[str, ...] = (SUITE_X25519, SUITE_HYBRID)

MLKEM768_PUBLIC_SIZE = 1184
X25519_SIZE = 32
HYBRID_PUBLIC_SIZE = MLKEM768_PUBLIC_SIZE + X25519_SIZE


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class HybridPublicKey:
    """A town hall's ML-KEM-768 + X25519 public key."""

    mlkem: MLKEM768PublicKey
    x25519: X25519PublicKey

    def raw(self) -> bytes:
        """``pk_mlkem || pk_x25519``: 1216 bytes, the encoding in townhall.json and key ids."""
        return self.mlkem.public_bytes_raw() + _raw(self.x25519)

    @classmethod
    def from_raw(cls, data: bytes) -> "HybridPublicKey":
        """``ValueError`` unless ``data`` is exactly an ML-KEM-768 key followed by an X25519 key."""
        if len(data) != HYBRID_PUBLIC_SIZE:
            raise ValueError(f"a hybrid key has {HYBRID_PUBLIC_SIZE} bytes, this one {len(data)}")
        return cls(
            MLKEM768PublicKey.from_public_bytes(data[:MLKEM768_PUBLIC_SIZE]),
            X25519PublicKey.from_public_bytes(data[MLKEM768_PUBLIC_SIZE:]),
        )

    def hpke_key(self) -> hpke.MLKEM768X25519PublicKey:
        return hpke.MLKEM768X25519PublicKey(self.mlkem, self.x25519)


@dataclass(frozen=True)
class HybridPrivateKey:
    """The matching private key; kept only on the computer where staff open applications."""

    mlkem: MLKEM768PrivateKey
    x25519: X25519PrivateKey

    @classmethod
    def generate(cls) -> "HybridPrivateKey":
        return cls(MLKEM768PrivateKey.generate(), X25519PrivateKey.generate())

    def public_key(self) -> HybridPublicKey:
        return HybridPublicKey(self.mlkem.public_key(), self.x25519.public_key())

    def hpke_key(self) -> hpke.MLKEM768X25519PrivateKey:
        return hpke.MLKEM768X25519PrivateKey(self.mlkem, self.x25519)


RecipientPublicKey = Union[X25519PublicKey, HybridPublicKey]
RecipientPrivateKey = Union[X25519PrivateKey, HybridPrivateKey]

_HPKE_SUITES = {
    SUITE_X25519: hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305),
    SUITE_HYBRID: hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305),
}
ENC_SIZES = {SUITE_X25519: 32, SUITE_HYBRID: 1120}
"""Bytes of HPKE ``enc`` per suite (X25519 share; ML-KEM-768 ciphertext 1088 + X25519 share 32)."""


def suite_of(key: RecipientPublicKey | RecipientPrivateKey) -> str:
    """Which suite a town-hall encryption key belongs to."""
    if isinstance(key, (X25519PublicKey, X25519PrivateKey)):
        return SUITE_X25519
    if isinstance(key, (HybridPublicKey, HybridPrivateKey)):
        return SUITE_HYBRID
    raise TypeError(f"not a town-hall encryption key: {type(key).__name__}")


def generate_private_key(suite: str) -> RecipientPrivateKey:
    """A new town-hall encryption key of ``suite``."""
    if suite == SUITE_X25519:
        return X25519PrivateKey.generate()
    if suite == SUITE_HYBRID:
        return HybridPrivateKey.generate()
    raise ValueError(f"unknown suite {suite!r}")


def public_raw(key: RecipientPublicKey) -> bytes:
    """The raw public key bytes: 32 for X25519, 1216 for the hybrid key."""
    return key.raw() if isinstance(key, HybridPublicKey) else _raw(key)


def hpke_seal(suite: str, plaintext: bytes, key: RecipientPublicKey, info: bytes) -> bytes:
    """RFC 9180 single-shot SealBase; returns ``enc || ct``."""
    target = key.hpke_key() if isinstance(key, HybridPublicKey) else key
    return _HPKE_SUITES[suite].encrypt(plaintext, target, info=info)


def hpke_open(suite: str, sealed: bytes, key: RecipientPrivateKey, info: bytes) -> bytes:
    """RFC 9180 single-shot OpenBase of ``enc || ct``; raises ``InvalidTag`` when it fails."""
    target = key.hpke_key() if isinstance(key, HybridPrivateKey) else key
    return _HPKE_SUITES[suite].decrypt(sealed, target, info=info)
