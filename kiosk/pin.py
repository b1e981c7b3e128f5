"""The staff PIN: what a new one must look like, and how it is kept and checked.

A PIN is kept only as an Argon2id hash in ``kiosk.toml``. Whoever copies that file can try PINs
offline as fast as their hardware allows, so two things set how long that takes: the number of
possible PINs and the cost of one try. Six digits are a million PINs, the length people already
keep in their heads for a bank card or phone; longer ones are allowed, but a longer minimum makes
staff write the PIN down next to the kiosk, and remembering it is the one thing this sign-in asks
(WCAG 2.2, 3.3.8 Accessible Authentication, counts remembering a secret as such a test, and there is
no password manager at a kiosk keyboard). The Argon2id cost is set so one try takes a noticeable
fraction of a second on a small kiosk computer (see deploy/kiosk/README.md for the measured figure)
and needs 64 MiB of memory, which keeps graphics cards from running thousands of guesses at once.

Kiosks set up before Argon2id keep an scrypt hash; it is still accepted, and the first right PIN
replaces it with an Argon2id hash (``needs_rehash``), so an existing kiosk opens as before.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator

MIN_PIN_DIGITS = 6
MAX_PIN_DIGITS = 32  # the PIN window takes no more

# Measured with ``python -m bench.pin_cost``; the figures are in deploy/kiosk/README.md.
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_TIME_COST = 3
ARGON2_PARALLELISM = 1  # a small kiosk computer may have one free core while the screen runs

_SCRYPT_PREFIX = "scrypt$"
_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


def check_new_pin(pin: str, lang: str | None = None) -> None:
    """Refuse a PIN that is too short, too long or not only digits, in words a person reads."""
    _ = translator(lang or language_from_environment())
    if not pin.isascii() or not pin.isdigit() or not MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS:
        raise RathausError(
            _("The staff PIN must be {low} to {high} digits (only 0 to 9).").format(
                low=MIN_PIN_DIGITS, high=MAX_PIN_DIGITS
            )
        )


def hash_pin(pin: str) -> str:
    """An Argon2id hash of a new PIN (``check_new_pin`` first), as a ``$argon2id$…`` string."""
    check_new_pin(pin)
    return _hasher.hash(pin)


def rehash_pin(pin: str) -> str:
    """The Argon2id hash of a PIN that was just verified under an older hash.

    Not held to today's length: an older kiosk's shorter PIN must keep opening it until staff set
    a new one (the staff screen asks them to).
    """
    return _hasher.hash(pin)


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` is the PIN behind ``stored`` (Argon2id, or the older scrypt form)."""
    if not stored or len(pin) > MAX_PIN_DIGITS:
        return False
    if stored.startswith(_SCRYPT_PREFIX):
        return _verify_scrypt(pin, stored)
    try:
        return _hasher.verify(stored, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` is the older scrypt form or has other Argon2id costs than today's."""
    if stored.startswith(_SCRYPT_PREFIX):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _verify_scrypt(pin: str, stored: str) -> bool:
    """The hash kiosks wrote before Argon2id: ``scrypt$<salt hex>$<hash hex>``, N=2^14."""
    try:
        _scheme, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)
