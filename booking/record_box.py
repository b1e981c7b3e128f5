"""A vaccination record that only the receipt code together with the date of birth opens.

The town hall seals each record under a key derived with Argon2id from the receipt code and the
date of birth (``code|YYYY-MM-DD``) and a random salt, then ChaCha20-Poly1305 with the reference as
associated data. The kiosk holds only sealed boxes: whoever takes the kiosk away learns which
codes have a record, but must guess a birth date per box at Argon2id's cost (docs/booking.md §9).
The same derivation with its own label is the kiosk's check of a date of birth before it cancels
a vaccination appointment, so the kiosk never stores a birth date either.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

# Argon2id costs: about a quarter of a second on a kiosk computer; ~40 000 possible birth dates
# make a guess at one record take hours, not seconds.
TIME_COST = 3
MEMORY_KIB = 64 * 1024
PARALLELISM = 1
SALT_BYTES = 16
NONCE_BYTES = 12
MAX_BOX_BYTES = 4096
_RECORD_LABEL = b"rathaus-vaccination-record/1"
_CHECK_LABEL = b"rathaus-birth-date-check/1"


class WrongSecret(Exception):
    """Code or date of birth do not open the box (or the box was damaged)."""


@dataclass(frozen=True)
class SealedRecord:
    reference: str
    salt: bytes
    nonce: bytes
    box: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "box": base64.b64encode(self.box).decode(),
            "nonce": base64.b64encode(self.nonce).decode(),
            "reference": self.reference,
            "salt": base64.b64encode(self.salt).decode(),
        }


def _secret(reference: str, birth_date: dt.date) -> bytes:
    return f"{reference}|{birth_date.isoformat()}".encode()


def derive_key(
    label: bytes, reference: str, birth_date: dt.date, salt: bytes, *, memory_kib: int = MEMORY_KIB
) -> bytes:
    """32 bytes from Argon2id over the label, the code and the birth date."""
    return hash_secret_raw(
        label + b"\n" + _secret(reference, birth_date),
        salt,
        time_cost=TIME_COST,
        memory_cost=memory_kib,
        parallelism=PARALLELISM,
        hash_len=32,
        type=Type.ID,
    )


def seal_record(
    reference: str,
    birth_date: dt.date,
    record: dict[str, Any],
    *,
    memory_kib: int = MEMORY_KIB,
    salt: bytes | None = None,
    nonce: bytes | None = None,
) -> SealedRecord:
    """The town hall's side: ``record`` (JSON object) in a box for this code and birth date.
    ``salt`` and ``nonce`` are random; they are given only to write test vectors."""
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    key = derive_key(_RECORD_LABEL, reference, birth_date, salt, memory_kib=memory_kib)
    plain = json.dumps(record, sort_keys=True, ensure_ascii=False).encode()
    box = ChaCha20Poly1305(key).encrypt(nonce, plain, _RECORD_LABEL + reference.encode())
    if len(box) > MAX_BOX_BYTES:
        raise ValueError("a vaccination record is at most 4 KiB")
    return SealedRecord(reference, salt, nonce, box)


def open_record(
    sealed: SealedRecord, reference: str, birth_date: dt.date, *, memory_kib: int = MEMORY_KIB
) -> dict[str, Any]:
    """The kiosk's side; ``WrongSecret`` when code or birth date are not the ones sealed for."""
    if not hmac.compare_digest(sealed.reference, reference):
        raise WrongSecret()
    key = derive_key(_RECORD_LABEL, reference, birth_date, sealed.salt, memory_kib=memory_kib)
    try:
        plain = ChaCha20Poly1305(key).decrypt(sealed.nonce, sealed.box, _RECORD_LABEL + reference.encode())
    except InvalidTag:
        raise WrongSecret() from None
    value = json.loads(plain)
    if not isinstance(value, dict):
        raise WrongSecret()
    return value


def birth_date_check(reference: str, birth_date: dt.date, *, salt: bytes | None = None) -> str:
    """What a kiosk keeps to check a birth date later: ``salt$digest`` (base64), never the date."""
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    digest = derive_key(_CHECK_LABEL, reference, birth_date, salt)
    return base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def birth_date_matches(check: str, reference: str, birth_date: dt.date) -> bool:
    try:
        salt_text, digest_text = check.split("$")
        salt = base64.b64decode(salt_text, validate=True)
        expected = base64.b64decode(digest_text, validate=True)
    except ValueError:
        return False
    return hmac.compare_digest(derive_key(_CHECK_LABEL, reference, birth_date, salt), expected)
