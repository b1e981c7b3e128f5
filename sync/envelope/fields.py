"""Checked reading of header fields: exact key sets, types, patterns, times.

Identifiers are restricted to short ASCII patterns so that routing data read before any signature
check can never carry control characters, path separators or look-alike spellings.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kiosk import refcode
from sync.envelope.failures import MALFORMED, TOO_LARGE, envelope_error
from sync.envelope.limits import MAX_SAFE_INTEGER

KIOSK_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
FORM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
FORM_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,31}")
FORM_HASH = re.compile(r"[0-9a-f]{64}")
"""Bare lower-case hex SHA-256 of the form definition (docs/forms.md), the one spelling since 1.1."""
FORM_HASH_V1 = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}")
"""What format-1 items were allowed to carry; read, never written."""
RECEIPT_CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{9}")
"""Nine Crockford base-32 symbols; the last is the Damm check (``kiosk.refcode``)."""
REFERENCE = re.compile(r"[0-9A-Z]{1,32}")
"""The reference pattern of format 1 (items and status updates); 1.1 items carry a receipt code."""
KEY_ID = re.compile(r"[0-9a-f]{16}")
DIGEST = re.compile(r"[0-9a-f]{64}")
BATCH_ID = re.compile(r"[0-9a-f]{32}")
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# C0 controls except line feed, DEL and C1 controls (a terminal would act on them), and lone
# surrogates (not encodable as UTF-8).
NOT_IN_MESSAGES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def utc_timestamp(moment: dt.datetime | None = None) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC, to the second."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("a timestamp needs a timezone-aware datetime")
    return moment.astimezone(dt.timezone.utc).strftime(_TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> dt.datetime:
    """The moment a timestamp names; ``ValueError`` when it is not one."""
    if not isinstance(text, str) or not TIMESTAMP.fullmatch(text):
        raise ValueError(f"not a UTC timestamp: {text!r}")
    # The pattern already fixed the shape; fromisoformat is much faster than strptime.
    return dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.timezone.utc)


def is_kiosk_id(text: object) -> bool:
    """Lower-case letters, digits and hyphens, 1 to 40 characters, not starting with a hyphen."""
    return isinstance(text, str) and KIOSK_ID.fullmatch(text) is not None


class Fields:
    """One JSON object being read; every accessor raises ``malformed`` on a wrong value."""

    def __init__(self, value: Any, kind: str, keys: frozenset[str], *, where: str = "header") -> None:
        self.kind = kind
        self.where = where
        if not isinstance(value, dict):
            raise self.fail("is not a JSON object")
        if set(value) != keys:
            missing = sorted(keys - set(value))
            unknown = sorted(set(value) - keys)
            raise self.fail(f"missing {missing}, unknown {unknown}")
        self.value = value

    def fail(self, reason: str) -> Exception:
        return envelope_error(MALFORMED, self.kind, detail=f"{self.where}: {reason}")

    def text(self, key: str, pattern: re.Pattern[str]) -> str:
        value = self.value[key]
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise self.fail(f"{key!r} does not match {pattern.pattern}")
        return value

    def too_large(self, reason: str) -> Exception:
        return envelope_error(TOO_LARGE, self.kind, detail=f"{self.where}: {reason}")

    def receipt_code(self, key: str) -> str:
        """A receipt code in compact form: the pattern, then the check symbol."""
        value = self.text(key, RECEIPT_CODE)
        if not refcode.has_valid_check(value):
            raise self.fail(f"{key!r} has a wrong check symbol")
        return value

    def free_text(self, key: str, max_chars: int) -> str:
        value = self.value[key]
        if not isinstance(value, str) or NOT_IN_MESSAGES.search(value):
            raise self.fail(f"{key!r} is not text without control characters")
        if len(value) > max_chars:
            raise self.too_large(f"{key!r} has {len(value)} characters, at most {max_chars} allowed")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.value[key]
        if value not in allowed:
            raise self.fail(f"{key!r} is not one of {allowed}")
        return str(value)

    def integer(self, key: str, minimum: int = 0, maximum: int = MAX_SAFE_INTEGER) -> int:
        value = self.value[key]
        if type(value) is not int or not minimum <= value <= maximum:
            raise self.fail(f"{key!r} is not an integer from {minimum} to {maximum}")
        return value

    def timestamp(self, key: str) -> str:
        value = self.value[key]
        try:
            parse_timestamp(value)
        except ValueError:
            raise self.fail(f"{key!r} is not a UTC timestamp YYYY-MM-DDTHH:MM:SSZ") from None
        return str(value)

    def text_list(
        self, key: str, pattern: re.Pattern[str], *, minimum: int, maximum: int
    ) -> tuple[str, ...]:
        value = self.value[key]
        if not isinstance(value, list) or len(value) < minimum:
            raise self.fail(f"{key!r} is not a list of {minimum} to {maximum} entries")
        if len(value) > maximum:
            raise self.too_large(f"{key!r} has {len(value)} entries, at most {maximum} allowed")
        if not all(isinstance(entry, str) and pattern.fullmatch(entry) for entry in value):
            raise self.fail(f"{key!r} has an entry that does not match {pattern.pattern}")
        if len(set(value)) != len(value):
            raise self.fail(f"{key!r} lists an entry twice")
        return tuple(value)

    def objects(self, key: str, *, maximum: int) -> list[Any]:
        value = self.value[key]
        if not isinstance(value, list):
            raise self.fail(f"{key!r} is not a list")
        if len(value) > maximum:
            raise self.too_large(f"{key!r} has {len(value)} entries, at most {maximum} allowed")
        return value
