"""Who made an application: checked at opening against the enrolled kiosks, not taken on trust.

Anyone with the town hall's public key can seal an item, and whoever can write the town-hall
database can put one there; only the kiosk's signature (format 2) shows that an enrolled kiosk
made it. So the inbox checks, every time it opens an application:

- signed by the key ``kiosks.json`` holds for that kiosk, and the kiosk is still enrolled: genuine;
- signed by a kiosk whose key was revoked *after* the application was captured: genuine, with a
  note. Revoking a kiosk (stolen, replaced) stops what it may send from then on; applications
  citizens made while it was trusted are real and may arrive later (a stick, a long queue). The
  capture time is what the kiosk wrote and a thief could backdate it, so staff see the note and the
  revocation time and can ask; the server refuses every batch of a revoked kiosk, so such an item
  only arrives from before the revocation or through a compromised server;
- signed at or after the revocation, by a key that is not enrolled for that kiosk, or with a
  signature that does not verify: refused as not genuine;
- format 1 (from before item signatures): opened, marked so staff know its origin is unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from kiosk import refcode
from kiosk.errors import EnvelopeError
from kiosk.i18n import N_, translator
from sync.allowlist import EnrolledKiosk
from sync.envelope import key_id
from sync.envelope.failures import BAD_SIGNATURE, REVOKED_KIOSK
from sync.envelope.items import read_item_header, verify_item_signature

SIGNED = "signed"
SIGNED_BEFORE_REVOCATION = "signed_before_revocation"
UNSIGNED = "unsigned"

_NOTES = {
    SIGNED: N_("Sent by kiosk {kiosk_id}; its signature is checked."),
    SIGNED_BEFORE_REVOCATION: N_(
        "Sent by kiosk {kiosk_id}, signed before the kiosk was blocked on {revoked_at}. "
        "If the kiosk may have been stolen earlier, please check this application with its sender."
    ),
    UNSIGNED: N_(
        "From before applications were signed by their kiosk: it cannot be checked "
        "that kiosk {kiosk_id} sent it."
    ),
}


@dataclass(frozen=True)
class Origin:
    """The result of checking who made an item; ``kind`` is one of the three constants above."""

    kind: str
    kiosk_id: str
    revoked_at: str | None = None

    @property
    def checked(self) -> bool:
        """True when the signature shows an enrolled kiosk made the item."""
        return self.kind in (SIGNED, SIGNED_BEFORE_REVOCATION)

    def note(self, lang: str) -> str:
        _ = translator(lang)
        return _(_NOTES[self.kind]).format(kiosk_id=self.kiosk_id, revoked_at=self.revoked_at or "")


_REFUSALS = {
    BAD_SIGNATURE: N_(
        "The application {code} does not carry a valid signature of kiosk {kiosk_id}: it may be "
        "forged. It is not opened. Please tell the person responsible for the town hall's IT."
    ),
    REVOKED_KIOSK: N_(
        "The application {code} was signed by kiosk {kiosk_id} after the kiosk was blocked on "
        "{revoked_at}: it may be forged. It is not opened. Please tell the person responsible for "
        "the town hall's IT."
    ),
}


def _not_genuine(
    code: str, reference: str, kiosk_id: str, lang: str, detail: str, revoked_at: str = ""
) -> EnvelopeError:
    _ = translator(lang)
    text = _(_REFUSALS[code if code in _REFUSALS else BAD_SIGNATURE])
    return EnvelopeError(
        code,
        text.format(code=refcode.display(reference), kiosk_id=kiosk_id, revoked_at=revoked_at),
        detail=detail,
    )


def check_origin(sealed: bytes, kiosks: Iterable[EnrolledKiosk], lang: str) -> Origin:
    """Which kiosk made ``sealed``, checked against ``kiosks`` (every approval, revoked ones too)."""
    header = read_item_header(sealed)
    meta = header.meta
    if not header.signed:
        return Origin(UNSIGNED, meta.kiosk_id)
    entries = [
        entry
        for entry in kiosks
        if entry.kiosk_id == meta.kiosk_id and key_id(entry.public_key) == header.kiosk_key_id
    ]
    if not entries:
        raise _not_genuine(BAD_SIGNATURE, meta.reference, meta.kiosk_id, lang, "key not enrolled for kiosk")
    entry = entries[0]
    try:
        verify_item_signature(sealed, entry.public_key)
    except EnvelopeError as exc:
        raise _not_genuine(BAD_SIGNATURE, meta.reference, meta.kiosk_id, lang, exc.detail) from None
    if entry.revoked_at is None:
        return Origin(SIGNED, meta.kiosk_id)
    # Both are YYYY-MM-DDTHH:MM:SSZ in UTC, so text order is time order.
    if meta.captured_at < entry.revoked_at:
        return Origin(SIGNED_BEFORE_REVOCATION, meta.kiosk_id, entry.revoked_at)
    raise _not_genuine(
        REVOKED_KIOSK, meta.reference, meta.kiosk_id, lang, "captured after revocation", entry.revoked_at
    )
