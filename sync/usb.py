"""Carrying batches on a USB stick where no link ever comes.

The stick holds exactly the bytes that would travel over HTTP, so the town hall runs the very same
checks on them (``sync.intake``). Layout under the chosen directory::

    rathaus-transfer/
      to-townhall/<kiosk-id>/<sequence>-<batch-id>.batch   signed batch of sealed applications
      to-townhall/<kiosk-id>/status.request                signed "what is new since serial N?"
      to-kiosk/<kiosk-id>/<batch-id>.ack                   signed acknowledgement
      to-kiosk/<kiosk-id>/status.bundle                    signed status updates

Every file is written as ``*.part``, flushed to the stick, then renamed, so a stick pulled out
mid-write leaves a ``.part`` file that is skipped with a message, never half a batch.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.errors import EnvelopeError, RathausError
from kiosk.i18n import translator
from kiosk.store import StatusRecord, Store
from sync.allowlist import Allowlist
from sync.envelope import (
    MAX_ITEMS_PER_BATCH,
    MAX_STATUS_UPDATES,
    StatusUpdate,
    build_status_bundle,
    build_status_request,
    parse_status_request,
    verify_status_bundle,
)
from sync.envelope.limits import (
    MAX_ACK_BYTES,
    MAX_BATCH_BYTES,
    MAX_STATUS_BUNDLE_BYTES,
    MAX_STATUS_REQUEST_BYTES,
)
from sync.intake import receive_batch, status_updates_for
from sync.outbox import apply_ack, attention_notice, batch_builder
from sync.keys import KioskKeys, TownhallKeys, TownhallPublicKeys
from sync.server.storage import Storage

log = logging.getLogger("rathaus.usb")

ROOT = "rathaus-transfer"
TO_TOWNHALL = "to-townhall"
TO_KIOSK = "to-kiosk"
STATUS_REQUEST = "status.request"
STATUS_BUNDLE = "status.bundle"
STATUS_BUNDLES = "status*.bundle"
# A stick can take days between kiosk and town hall; a status request stays valid for 60 days.
USB_REQUEST_MAX_AGE = 60 * 24 * 3600


@dataclass
class TransferReport:
    """What one run did; ``problems`` are plain sentences, one per skipped or rejected file."""

    batches_written: int = 0
    items_written: int = 0
    batches_received: int = 0
    batches_duplicate: int = 0
    acks_applied: int = 0
    statuses_applied: int = 0
    bundles_written: int = 0
    problems: list[str] = field(default_factory=list)


def write_atomically(path: Path, data: bytes) -> None:
    """Write, flush to the device, rename: a pulled stick leaves only a ``.part`` file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    with open(part, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(part, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _read_at_most(path: Path, limit: int) -> bytes:
    """A file from the stick, but never more than one byte over ``limit``: anything may be on a
    stick, and the checks refuse what is too large without it ever filling the memory."""
    with open(path, "rb") as fh:
        return fh.read(limit + 1)


def _transfer_root(directory: Path, lang: str) -> Path:
    _ = translator(lang)
    directory = Path(directory)
    if not directory.is_dir():
        raise RathausError(
            _("The folder {path} does not exist. Is the USB stick plugged in and mounted?").format(path=directory)
        )
    return directory / ROOT


def _report_half_written(folder: Path, report: TransferReport, _) -> None:
    for part in sorted(folder.glob("*/*.part")):
        report.problems.append(
            _("{name}: half-written file (the stick was probably pulled out too early); skipped.").format(
                name=part.relative_to(folder.parent)
            )
        )


# -- at the kiosk ---------------------------------------------------------------------------------


def kiosk_collect_replies(
    directory: Path, store: Store, *, kiosk: KioskKeys, townhall: TownhallPublicKeys, lang: str = "de"
) -> TransferReport:
    """Apply acknowledgements and status updates the town hall left on the stick for this kiosk."""
    _ = translator(lang)
    report = TransferReport()
    inbox = _transfer_root(directory, lang) / TO_KIOSK / kiosk.kiosk_id
    if not inbox.is_dir():
        return report
    _report_half_written(inbox.parent, report, _)
    for ack_path in sorted(inbox.glob("*.ack")):
        batch_id = ack_path.stem
        try:
            outcome = apply_ack(
                store, _read_at_most(ack_path, MAX_ACK_BYTES), batch_id=batch_id, kiosk_id=kiosk.kiosk_id, townhall=townhall
            )
        except EnvelopeError as exc:
            report.problems.append(
                _("{name}: not a valid acknowledgement from the town hall ({code}); ignored.").format(
                    name=ack_path.name, code=exc.code
                )
            )
            continue
        if outcome.applied:
            report.acks_applied += 1
        if outcome.refused:
            report.problems.append(attention_notice(len(outcome.refused), lang))
        ack_path.unlink()
        for sent in (inbox.parent.parent / TO_TOWNHALL / kiosk.kiosk_id).glob(f"*-{batch_id}.batch"):
            sent.unlink()
    for bundle_path in sorted(inbox.glob(STATUS_BUNDLES)):
        try:
            updates = verify_status_bundle(
                _read_at_most(bundle_path, MAX_STATUS_BUNDLE_BYTES),
                townhall.signing,
                kiosk_id=kiosk.kiosk_id,
            )
        except EnvelopeError as exc:
            report.problems.append(
                _("{name}: not valid status updates from the town hall ({code}); ignored.").format(
                    name=bundle_path.name, code=exc.code
                )
            )
            continue
        report.statuses_applied += store.apply_status(
            StatusRecord(u.reference, u.status, u.message, u.updated_at, u.serial) for u in updates
        )
        bundle_path.unlink()
    if report.acks_applied or report.statuses_applied:
        store.record_sync()  # the town hall's signed replies arrived: that is a completed exchange
    return report


def kiosk_export(
    directory: Path, store: Store, *, kiosk: KioskKeys, townhall: TownhallPublicKeys, lang: str = "de"
) -> TransferReport:
    """Take replies first, then put the waiting batch and a status request on the stick."""
    report = kiosk_collect_replies(directory, store, kiosk=kiosk, townhall=townhall, lang=lang)
    outbox = _transfer_root(directory, lang) / TO_TOWNHALL / kiosk.kiosk_id

    batch = store.take_batch(batch_builder(kiosk, townhall), max_items=MAX_ITEMS_PER_BATCH)
    if batch is not None:
        write_atomically(outbox / f"{batch.sequence:08d}-{batch.batch_id}.batch", batch.data)
        store.record_attempt(batch.batch_id)
        report.batches_written += 1
        report.items_written += len(batch.references)
    request = build_status_request(
        kiosk_id=kiosk.kiosk_id, since_serial=store.status_cursor(), signing_key=kiosk.signing
    )
    write_atomically(outbox / STATUS_REQUEST, request)
    return report


# -- at the town hall -----------------------------------------------------------------------------


def townhall_import(
    directory: Path,
    storage: Storage,
    allowlist: Allowlist,
    *,
    townhall: TownhallKeys,
    lang: str = "de",
) -> TransferReport:
    """Receive every batch on the stick with the server's own checks; leave acks and statuses."""
    _ = translator(lang)
    report = TransferReport()
    root = _transfer_root(directory, lang)
    incoming = root / TO_TOWNHALL
    if not incoming.is_dir():
        raise RathausError(
            _("There is nothing from a kiosk on this stick ({path} is missing).").format(path=incoming)
        )
    _report_half_written(incoming, report, _)
    for batch_path in sorted(incoming.glob("*/*.batch")):
        name = batch_path.relative_to(root)
        try:
            result = receive_batch(
                storage, allowlist, _read_at_most(batch_path, MAX_BATCH_BYTES), townhall=townhall
            )
        except EnvelopeError as exc:
            report.problems.append(
                _("{name}: rejected ({code}): {reason}").format(name=name, code=exc.code, reason=exc.message)
            )
            continue
        if batch_path.parent.name != result.kiosk_id:
            log.info("batch %s filed under another kiosk's folder", result.batch_id)
        write_atomically(root / TO_KIOSK / result.kiosk_id / f"{result.batch_id}.ack", result.ack)
        if result.new:
            report.batches_received += 1
        else:
            report.batches_duplicate += 1
    for request_path in sorted(incoming.glob(f"*/{STATUS_REQUEST}")):
        request = _read_at_most(request_path, MAX_STATUS_REQUEST_BYTES)
        try:
            bundle = status_updates_for(
                storage,
                allowlist,
                request,
                townhall=townhall,
                max_age_seconds=USB_REQUEST_MAX_AGE,
            )
        except EnvelopeError as exc:
            report.problems.append(
                _("{name}: status request rejected ({code}): {reason}").format(
                    name=request_path.relative_to(root), code=exc.code, reason=exc.message
                )
            )
            continue
        # The folder a request lies in is only a name on a stick; the signed request says who asked.
        kiosk_id = parse_status_request(request).kiosk_id
        write_atomically(root / TO_KIOSK / kiosk_id / STATUS_BUNDLE, bundle)
        request_path.unlink()
        report.bundles_written += 1
    return report


def townhall_export_statuses(
    directory: Path, storage: Storage, allowlist: Allowlist, *, townhall: TownhallKeys, lang: str = "de"
) -> TransferReport:
    """Put every enrolled kiosk's latest status per application on the stick.

    For a stick that only goes out (no status request came in): the town hall cannot know what
    the kiosk has seen, so it sends the newest update of every application, in as many bundles
    as the size limit needs.
    """
    report = TransferReport()
    root = _transfer_root(directory, lang)
    for enrolled in allowlist.list():
        if enrolled.revoked_at:
            continue
        updates = _latest_per_reference(storage, enrolled.kiosk_id)
        folder = root / TO_KIOSK / enrolled.kiosk_id
        for number, start in enumerate(range(0, len(updates), MAX_STATUS_UPDATES), start=1):
            chunk = updates[start : start + MAX_STATUS_UPDATES]
            bundle = build_status_bundle(chunk, kiosk_id=enrolled.kiosk_id, signing_key=townhall.signing)
            write_atomically(folder / f"status-{number:03d}.bundle", bundle)
            report.bundles_written += 1
    return report


def _latest_per_reference(storage: Storage, kiosk_id: str) -> list[StatusUpdate]:
    latest: dict[str, StatusUpdate] = {}
    since = 0
    while page := storage.status_updates_for_kiosk(kiosk_id, since_serial=since):
        for update in page:
            latest[update.reference] = update
        since = page[-1].serial
    return sorted(latest.values(), key=lambda update: update.serial)
