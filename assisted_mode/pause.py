"""Pause slips: a draft sealed under a key only the slip's code gives, for a few days.

A senior who must fetch a document pauses the application; the kiosk prints a slip with a code of
twelve symbols of the receipt code's alphabet, the last a check symbol (``kiosk.refcode``), so a
mistyped code is caught on the spot. From the code and a random salt of this kiosk, Argon2id makes
64 bytes: the first 32 are the ChaCha20-Poly1305 key of the draft, the last 16 name the draft's
row (``lookup``). The kiosk stores only the lookup, the sealed draft and its expiry: without the
slip, nobody at the kiosk (and nobody with its disk) can open the draft or even tell whose it is;
guessing a code costs one Argon2id each, 55 bits of them, and the kiosk's lock-out slows tries at
the keyboard. The draft expires after ``KEEP_DAYS`` and is then deleted unread.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from kiosk import refcode
from kiosk.pin import ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST

KEEP_DAYS = 14
"""Long enough to fetch a document or wait for the next outreach day, short enough that a
forgotten draft does not linger."""
BODY_SYMBOLS = 11
MAX_DRAFT_BYTES = 256 * 1024
_SEPARATORS = frozenset(" \t-_.\u2010\u2011\u2012\u2013\u2014\u2212")
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DOMAIN = b"rathaus-pause/1"
_cost = {"time_cost": ARGON2_TIME_COST, "memory_cost": ARGON2_MEMORY_KIB, "parallelism": ARGON2_PARALLELISM}


@dataclass(frozen=True)
class DraftKey:
    lookup: str  # hex, names the row
    key: bytes = b""


def new_pause_code() -> str:
    body = "".join(secrets.choice(refcode.ALPHABET) for _ in range(BODY_SYMBOLS))
    return body + refcode.check_symbol(body)


def display(code: str) -> str:
    """Groups of three, as on the slip: ``7KQ-M2X-9TJ-4HW``."""
    return refcode.display(code)


def _cleaned(typed: str) -> str:
    upper = "".join(ch.upper() if ch.isascii() else ch for ch in typed[:64])
    return "".join(ch for ch in upper if ch not in _SEPARATORS).translate(_LOOKALIKES)


def looks_like_pause_code(typed: str) -> bool:
    """Twelve symbols: meant as a pause code (a receipt code has nine), whether typed right or not."""
    cleaned = _cleaned(typed)
    return len(cleaned) == BODY_SYMBOLS + 1 and all(ch in refcode.ALPHABET for ch in cleaned)


def read_pause_code(typed: str) -> str | None:
    """The compact code from what a person typed (dashes, spaces, O for 0 …), or ``None`` when it
    is not twelve symbols with a valid check symbol."""
    cleaned = _cleaned(typed)
    if len(cleaned) != BODY_SYMBOLS + 1 or not refcode.has_valid_check(cleaned):
        return None
    return cleaned


def derive(code: str, kiosk_salt: bytes) -> DraftKey:
    """The draft's key and row name from the code (Argon2id, the staff PIN's costs)."""
    raw = hash_secret_raw(
        secret=_DOMAIN + b"\n" + code.encode(), salt=kiosk_salt, hash_len=48, type=Type.ID, **_cost
    )
    return DraftKey(lookup=raw[32:].hex(), key=raw[:32])


def seal_draft(key: DraftKey, expires_at: str, draft: dict[str, Any]) -> bytes:
    nonce = secrets.token_bytes(12)
    plaintext = json.dumps(draft, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if len(plaintext) > MAX_DRAFT_BYTES:
        raise ValueError("a draft is far larger than any form's answers")
    return nonce + ChaCha20Poly1305(key.key).encrypt(nonce, plaintext, _aad(key, expires_at))


def open_draft(key: DraftKey, expires_at: str, sealed: bytes) -> dict[str, Any] | None:
    """The draft, or ``None`` when the key is not the one it was sealed with (or it was changed,
    e.g. its expiry moved)."""
    try:
        plaintext = ChaCha20Poly1305(key.key).decrypt(sealed[:12], sealed[12:], _aad(key, expires_at))
    except (InvalidTag, ValueError):
        return None
    draft = json.loads(plaintext)
    return draft if isinstance(draft, dict) else None


def _aad(key: DraftKey, expires_at: str) -> bytes:
    return _DOMAIN + b"\n" + key.lookup.encode() + b"\n" + expires_at.encode()
