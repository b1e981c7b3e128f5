"""Acknowledgements: the town hall's signed word that it stored a batch.

The kiosk deletes sealed items only after a valid acknowledgement for exactly that batch and that
kiosk, signed with the town hall's pinned key; an acknowledgement for another batch or kiosk is
refused so it can never release the wrong items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.envelope import fields as f
from sync.envelope.failures import KIND_ACK, MALFORMED, WRONG_BATCH, WRONG_KIOSK, envelope_error
from sync.envelope.limits import MAX_ACK_BYTES, MAX_ITEMS_PER_BATCH
from sync.envelope.wire import check_signature, read_signed_frame, sign_frame

ACK_LABEL = "ack"
_HEADER_KEYS = frozenset({"batch_id", "item_digests", "kiosk_id", "received_at"})


@dataclass(frozen=True)
class Ack:
    batch_id: str
    kiosk_id: str
    item_digests: tuple[str, ...]
    received_at: str
    raw: bytes


def _check(header: object, raw: bytes) -> Ack:
    fields = f.Fields(header, KIND_ACK, _HEADER_KEYS)
    return Ack(
        batch_id=fields.text("batch_id", f.BATCH_ID),
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        item_digests=fields.text_list(
            "item_digests", f.DIGEST, minimum=0, maximum=MAX_ITEMS_PER_BATCH
        ),
        received_at=fields.timestamp("received_at"),
        raw=raw,
    )


def build_ack(
    *,
    batch_id: str,
    kiosk_id: str,
    item_digests: Sequence[str],
    received_at: str,
    signing_key: Ed25519PrivateKey,
) -> bytes:
    """Sign that the batch ``batch_id`` from ``kiosk_id`` with these items is stored."""
    header = {
        "batch_id": batch_id,
        "item_digests": list(item_digests),
        "kiosk_id": kiosk_id,
        "received_at": received_at,
    }
    _check(header, b"")
    return sign_frame(ACK_LABEL, header, b"", signing_key)


def verify_ack(
    data: bytes, townhall_signing_key: Ed25519PublicKey, *, batch_id: str, kiosk_id: str
) -> Ack:
    """Signature first, then that the acknowledgement names this batch and this kiosk."""
    frame = read_signed_frame(data, ACK_LABEL, KIND_ACK, limit=MAX_ACK_BYTES, header_limit=MAX_ACK_BYTES)
    if frame.body:
        raise envelope_error(MALFORMED, KIND_ACK, detail="bytes between header and signature")
    check_signature(frame, townhall_signing_key, KIND_ACK)
    ack = _check(frame.header.fields, frame.signed + frame.signature)
    if ack.kiosk_id != kiosk_id:
        raise envelope_error(WRONG_KIOSK, KIND_ACK, found=ack.kiosk_id, expected=kiosk_id)
    if ack.batch_id != batch_id:
        raise envelope_error(WRONG_BATCH, KIND_ACK, found=ack.batch_id, expected=batch_id)
    return ack
