"""Volunteer badges and PINs, and power-of-attorney codes: made at the town hall, checked at the kiosk.

A badge is a printed QR code that a USB barcode scanner types into the kiosk like a keyboard:
``RKB.V0007.`` followed by 32 random digits. Digits and the full stop sit on the same keys on a
German and an English keyboard, so a scanner set to either layout types the same text. A power of
attorney gets the same kind of code on the town hall's letter (``RKP.P0042.…``), so the person
acting under it can scan or type it. For volunteers without a badge there is id + PIN (WCAG 2.2,
3.3.8: a PIN alone is a memory test, the badge is the alternative).

Only Argon2id hashes of the secrets ever leave this module: the town hall keeps them and sends them
to the kiosks in the signed download. What a stolen kiosk reveals is therefore ids, short names,
last days and these hashes. The 32-digit badge and power secrets (106 bits) cannot be found from
their hashes. A six-digit PIN can, with a million Argon2id tries (each 64 MiB and a noticeable
fraction of a second): days on one computer, not years. So after a kiosk is lost, the town hall
gives every volunteer who uses a PIN a new one (``rathaus volunteers new-pin``); the kiosk's
lock-out slows guessing at the keyboard itself (``kiosk.staff_access``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kiosk.pin import ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST

BADGE_PREFIX = "RKB"
POWER_CODE_PREFIX = "RKP"
SECRET_DIGITS = 32
PIN_DIGITS = 6
MAX_TYPED_CHARS = 64
_CODE = re.compile(r"(RKB|RKP)\.([VP][0-9]{4,6})\.([0-9]{32})")

_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


@dataclass(frozen=True)
class ScannedCode:
    """A badge or power code as read from the scanner: whose it is and its secret."""

    prefix: str
    holder_id: str
    secret: str

    @property
    def is_badge(self) -> bool:
        return self.prefix == BADGE_PREFIX


def new_secret() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(SECRET_DIGITS))


def new_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))


def badge_code(volunteer_id: str, secret: str) -> str:
    return f"{BADGE_PREFIX}.{volunteer_id}.{secret}"


def power_code(power_id: str, secret: str) -> str:
    return f"{POWER_CODE_PREFIX}.{power_id}.{secret}"


def read_code(typed: str) -> ScannedCode | None:
    """The code a scanner typed (or a person), tolerant of case and surrounding blanks; else ``None``."""
    text = typed.strip().upper()[: MAX_TYPED_CHARS + 1]
    match = _CODE.fullmatch(text) if len(text) <= MAX_TYPED_CHARS else None
    if match is None:
        return None
    prefix, holder, secret = match.groups()
    if (prefix == BADGE_PREFIX) != holder.startswith("V"):
        return None
    return ScannedCode(prefix, holder, secret)


def hash_secret(secret: str) -> str:
    """The Argon2id hash kept at the town hall and sent to kiosks (``$argon2id$…``)."""
    return _hasher.hash(secret)


def secret_matches(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one behind ``stored``; ``False`` for an empty or damaged hash."""
    if not stored or not secret or len(secret) > MAX_TYPED_CHARS:
        return False
    try:
        return _hasher.verify(stored, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
