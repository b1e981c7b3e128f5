"""Receiving a batch at the town hall: every check first, then store it once, then acknowledge.

The HTTP server and ``rathaus usb import`` both call ``receive_batch``, so a batch carried on a stick
meets exactly the checks of one sent over the network. The order matters: size before parsing,
structure before looking up the sender, the sender's enrolment before the signature, the signature
before trusting anything in the header, and only then the database. A batch id seen before is
acknowledged again (the kiosk lost the first acknowledgement) and nothing is stored twice.

The town hall never acknowledges an item it does not hold. Receipt codes are unique per kiosk; a
*different* item under a code already held from that kiosk (a kiosk restored from an old backup
draws codes again) is refused with ``reference_conflict`` in the acknowledgement, so the kiosk
keeps it and shows it to its staff. Staff at the town hall see it too: one warning line per
conflict (batch, kiosk, item digest; never the code or anything inside the item) and a count in
``StorageCounts.refused``, because a citizen holds a receipt whose application did not arrive.

Log lines name the batch, the kiosk, the item count and the outcome; never anything inside an item.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from kiosk.errors import EnvelopeError
from sync.allowlist import Allowlist
from sync.envelope import (
    Batch,
    ItemMeta,
    build_ack,
    build_status_bundle,
    parse_batch,
    parse_status_request,
    read_item_meta,
    utc_timestamp,
    verify_batch,
    verify_status_request,
)
from sync.envelope.acks import RefusedItem, batch_digest
from sync.envelope.failures import (
    KIND_BATCH,
    KIND_STATUS_REQUEST,
    MALFORMED,
    TOO_LARGE,
    WRONG_RECIPIENT,
    envelope_error,
)
from sync.envelope.limits import MAX_BATCH_BYTES, MAX_STATUS_REQUEST_BYTES, MAX_STATUS_UPDATES
from sync.envelope.status import DEFAULT_MAX_AGE_SECONDS
from sync.assistance.batch_check import refused_digests
from sync.assistance.registry import Registry, open_registry
from sync.keys import TownhallKeys
from sync.server.contacts import note_kiosk_contact
from sync.server.storage import BatchRecord, ItemRecord, Storage

log = logging.getLogger("rathaus.intake")


@dataclass(frozen=True)
class IntakeResult:
    """What happened to one batch; ``ack`` is the signed acknowledgement to hand back."""

    batch_id: str
    kiosk_id: str
    new: bool
    item_count: int
    ack: bytes
    refused: tuple[RefusedItem, ...] = ()


def receive_batch(
    storage: Storage,
    allowlist: Allowlist,
    data: bytes | memoryview,
    *,
    townhall: TownhallKeys,
    received_at: str | None = None,
    assistance: Registry | None = None,
) -> IntakeResult:
    """Check a batch completely, store it and its items in one transaction, and acknowledge it.

    ``data`` is the exact batch as received (bytes, or a memoryview over the receive buffer: it is
    read in place, never copied whole). Returns the signed ``rathaus-ack/2`` in ``ack``. Raises
    ``EnvelopeError`` (with ``code``) and stores nothing when any check fails.

    A ``rathaus-batch/2`` carries an audit segment: it is kept in the town hall's register of
    volunteers and powers (``assistance``, else ``assistance.db`` beside the allowlist's keys),
    and items that relied on a helper already revoked when the kiosk recorded them are refused by
    name (``sync.assistance.batch_check``).
    """
    size = len(data)
    if size > MAX_BATCH_BYTES:
        log.warning("batch refused (%s): %d bytes", TOO_LARGE, size)
        raise envelope_error(TOO_LARGE, KIND_BATCH, limit=MAX_BATCH_BYTES, detail=f"{size} bytes")
    batch_id = kiosk_id = "?"
    try:
        parsed = parse_batch(data)  # once, in place: every later step reads these views
        batch_id, kiosk_id = parsed.header.batch_id, parsed.header.kiosk_id
        kiosk_key = allowlist.public_key_for(kiosk_id)
        batch = verify_batch(parsed, kiosk_key)
        _check_addressed_to_us(batch, townhall)
        if batch.header.audit is None:
            result = _store_once(storage, batch, batch_digest(data), townhall, received_at or utc_timestamp())
        else:  # an assisted kiosk: its audit chain is kept, revoked helpers are refused by name
            registry = assistance or open_registry(allowlist.townhall_dir)
            try:
                refusals = refused_digests(
                    registry, batch.header.audit, batch.items, batch.header.item_digests, kiosk_id
                )
                result = _store_once(
                    storage, batch, batch_digest(data), townhall, received_at or utc_timestamp(), refusals
                )
                registry.store_audit(kiosk_id, batch_id, batch.header.audit)
            finally:
                if assistance is None:
                    registry.close()
    except EnvelopeError as exc:
        log.warning(
            "batch %s from kiosk %s refused (%s): %d bytes", batch_id, kiosk_id, exc.code, size
        )
        raise
    log.info(
        "batch %s from kiosk %s: %d items, %s%s",
        result.batch_id,
        result.kiosk_id,
        result.item_count,
        "stored" if result.new else "already stored, acknowledged again",
        f", {len(result.refused)} refused" if result.refused else "",
    )
    # A batch sent again (its acknowledgement was lost) is contact, but not more applications.
    note_kiosk_contact(
        storage,
        result.kiosk_id,
        received_at or utc_timestamp(),
        "batch",
        batch_items=result.item_count - len(result.refused) if result.new else None,
    )
    if result.new:
        for refused in result.refused:
            log.warning(
                "batch %s from kiosk %s: item %s refused (%s): another item under its receipt "
                "code is already held; it stays at the kiosk",
                result.batch_id,
                result.kiosk_id,
                refused.digest,
                refused.code,
            )
    return result


def _check_addressed_to_us(batch: Batch, townhall: TownhallKeys) -> None:
    header = batch.header  # its version was refused with its magic line if not ours
    ours = townhall.public.encryption_key_id
    if header.recipient_key_id not in townhall.held_encryption_key_ids:  # also keys before a rotation
        raise envelope_error(
            WRONG_RECIPIENT,
            KIND_BATCH,
            expected=header.recipient_key_id,
            found=ours,
            detail="batch sealed for another town-hall key",
        )


def _store_once(
    storage: Storage,
    batch: Batch,
    digest: str,
    townhall: TownhallKeys,
    received_at: str,
    refusals: dict[str, str] | None = None,
) -> IntakeResult:
    header = batch.header
    record = BatchRecord(
        batch_id=header.batch_id,
        kiosk_id=header.kiosk_id,
        sequence=header.sequence,
        created_at=header.created_at,
        received_at=received_at,
        item_digests=header.item_digests,
        refused=tuple(RefusedItem(d, code) for d, code in (refusals or {}).items()),
    )
    known = storage.find_batch(header.batch_id)
    if known is None:
        metas = batch.item_metas or tuple(read_item_meta(sealed) for sealed in batch.items)
        items = [
            _item_record(sealed, meta, digest, record)
            for sealed, meta, digest in zip(batch.items, metas, header.item_digests, strict=True)
            if digest not in (refusals or {})
        ]
        stored = storage.store_batch(record, items)
        if stored is not None:
            return _acknowledge(stored, digest, townhall, new=True)
        known = storage.find_batch(header.batch_id)  # stored by a parallel request meanwhile
        if known is None:
            raise RuntimeError(f"batch {header.batch_id} was neither stored nor found")
    if known.kiosk_id != header.kiosk_id or known.item_digests != header.item_digests:
        raise envelope_error(
            MALFORMED, KIND_BATCH, detail="batch id already used for other contents"
        )
    return _acknowledge(known, digest, townhall, new=False)


def _item_record(sealed: bytes | memoryview, meta: ItemMeta, digest: str, batch: BatchRecord) -> ItemRecord:
    return ItemRecord(
        reference=meta.reference,
        digest=digest,
        batch_id=batch.batch_id,
        kiosk_id=meta.kiosk_id,
        form_id=meta.form_id,
        form_version=meta.form_version,
        form_hash=meta.form_hash,
        captured_at=meta.captured_at,
        received_at=batch.received_at,
        sealed=sealed,  # type: ignore[arg-type]  # a view into the batch: stored, never copied
    )


def _acknowledge(record: BatchRecord, digest: str, townhall: TownhallKeys, *, new: bool) -> IntakeResult:
    """The same bytes always get the same acknowledgement: the stored time, the stored refusals,
    and the digest of the bytes just received (which the kiosk checks against what it sent)."""
    ack = build_ack(
        batch_id=record.batch_id,
        kiosk_id=record.kiosk_id,
        batch_digest=digest,
        item_count=record.item_count,
        refused=record.refused,
        received_at=record.received_at,
        signing_key=townhall.signing,
    )
    return IntakeResult(
        batch_id=record.batch_id,
        kiosk_id=record.kiosk_id,
        new=new,
        item_count=record.item_count,
        ack=ack,
        refused=record.refused,
    )


def status_updates_for(
    storage: Storage,
    allowlist: Allowlist,
    request_bytes: bytes,
    *,
    townhall: TownhallKeys,
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
    now: dt.datetime | None = None,
) -> bytes:
    """Answer a kiosk's signed "what is new since serial N?" with a signed bundle for that kiosk.

    At most ``MAX_STATUS_UPDATES`` updates, oldest first; the kiosk asks again from the last
    serial it got. Unknown or blocked kiosks and stale or forged requests get ``EnvelopeError``.
    """
    size = len(request_bytes)
    if size > MAX_STATUS_REQUEST_BYTES:
        log.warning("status request refused (%s): %d bytes", TOO_LARGE, size)
        raise envelope_error(
            TOO_LARGE, KIND_STATUS_REQUEST, limit=MAX_STATUS_REQUEST_BYTES, detail=f"{size} bytes"
        )
    kiosk_id = "?"
    try:
        kiosk_id = parse_status_request(request_bytes).kiosk_id
        kiosk_key = allowlist.public_key_for(kiosk_id)
        request = verify_status_request(
            request_bytes, kiosk_key, max_age_seconds=max_age_seconds, now=now
        )
        note_kiosk_contact(storage, request.kiosk_id, utc_timestamp(now) if now else utc_timestamp(), "status")
        updates = storage.status_updates_for_kiosk(
            request.kiosk_id, since_serial=request.since_serial, limit=MAX_STATUS_UPDATES
        )
        bundle = build_status_bundle(updates, kiosk_id=request.kiosk_id, signing_key=townhall.signing)
    except EnvelopeError as exc:
        log.warning("status request from kiosk %s refused (%s)", kiosk_id, exc.code)
        raise
    log.info(
        "status request from kiosk %s after serial %d: %d updates",
        request.kiosk_id,
        request.since_serial,
        len(updates),
    )
    return bundle
