"""Damaged applications: named, shown as damaged, and never in the way of the others.

Any enrolled or stolen kiosk can plant an item that does not open: a flipped byte breaks its
signature or its sealing, and an answer holding half of a UTF-16 pair (a lone surrogate) is no
text at all and cannot be printed, exported or shown. Such an item must not stop a list, an export
or the opening of any other application, so the inbox turns the failure into a ``DamagedItem``
with its receipt code and a reason in plain words; lists and exports name it and go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk import refcode
from kiosk.errors import EnvelopeError
from kiosk.i18n import N_, translator
from sync.envelope.failures import BAD_SIGNATURE, REVOKED_KIOSK, WRONG_RECIPIENT

NOT_TEXT = "not_text"
"""An answer holds characters that are not text (a lone surrogate)."""

_REASONS = {
    BAD_SIGNATURE: N_("its kiosk's signature does not fit: it was changed or forged"),
    REVOKED_KIOSK: N_("it was signed after its kiosk was blocked"),
    WRONG_RECIPIENT: N_("it was sealed for a key this town hall does not hold"),
    NOT_TEXT: N_("an answer holds characters that are not text"),
}
_DEFAULT_REASON = N_("it was changed after sealing or is not in the expected format")


def reason_in_words(code: str, lang: str) -> str:
    """Why an item is damaged, for staff (the error code alone says nothing to a clerk)."""
    _ = translator(lang)
    return _(_REASONS.get(code, _DEFAULT_REASON))


@dataclass(frozen=True)
class DamagedItem:
    """An application that does not open; routing data only, as stored in the clear."""

    code: str  # compact receipt code
    kiosk_id: str
    form_id: str
    received_at: str
    reason: str  # an error code: bad_signature, tampered, not_text ...

    @property
    def reference(self) -> str:
        return refcode.display(self.code)

    def describe(self, lang: str) -> str:
        _ = translator(lang)
        return _("{code} from kiosk {kiosk}: {reason}").format(
            code=self.reference, kiosk=self.kiosk_id, reason=reason_in_words(self.reason, lang)
        )


class DamagedApplicationError(EnvelopeError):
    """Opening one application failed because that application is damaged (see ``item``);
    ``code`` is the envelope error code that says why (``bad_signature``, ``tampered`` ...)."""

    def __init__(self, item: DamagedItem, lang: str, *, message: str | None = None) -> None:
        _ = translator(lang)
        super().__init__(
            item.reason,
            message
            or _(
                "The application {code} from kiosk {kiosk} is damaged and cannot be opened: {reason}. "
                "The other applications are not affected. Please tell the person responsible for the "
                "town hall's IT."
            ).format(code=item.reference, kiosk=item.kiosk_id, reason=reason_in_words(item.reason, lang)),
            detail=f"damaged item {item.kiosk_id}/{item.code}: {item.reason}",
        )
        self.item = item


def holds_only_text(value: Any) -> bool:
    """False when any string in ``value`` (keys too) holds a lone surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(holds_only_text(key) and holds_only_text(part) for key, part in value.items())
    if isinstance(value, (list, tuple)):
        return all(holds_only_text(part) for part in value)
    return True
