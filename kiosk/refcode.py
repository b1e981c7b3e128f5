"""Receipt reference codes: short, read aloud easily, and a mistyped code is caught.

A code is eight random symbols and one check symbol from Crockford's base-32 alphabet (digits and
capital letters without I, L, O, U), printed in groups of three: ``7KQ-M2X-9TJ``. The check symbol is
a Damm check over the field GF(32) (``state = 2·state + symbol``, modulo x⁵+x²+1), which catches every
single wrong symbol and every swap of two neighbours, the check symbol included. When a person
types a code back, case, spaces, tabs, dashes, underscores and dots do not matter, and O/I/L are
read as 0/1/1; nothing else is accepted (docs/envelope.md section 4.3 specifies exactly this).
"""

from __future__ import annotations

import secrets

from kiosk.errors import ReferenceCodeError
from kiosk.i18n import translator

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BODY_LENGTH = 8
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _times_two(value: int) -> int:
    """Multiply by x in GF(2⁵) with the polynomial x⁵ + x² + 1."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


def _check_symbol(body: str) -> str:
    """The symbol that brings the running Damm state back to zero."""
    state = 0
    for char in body:
        state = _times_two(state) ^ ALPHABET.index(char)
    return ALPHABET[_times_two(state)]


def check_symbol(body: str) -> str:
    """The check symbol for eight (or any number of) symbols of ``ALPHABET``."""
    return _check_symbol(body)


def has_valid_check(code: str) -> bool:
    """True when a compact code's symbols are all from ``ALPHABET`` and its last one checks."""
    return (
        isinstance(code, str)
        and len(code) >= 2
        and all(ch in ALPHABET for ch in code)
        and _check_symbol(code[:-1]) == code[-1]
    )


def new_reference() -> str:
    """A fresh code in its compact form (nine symbols, no dashes)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(_BODY_LENGTH))
    return body + _check_symbol(body)


def display(code: str) -> str:
    """Groups of three for printing and reading aloud: ``7KQM2X9TJ`` → ``7KQ-M2X-9TJ``."""
    return "-".join(code[i : i + 3] for i in range(0, len(code), 3))


# What people put between the groups: the receipt screen shows an en dash, and word processors
# and phones turn "-" into en or em dashes, minus signs or non-breaking hyphens.
_SEPARATORS = frozenset(" \t-_.\u2010\u2011\u2012\u2013\u2014\u2212")


def parse(text: str, lang: str = "de") -> str:
    """Turn what a person typed into the compact code, or say plainly what is wrong."""
    _ = translator(lang)
    # Only ASCII is upper-cased: "ı".upper() is "I" and "ſ".upper() is "S", which no receipt shows.
    upper = "".join(ch.upper() if ch.isascii() else ch for ch in text)
    cleaned = "".join(ch for ch in upper if ch not in _SEPARATORS).translate(_LOOKALIKES)
    if not cleaned:
        raise ReferenceCodeError(_("Please type the code from your receipt."))
    bad = sorted({ch for ch in cleaned if ch not in ALPHABET})
    if bad:
        raise ReferenceCodeError(
            _("The code contains characters that never appear on a receipt: {chars}").format(
                chars=" ".join(bad)
            )
        )
    if len(cleaned) != _BODY_LENGTH + 1:
        raise ReferenceCodeError(
            _("A receipt code has 9 characters; you typed {count}. Please check it.").format(
                count=len(cleaned)
            )
        )
    if _check_symbol(cleaned[:-1]) != cleaned[-1]:
        raise ReferenceCodeError(
            _("This code cannot be right: one character is probably mistyped. Please compare it with your receipt.")
        )
    return cleaned


def is_valid(text: str) -> bool:
    """True when ``text`` is a code we could have printed."""
    try:
        parse(text)
    except ReferenceCodeError:
        return False
    return True
