"""A town-hall key update: the new ``townhall.json``, signed by the signing key it replaces.

After ``rathaus keys rotate`` the town hall hands every kiosk its new public keys through the
download channel ``keys``. A kiosk pins a new ``townhall.json`` only when the key it already trusts
signed it, one rotation after the other, so whoever controls the link (or a stick) cannot slip a
key of their own in, and an update signed by any other key is refused (``bad_signature``).

``signature = Ed25519(previous signing key, "rathaus-key-update/1" LF || u32(version) || bytes)``
where ``bytes`` is the exact new ``townhall.json`` as the town hall wrote it: the kiosk pins these
bytes unchanged, so both sides keep byte-identical files.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Callable, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.i18n import N_
from sync.envelope import fields as f
from sync.envelope.failures import BAD_SIGNATURE, MALFORMED, envelope_error
from sync.envelope.keyids import key_id
from sync.envelope.wire import magic_line

KEY_UPDATE_LABEL = "key-update"
KIND_KEY_UPDATE = N_("The town hall's key update")
MAX_TOWNHALL_FILE_BYTES = 16 * 1024
MAX_KEY_UPDATES = 64
"""Rotations one answer carries (a town hall rotates rarely; a kiosk that missed more asks again)."""
_KEYS = frozenset({"signature", "signed_by", "townhall", "version"})


@dataclass(frozen=True)
class KeyUpdate:
    """Rotation number ``version``: ``townhall`` (exact bytes) signed by key ``signed_by``."""

    version: int
    townhall: bytes
    signed_by: str
    signature: bytes


def signed_bytes(version: int, townhall: bytes) -> bytes:
    """What the previous signing key signs."""
    return magic_line(KEY_UPDATE_LABEL) + version.to_bytes(4, "big") + townhall


def build_key_update(version: int, townhall: bytes, previous_signing_key: Ed25519PrivateKey) -> KeyUpdate:
    """Sign rotation ``version`` with the signing key the kiosks trust until now."""
    update = KeyUpdate(
        version=version,
        townhall=bytes(townhall),
        signed_by=key_id(previous_signing_key.public_key()),
        signature=previous_signing_key.sign(signed_bytes(version, townhall)),
    )
    check_key_update(key_update_to_json(update), 0)
    return update


def _base64(fields: f.Fields, key: str, limit: int) -> bytes:
    value = fields.value[key]
    if not isinstance(value, str) or len(value) > (limit + 2) // 3 * 4:
        raise fields.fail(f"{key!r} is not base64 of at most {limit} bytes")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise fields.fail(f"{key!r} is not base64") from None


def check_key_update(value: object, position: int) -> KeyUpdate:
    """An entry of channel ``keys`` as it came over the wire (not yet verified)."""
    fields = f.Fields(value, KIND_KEY_UPDATE, _KEYS, where=f"key update {position}")
    version = fields.integer("version", minimum=1, maximum=2**32 - 1)
    signed_by = fields.text("signed_by", f.KEY_ID)
    townhall = _base64(fields, "townhall", MAX_TOWNHALL_FILE_BYTES)
    signature = _base64(fields, "signature", 64)
    if len(signature) != 64 or not townhall:
        raise fields.fail("signature is not 64 bytes, or no townhall.json")
    return KeyUpdate(version=version, townhall=townhall, signed_by=signed_by, signature=signature)


def key_update_to_json(update: KeyUpdate) -> dict[str, object]:
    return {
        "signature": base64.b64encode(update.signature).decode("ascii"),
        "signed_by": update.signed_by,
        "townhall": base64.b64encode(update.townhall).decode("ascii"),
        "version": update.version,
    }


def verify_key_update(update: KeyUpdate, previous_signing_key: Ed25519PublicKey) -> None:
    """Signed by the key the kiosk trusts now, else ``bad_signature``."""
    if update.signed_by != key_id(previous_signing_key):
        raise envelope_error(
            BAD_SIGNATURE, KIND_KEY_UPDATE, detail=f"update {update.version} names another signing key"
        )
    try:
        previous_signing_key.verify(update.signature, signed_bytes(update.version, update.townhall))
    except InvalidSignature:
        raise envelope_error(
            BAD_SIGNATURE, KIND_KEY_UPDATE, detail=f"update {update.version}: Ed25519 verification failed"
        ) from None


def follow_key_updates(
    updates: Sequence[KeyUpdate],
    *,
    pinned: bytes,
    pinned_signing_key: Ed25519PublicKey,
    signing_key_of: Callable[[bytes], Ed25519PublicKey],
) -> tuple[list[KeyUpdate], Ed25519PublicKey]:
    """The updates to pin, in order, and the signing key trusted after the last of them.

    Updates up to the one whose bytes the kiosk already pinned are skipped (a kiosk set up after
    a rotation starts with those keys); each later one must be signed by the key before it.
    ``signing_key_of`` reads the signing key from a ``townhall.json`` (and refuses a broken one).
    """
    versions = [update.version for update in updates]
    if versions and versions != list(range(versions[0], versions[0] + len(versions))):
        raise envelope_error(MALFORMED, KIND_KEY_UPDATE, detail="key updates are not consecutive")
    start = 0
    for position, update in enumerate(updates):
        if update.townhall == pinned:
            start = position + 1
    trusted = pinned_signing_key
    to_pin: list[KeyUpdate] = []
    for update in updates[start:]:
        verify_key_update(update, trusted)
        trusted = signing_key_of(update.townhall)
        to_pin.append(update)
    return to_pin, trusted
