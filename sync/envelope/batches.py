"""Signed batches: the sealed items of one sync, as one file for HTTP or a USB stick.

``magic line || length-prefixed JSON header || (length-prefixed item)* || Ed25519 signature``. The
kiosk signs every byte before the signature exactly as written, so the receiver checks the bytes it
got and never re-encodes. The header lists each item's SHA-256, in order; the item count is the
length of that list.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from typing import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.envelope.audit_segment import AuditSegment, read_segment
from sync.envelope import fields as f
from sync.envelope.failures import (
    DIGEST_MISMATCH,
    KIND_BATCH,
    MALFORMED,
    TOO_LARGE,
    WRONG_KIOSK,
    envelope_error,
)
from sync.envelope.items import ItemMeta, check_item_signature, item_digest, parse_item
from sync.envelope.limits import (
    MAX_BATCH_BYTES,
    MAX_BATCH_HEADER_BYTES,
    MAX_BATCH_V2_HEADER_BYTES,
    MAX_ITEM_BYTES,
    MAX_ITEMS_PER_BATCH,
)
from sync.envelope.wire import (
    FORMAT_VERSION,
    SignedFrame,
    check_signature,
    check_size,
    read_magic,
    length_prefixed,
    read_length_prefixed,
    read_signed_frame,
    sign_frame,
)

BATCH_LABEL = "batch"
AUDIT_VERSION = 2
"""``rathaus-batch/2``: the header also carries ``audit``, the kiosk's audit chain since the last
batch and its signed head (docs/envelope.md 5.3). Kiosks that never recorded an on-behalf action
keep writing version 1."""
BATCH_VERSIONS = (FORMAT_VERSION, AUDIT_VERSION)
_HEADER_KEYS = frozenset(
    {"batch_id", "created_at", "item_digests", "kiosk_id", "recipient_key_id", "sequence"}
)
_HEADER_KEYS_V2 = _HEADER_KEYS | {"audit"}


@dataclass(frozen=True)
class BatchHeader:
    version: int
    kiosk_id: str
    batch_id: str
    sequence: int
    created_at: str
    recipient_key_id: str
    item_digests: tuple[str, ...]
    audit: AuditSegment | None = None


@dataclass(frozen=True)
class Batch:
    """A parsed batch; ``raw`` is the exact bytes received, to store or forward unchanged.

    ``raw`` and ``items`` are read-only views into the input, never copies, so an 8 MiB batch is
    held once while it is checked and stored."""

    header: BatchHeader
    items: tuple[memoryview, ...]
    raw: memoryview
    frame: SignedFrame = field(repr=False, compare=False)
    # Each item's clear header as read while verifying (empty before): a receiver stores them
    # without reading every item a second time.
    item_metas: tuple[ItemMeta, ...] = field(default=(), repr=False, compare=False)


def _check_header(header: object, version: int) -> BatchHeader:
    fields = f.Fields(header, KIND_BATCH, _HEADER_KEYS_V2 if version >= AUDIT_VERSION else _HEADER_KEYS)
    audit = read_segment(fields.value["audit"]) if version >= AUDIT_VERSION else None
    return BatchHeader(
        version=version,
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        batch_id=fields.text("batch_id", f.BATCH_ID),
        sequence=fields.integer("sequence", minimum=1),
        created_at=fields.timestamp("created_at"),
        recipient_key_id=fields.text("recipient_key_id", f.KEY_ID),
        item_digests=fields.text_list(
            "item_digests", f.DIGEST, minimum=1, maximum=MAX_ITEMS_PER_BATCH
        ),
        audit=audit,
    )


def _check_items(
    header: BatchHeader, items: tuple[bytes, ...], kiosk_key: Ed25519PublicKey | None = None
) -> tuple[ItemMeta, ...]:
    """Each item is the one its digest names (all digests first, as docs/envelope.md 5.1 orders),
    then each comes from the batch's kiosk, is for its key and, in format 2, carries that kiosk's
    signature (a kiosk never hands over an item the inbox would later call forged)."""
    for position, (digest, item) in enumerate(zip(header.item_digests, items, strict=True)):
        if item_digest(item) != digest:
            raise envelope_error(DIGEST_MISMATCH, KIND_BATCH, detail=f"item {position}")
    metas = []
    for position, item in enumerate(items):
        parsed = parse_item(item)
        meta = parsed.meta
        if meta.kiosk_id != header.kiosk_id:
            raise envelope_error(
                WRONG_KIOSK,
                KIND_BATCH,
                found=meta.kiosk_id,
                expected=header.kiosk_id,
                detail=f"item {position} names another kiosk",
            )
        if parsed.recipient_key_id != header.recipient_key_id:
            raise envelope_error(
                MALFORMED, KIND_BATCH, detail=f"item {position} is sealed for another key"
            )
        if kiosk_key is not None and parsed.header.signed:
            check_item_signature(parsed, kiosk_key)
        metas.append(meta)
    return tuple(metas)


def build_batch(
    items: Sequence[bytes],
    *,
    kiosk_id: str,
    sequence: int,
    signing_key: Ed25519PrivateKey,
    recipient_key_id: str,
    batch_id: str | None = None,
    created_at: str | None = None,
    audit: AuditSegment | None = None,
) -> bytes:
    """Frame and sign sealed items; refuses anything a receiver would refuse.

    With ``audit`` the batch is version 2 and carries the kiosk's audit chain segment."""
    items = tuple(bytes(item) for item in items)
    if len(items) > MAX_ITEMS_PER_BATCH:
        raise envelope_error(TOO_LARGE, KIND_BATCH, detail=f"{len(items)} items")
    if any(len(item) > MAX_ITEM_BYTES for item in items):
        raise envelope_error(TOO_LARGE, KIND_BATCH, detail="an item is larger than allowed")
    header = {
        "batch_id": batch_id if batch_id is not None else secrets.token_hex(16),
        "created_at": created_at if created_at is not None else f.utc_timestamp(),
        "item_digests": [item_digest(item) for item in items],
        "kiosk_id": kiosk_id,
        "recipient_key_id": recipient_key_id,
        "sequence": sequence,
    }
    version = FORMAT_VERSION
    if audit is not None:
        header["audit"] = audit.to_json()
        version = AUDIT_VERSION
    _check_items(_check_header(header, version), items, signing_key.public_key())
    body = b"".join(length_prefixed(item) for item in items)
    data = sign_frame(BATCH_LABEL, header, body, signing_key, version)
    if len(data) > MAX_BATCH_BYTES:
        raise envelope_error(TOO_LARGE, KIND_BATCH, detail=f"{len(data)} bytes")
    return data


def _split(data: bytes | memoryview) -> Batch:
    check_size(data, MAX_BATCH_BYTES, KIND_BATCH)
    version, _offset = read_magic(data, BATCH_LABEL, KIND_BATCH, BATCH_VERSIONS)
    frame = read_signed_frame(
        data,
        BATCH_LABEL,
        KIND_BATCH,
        limit=MAX_BATCH_BYTES,
        header_limit=MAX_BATCH_V2_HEADER_BYTES if version >= AUDIT_VERSION else MAX_BATCH_HEADER_BYTES,
        versions=BATCH_VERSIONS,
    )
    header = _check_header(frame.header.fields, frame.header.version)
    body = frame.body
    items: list[memoryview] = []
    offset = 0
    while offset < len(body):
        if len(items) == len(header.item_digests):
            raise envelope_error(MALFORMED, KIND_BATCH, detail="more items than digests")
        item, offset = read_length_prefixed(
            body, offset, limit=MAX_ITEM_BYTES, end=len(body), kind=KIND_BATCH, what="item"
        )
        items.append(item)  # type: ignore[arg-type]  # a view, as the frame is one
    if len(items) != len(header.item_digests):
        raise envelope_error(MALFORMED, KIND_BATCH, detail="fewer items than digests")
    raw = memoryview(data).toreadonly()
    return Batch(header, tuple(items), raw, frame)


def parse_batch(data: bytes | memoryview) -> Batch:
    """Structure and size limits only: enough to look up the sender before checking the signature."""
    return _split(data)


def verify_batch(data: bytes | memoryview | Batch, kiosk_public_key: Ed25519PublicKey) -> Batch:
    """Structure, the kiosk's signature, then every item against the header.

    A ``Batch`` from ``parse_batch`` is verified as it is, so a receiver reads the bytes once."""
    batch = data if isinstance(data, Batch) else _split(data)
    check_signature(batch.frame, kiosk_public_key, KIND_BATCH)
    metas = _check_items(batch.header, batch.items, kiosk_public_key)
    return replace(batch, item_metas=metas)
