"""IBAN checks per ISO 13616: the country's length and the mod-97 check digits.

Every IBAN of the SEPA area is accepted (paying out to any of them is required by the SEPA
regulation); for those countries the exact length is known and checked, so a forgotten or doubled
digit is named as such instead of as a wrong checksum. The check digits catch every single typo and
nearly every swap of two neighbouring characters.
"""

from __future__ import annotations

import re

# Lengths of the SEPA countries' IBANs (ISO 13616 registry).
SEPA_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip

_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def compact(text: str) -> str:
    """Upper case without spaces (what people type in groups of four)."""
    return "".join(text.split()).upper()


def problem(iban: str) -> str | None:
    """``None`` for a good compact IBAN, otherwise one of
    ``"shape"``, ``"country"``, ``"length"``, ``"checksum"``."""
    if not _SHAPE.match(iban):
        return "shape"
    expected = SEPA_LENGTHS.get(iban[:2])
    if expected is None:
        return "country"
    if len(iban) != expected:
        return "length"
    if not checksum_ok(iban):
        return "checksum"
    return None


def checksum_ok(iban: str) -> bool:
    """ISO 13616 / ISO 7064 MOD 97-10: move the first four characters to the end, letters become
    10..35, and the number modulo 97 must be 1."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def grouped(iban: str) -> str:
    """Groups of four, as printed on bank cards: ``DE89 3704 0044 0532 0130 00``."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
