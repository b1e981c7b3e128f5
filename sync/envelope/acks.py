"""Acknowledgements: the town hall's signed word on which items of a batch it holds.

Version 2 (what the town hall writes) is compact: it names the batch by id and by the SHA-256 of
its exact bytes, gives the item count, and lists only the items it *refused*, each with a code
(today only ``reference_conflict``). Every other item of that batch is held. Version 1 listed the
digests of every held item; a kiosk still reads it, so a kiosk updated before its town hall keeps
working.

The kiosk forgets sealed items only after an acknowledgement for exactly that batch (id and
bytes) and that kiosk, signed with the town hall's pinned key; ``settle`` is the one rule both
transports apply, so an acknowledgement can never release an item the town hall does not hold.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.envelope import fields as f
from sync.envelope.failures import (
    BAD_SIGNATURE,
    KIND_ACK,
    MALFORMED,
    WRONG_BATCH,
    WRONG_KIOSK,
    envelope_error,
)
from sync.envelope.limits import MAX_ACK_BYTES, MAX_ITEMS_PER_BATCH
from sync.envelope.wire import (
    SIGNATURE_SIZE,
    check_signature,
    check_size,
    decode_json,
    encode_json,
    length_prefixed,
    magic_line,
    read_length_prefixed,
    read_signed_frame,
    sign_frame,
)

ACK_LABEL = "ack"
ACK_VERSION = 2
REFERENCE_CONFLICT = "reference_conflict"
"""A different item under a receipt code the town hall already holds from this kiosk."""
REFUSAL_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_V1_KEYS = frozenset({"batch_id", "item_digests", "kiosk_id", "received_at"})
_V2_KEYS = frozenset({"batch_digest", "batch_id", "item_count", "kiosk_id", "received_at", "refused"})
_REFUSED_KEYS = frozenset({"code", "digest"})
_MAGIC_V2 = magic_line(ACK_LABEL, ACK_VERSION)


@dataclass(frozen=True)
class RefusedItem:
    """One item of the batch the town hall did not store, and why (an error code, section 11)."""

    digest: str
    code: str


@dataclass(frozen=True)
class Ack:
    """A verified acknowledgement. ``batch_digest``, ``item_count`` and ``refused`` come from
    version 2; ``item_digests`` (every held item) only from version 1."""

    version: int
    batch_id: str
    kiosk_id: str
    received_at: str
    raw: bytes
    batch_digest: str | None = None
    item_count: int | None = None
    refused: tuple[RefusedItem, ...] = ()
    item_digests: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Settlement:
    """What an acknowledgement means for the batch it answers: items held, items refused."""

    held: tuple[str, ...]
    refused: dict[str, str]


def batch_digest(data: bytes | memoryview) -> str:
    """Lower-case hex SHA-256 of a batch's exact bytes: how version 2 names the batch it answers."""
    return hashlib.sha256(data).hexdigest()


def _check_v1(header: object, raw: bytes) -> Ack:
    fields = f.Fields(header, KIND_ACK, _V1_KEYS)
    return Ack(
        version=1,
        batch_id=fields.text("batch_id", f.BATCH_ID),
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        received_at=fields.timestamp("received_at"),
        raw=raw,
        item_digests=fields.text_list("item_digests", f.DIGEST, minimum=0, maximum=MAX_ITEMS_PER_BATCH),
    )


def _check_v2(header: object, raw: bytes) -> Ack:
    fields = f.Fields(header, KIND_ACK, _V2_KEYS)
    item_count = fields.integer("item_count", minimum=1, maximum=MAX_ITEMS_PER_BATCH)
    refused = []
    for entry in fields.objects("refused", maximum=item_count):
        one = f.Fields(entry, KIND_ACK, _REFUSED_KEYS, where="refused item")
        refused.append(RefusedItem(one.text("digest", f.DIGEST), one.text("code", REFUSAL_CODE)))
    if len({item.digest for item in refused}) != len(refused):
        raise fields.fail("'refused' lists an item twice")
    return Ack(
        version=2,
        batch_id=fields.text("batch_id", f.BATCH_ID),
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        received_at=fields.timestamp("received_at"),
        raw=raw,
        batch_digest=fields.text("batch_digest", f.DIGEST),
        item_count=item_count,
        refused=tuple(refused),
    )


def build_ack(
    *,
    batch_id: str,
    kiosk_id: str,
    received_at: str,
    signing_key: Ed25519PrivateKey,
    batch_digest: str | None = None,
    item_count: int | None = None,
    refused: Sequence[RefusedItem] = (),
    item_digests: Sequence[str] | None = None,
) -> bytes:
    """Sign ``rathaus-ack/2``: the batch with these exact bytes (``batch_digest``) and
    ``item_count`` items is stored, except the ``refused`` ones.

    Given ``item_digests`` instead, it writes version 1 (the list of held items), which kiosks
    still read from a town hall not yet updated; the town hall itself always writes version 2.
    """
    if item_digests is not None:
        header_v1 = {
            "batch_id": batch_id,
            "item_digests": list(item_digests),
            "kiosk_id": kiosk_id,
            "received_at": received_at,
        }
        _check_v1(header_v1, b"")
        return sign_frame(ACK_LABEL, header_v1, b"", signing_key)
    header = {
        "batch_digest": batch_digest,
        "batch_id": batch_id,
        "item_count": item_count,
        "kiosk_id": kiosk_id,
        "received_at": received_at,
        "refused": [{"code": item.code, "digest": item.digest} for item in refused],
    }
    _check_v2(header, b"")
    signed = _MAGIC_V2 + length_prefixed(encode_json(header))
    return signed + signing_key.sign(signed)


def _read_v2(data: bytes, key: Ed25519PublicKey) -> Ack:
    """Version 2 framing (magic, header, signature, nothing else), signature before contents."""
    body_end = len(data) - SIGNATURE_SIZE
    if body_end < len(_MAGIC_V2):
        raise envelope_error(MALFORMED, KIND_ACK, detail="shorter than a signature")
    raw, end = read_length_prefixed(
        data, len(_MAGIC_V2), limit=MAX_ACK_BYTES, end=body_end, kind=KIND_ACK, what="header"
    )
    if end != body_end:
        raise envelope_error(MALFORMED, KIND_ACK, detail="bytes between header and signature")
    signed, signature = data[:body_end], data[body_end:]
    try:
        key.verify(signature, signed)
    except InvalidSignature:
        raise envelope_error(BAD_SIGNATURE, KIND_ACK, detail="Ed25519 verification failed") from None
    return _check_v2(decode_json(raw, KIND_ACK), data)


def verify_ack(
    data: bytes,
    townhall_signing_key: Ed25519PublicKey,
    *,
    batch_id: str,
    kiosk_id: str,
    batch_digest: str | None = None,
) -> Ack:
    """Signature first, then that the acknowledgement names this kiosk and this batch.

    With ``batch_digest`` (the SHA-256 of the bytes the kiosk sent), a version-2 acknowledgement
    must name exactly those bytes (``wrong_batch``)."""
    check_size(data, MAX_ACK_BYTES, KIND_ACK)
    data = bytes(data)
    if data.startswith(_MAGIC_V2):
        ack = _read_v2(data, townhall_signing_key)
    else:
        frame = read_signed_frame(data, ACK_LABEL, KIND_ACK, limit=MAX_ACK_BYTES, header_limit=MAX_ACK_BYTES)
        if frame.body:
            raise envelope_error(MALFORMED, KIND_ACK, detail="bytes between header and signature")
        check_signature(frame, townhall_signing_key, KIND_ACK)
        ack = _check_v1(frame.header.fields, bytes(frame.signed) + bytes(frame.signature))
    if ack.kiosk_id != kiosk_id:
        raise envelope_error(WRONG_KIOSK, KIND_ACK, found=ack.kiosk_id, expected=kiosk_id)
    if ack.batch_id != batch_id:
        raise envelope_error(WRONG_BATCH, KIND_ACK, found=ack.batch_id, expected=batch_id)
    if batch_digest is not None and ack.batch_digest is not None and ack.batch_digest != batch_digest:
        raise envelope_error(
            WRONG_BATCH, KIND_ACK, found=ack.batch_digest, expected=batch_digest, detail="other batch bytes"
        )
    return ack


def settle(ack: Ack, item_digests: Sequence[str]) -> Settlement:
    """Which items of the sent batch (its header's ``item_digests``) the town hall holds.

    Version 2: every item not in ``refused``; the count must be the batch's and each refused
    digest one of its items. Version 1: exactly the listed digests, which must all be the batch's;
    an item missing from the list is treated as refused, so it stays at the kiosk. Any mismatch is
    ``wrong_batch`` and nothing may be released.
    """
    sent = tuple(item_digests)
    if ack.version >= 2:
        refused = {item.digest: item.code for item in ack.refused}
        if ack.item_count != len(sent) or not set(refused) <= set(sent):
            raise _other_items(ack)
    else:
        listed = set(ack.item_digests or ())
        if not listed <= set(sent):
            raise _other_items(ack)
        refused = {digest: "not_held" for digest in sent if digest not in listed}
    return Settlement(held=tuple(d for d in sent if d not in refused), refused=refused)


def _other_items(ack: Ack) -> Exception:
    return envelope_error(
        WRONG_BATCH, KIND_ACK, found=ack.batch_id, expected=ack.batch_id, detail="names other items than the batch"
    )
