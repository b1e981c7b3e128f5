"""Carrying batches on a USB stick where no link ever comes.

The stick holds exactly the bytes that would travel over HTTP, so the town hall runs the very same
checks on them (``sync.intake``). Layout under the chosen directory (docs/transport-usb.md)::

    rathaus-transfer/
      to-townhall/<kiosk-id>/<sequence>-<batch-id>.batch   signed batch of sealed applications
      to-townhall/<kiosk-id>/download.request              signed "this is what I hold" (docs/downloads.md)
      to-townhall/<kiosk-id>/status.request                the same from a kiosk before protocol 1.1
      to-kiosk/<kiosk-id>/download-<nnn>.answer            signed downloads, applied first
      to-kiosk/<kiosk-id>/<batch-id>.ack                   signed acknowledgement
      to-kiosk/<kiosk-id>/status.bundle                    signed status updates (status-NNN.bundle
                                                           when the town hall writes unasked)

Every file is written under a fresh ``*.part`` name, flushed to the stick, then renamed, so a
stick pulled out mid-write leaves a ``.part`` file that is skipped with a message, never half a
batch. Whatever is on a stick is hostile: ``sync.stickfs`` follows no link, opens no pipe or
device, and each such entry is named in the report and left as it is.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.errors import EnvelopeError, RathausError
from kiosk.i18n import N_, translator
from kiosk.store import StatusRecord, Store
from sync.allowlist import Allowlist
from sync.envelope import (
    MAX_ITEMS_PER_BATCH,
    MAX_STATUS_UPDATES,
    StatusUpdate,
    build_status_bundle,
    parse_status_request,
    verify_status_bundle,
)
from sync.envelope.limits import (
    MAX_ACK_BYTES,
    MAX_BATCH_BYTES,
    MAX_STATUS_BUNDLE_BYTES,
    MAX_STATUS_REQUEST_BYTES,
)
from sync.downloads import apply_download, download_request
from sync.envelope.downloads import MAX_DOWNLOAD_BYTES, MAX_DOWNLOAD_REQUEST_BYTES, parse_download_request
from sync.intake import receive_batch, status_updates_for
from sync.keys import KioskKeys, TownhallKeys, TownhallPublicKeys, load_pinned_townhall
from sync.outbox import apply_ack, attention_notice, batch_builder
from sync.server.downloads import answer_download_pages
from sync.server.storage import Storage
from sync.stickfs import (
    DEVICE,
    FILE,
    FOLDER,
    LINK,
    MAX_ENTRIES_PER_FOLDER,
    OTHER,
    PART_SUFFIX,
    PIPE,
    SOCKET,
    Entry,
    NotOrdinary,
    StickFolder,
)

log = logging.getLogger("rathaus.usb")

ROOT = "rathaus-transfer"
TO_TOWNHALL = "to-townhall"
TO_KIOSK = "to-kiosk"
STATUS_REQUEST = "status.request"
DOWNLOAD_REQUEST = "download.request"
DOWNLOAD_ANSWERS = "download-*.answer"
STATUS_BUNDLE = "status.bundle"
STATUS_BUNDLES = "status*.bundle"
BATCH_SUFFIX = ".batch"
ACK_SUFFIX = ".ack"
# A stick can take days between kiosk and town hall; a status request stays valid for 60 days.
USB_REQUEST_MAX_AGE = 60 * 24 * 3600

_KIND_WORDS = {
    LINK: N_("a link"),
    PIPE: N_("a named pipe"),
    DEVICE: N_("a device"),
    SOCKET: N_("a socket"),
    FOLDER: N_("a folder"),
    FILE: N_("a file"),
    OTHER: N_("something unusual"),
}


@dataclass
class TransferReport:
    """What one run did; ``problems`` are plain sentences, one per skipped or rejected file."""

    batches_written: int = 0
    items_written: int = 0
    status_requests_written: int = 0
    nothing_waiting: bool = False  # at the kiosk: no application waited to be written
    batches_received: int = 0
    batches_duplicate: int = 0
    acks_applied: int = 0
    statuses_applied: int = 0
    bundles_written: int = 0
    downloads_applied: int = 0
    kiosks_written: list[str] = field(default_factory=list)  # kiosks whose answers are on the stick
    kiosks_without_answers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# -- messages -------------------------------------------------------------------------------------


def _kind(kind: str, _) -> str:
    return _(_KIND_WORDS.get(kind, _KIND_WORDS[OTHER]))


def _refused(report: TransferReport, name: str, kind: str, wanted: str, _) -> None:
    """An entry on the stick that is not what its place needs: named, and left exactly as it is."""
    if wanted == FOLDER:
        text = _("{name}: refused: it is {kind}, not an ordinary folder. "
                 "Left as it is; please delete it from the stick.")
    else:
        text = _("{name}: refused: it is {kind}, not an ordinary file. "
                 "Left as it is; please delete it from the stick.")
    report.problems.append(text.format(name=name, kind=_kind(kind, _)))


def _refused_error(error: NotOrdinary, report: TransferReport, _) -> None:
    _refused(report, error.name, error.kind, error.wanted, _)


def _structure_refused(error: NotOrdinary, _) -> RathausError:
    """A folder the whole layout hangs on is not a folder: nothing of this stick is used."""
    return RathausError(
        _("{name} on the USB stick is {kind}, not an ordinary folder: refused; nothing was read from it or "
          "written to it. Please delete it from the stick.").format(name=error.name, kind=_kind(error.kind, _)),
        detail=str(error),
    )


# -- finding one's way on the stick ---------------------------------------------------------------


def _mount(directory: Path, stack: contextlib.ExitStack, _) -> StickFolder:
    directory = Path(directory)
    if not directory.is_dir():
        raise RathausError(
            _("The folder {path} does not exist. Is the USB stick plugged in and mounted?").format(path=directory)
        )
    return stack.enter_context(StickFolder.open_mount(directory))


def _enter(parent: StickFolder, name: str, stack: contextlib.ExitStack, _) -> StickFolder | None:
    """One of the layout's fixed folders (``rathaus-transfer``, ``to-townhall``, ``to-kiosk``);
    a link or anything else in its place refuses the whole stick."""
    try:
        folder = parent.folder(name)
    except NotOrdinary as exc:
        raise _structure_refused(exc, _) from None
    return stack.enter_context(folder) if folder is not None else None


def _make(parent: StickFolder, name: str, stack: contextlib.ExitStack, _) -> StickFolder:
    """As :func:`_enter`, made when missing."""
    try:
        return stack.enter_context(parent.make_folder(name))
    except NotOrdinary as exc:
        raise _structure_refused(exc, _) from None


def _kiosk_folder(
    parent: StickFolder, kiosk_id: str, stack: contextlib.ExitStack, report: TransferReport, _, *, create: bool
) -> StickFolder | None:
    """One kiosk's folder; a link or file in its place is named and skipped, the others go on."""
    try:
        folder = parent.make_folder(kiosk_id) if create else parent.folder(kiosk_id)
    except NotOrdinary as exc:
        _refused_error(exc, report, _)
        return None
    return stack.enter_context(folder) if folder is not None else None


def _listing(folder: StickFolder, report: TransferReport, _) -> list[Entry]:
    listing = folder.listing()
    if not listing.complete:
        report.problems.append(
            _("{name}: more than {limit} entries; the rest were not looked at.").format(
                name=folder.path_of("."), limit=MAX_ENTRIES_PER_FOLDER
            )
        )
    for entry in listing.entries:
        if entry.name.endswith(PART_SUFFIX):
            if entry.kind == FILE:
                report.problems.append(
                    _("{name}: half-written file (the stick was probably pulled out too early); skipped.").format(
                        name=folder.path_of(entry.name)
                    )
                )
            else:
                _refused(report, folder.path_of(entry.name), entry.kind, FILE, _)
    return [entry for entry in listing.entries if not entry.name.endswith(PART_SUFFIX)]


def _read(folder: StickFolder, entry: Entry, limit: int, report: TransferReport, _) -> bytes | None:
    """An ordinary file's bytes (at most ``limit + 1``); anything else is named and never opened."""
    if entry.kind != FILE:
        _refused(report, folder.path_of(entry.name), entry.kind, FILE, _)
        return None
    try:
        return folder.read(entry.name, limit)
    except NotOrdinary as exc:  # swapped after the listing
        _refused_error(exc, report, _)
        return None


def _write(folder: StickFolder, name: str, data: bytes, report: TransferReport, _) -> bool:
    try:
        leftovers = folder.write(name, data)
    except NotOrdinary as exc:
        _refused_error(exc, report, _)
        return False
    for entry in leftovers:
        _refused(report, folder.path_of(entry.name), entry.kind, FILE, _)
    return True


class _Replies:
    """``to-kiosk/<kiosk-id>/`` folders, opened (and created) once each as replies are written."""

    def __init__(self, root: StickFolder, stack: contextlib.ExitStack, report: TransferReport, _) -> None:
        self._root, self._stack, self._report, self._ = root, stack, report, _
        self._open: dict[str, StickFolder | None] = {}

    def write(self, kiosk_id: str, name: str, data: bytes) -> bool:
        if kiosk_id not in self._open:
            self._open[kiosk_id] = _kiosk_folder(self._root, kiosk_id, self._stack, self._report, self._, create=True)
        folder = self._open[kiosk_id]
        return folder is not None and _write(folder, name, data, self._report, self._)


# -- at the kiosk ---------------------------------------------------------------------------------


def kiosk_collect_replies(
    directory: Path, store: Store, *, kiosk: KioskKeys, townhall: TownhallPublicKeys, lang: str = "de"
) -> TransferReport:
    """Apply acknowledgements and status updates the town hall left on the stick for this kiosk."""
    _ = translator(lang)
    report = TransferReport()
    with contextlib.ExitStack() as stack:
        root = _enter(_mount(directory, stack, _), ROOT, stack, _)
        if root is not None:
            _collect(root, stack, store, kiosk=kiosk, townhall=townhall, report=report, lang=lang)
    return report


def _collect(
    root: StickFolder,
    stack: contextlib.ExitStack,
    store: Store,
    *,
    kiosk: KioskKeys,
    townhall: TownhallPublicKeys,
    report: TransferReport,
    lang: str,
) -> None:
    _ = translator(lang)
    replies = _enter(root, TO_KIOSK, stack, _)
    inbox = replies and _kiosk_folder(replies, kiosk.kiosk_id, stack, report, _, create=False)
    if inbox is None:
        return
    entries = _listing(inbox, report, _)
    answers = sorted((e for e in entries if fnmatch.fnmatchcase(e.name, DOWNLOAD_ANSWERS)), key=lambda e: e.name)
    for entry in answers:  # first: after a key rotation the acknowledgements are signed by the new key
        data = _read(inbox, entry, MAX_DOWNLOAD_BYTES, report, _)
        if data is None:
            continue
        try:
            outcome = apply_download(data, store=store, kiosk=kiosk, kiosk_dir=store.path.parent)
        except EnvelopeError as exc:
            report.problems.append(
                _("{name}: not a valid download from the town hall ({code}); ignored.").format(
                    name=inbox.path_of(entry.name), code=exc.code
                )
            )
            continue
        report.statuses_applied += outcome.changed.get("status", 0)
        report.downloads_applied += 1
        inbox.remove(entry.name)
    townhall = load_pinned_townhall(store.path.parent)  # the pinned file: also after a rotation
    sent_folder: list[StickFolder | None] = []  # opened on the first acknowledgement
    for entry in entries:
        if not entry.name.endswith(ACK_SUFFIX):
            continue
        data = _read(inbox, entry, MAX_ACK_BYTES, report, _)
        if data is None:
            continue
        batch_id = entry.name[: -len(ACK_SUFFIX)]
        try:  # the one acknowledgement rule of the kiosk, the same as over the network
            outcome = apply_ack(store, data, batch_id=batch_id, kiosk_id=kiosk.kiosk_id, townhall=townhall)
        except EnvelopeError as exc:
            report.problems.append(
                _("{name}: not a valid acknowledgement from the town hall ({code}); ignored.").format(
                    name=inbox.path_of(entry.name), code=exc.code
                )
            )
            continue
        if outcome.applied:
            report.acks_applied += 1
        if outcome.refused:
            report.problems.append(attention_notice(len(outcome.refused), lang))
        inbox.remove(entry.name)
        if not sent_folder:
            outgoing = _enter(root, TO_TOWNHALL, stack, _)
            sent_folder.append(outgoing and _kiosk_folder(outgoing, kiosk.kiosk_id, stack, report, _, create=False))
        if sent_folder[0] is not None:
            _remove_delivered(sent_folder[0], batch_id)
    for entry in entries:
        if not fnmatch.fnmatchcase(entry.name, STATUS_BUNDLES):
            continue
        data = _read(inbox, entry, MAX_STATUS_BUNDLE_BYTES, report, _)
        if data is None:
            continue
        try:
            updates = verify_status_bundle(data, townhall.signing, kiosk_id=kiosk.kiosk_id)
        except EnvelopeError as exc:
            report.problems.append(
                _("{name}: not valid status updates from the town hall ({code}); ignored.").format(
                    name=inbox.path_of(entry.name), code=exc.code
                )
            )
            continue
        report.statuses_applied += store.apply_status(
            StatusRecord(u.reference, u.status, u.message, u.updated_at, u.serial) for u in updates
        )
        inbox.remove(entry.name)
    if report.acks_applied or report.statuses_applied or report.downloads_applied:
        store.record_sync()  # the town hall's signed replies arrived: that is a completed exchange


def _remove_delivered(outgoing: StickFolder, batch_id: str) -> None:
    """The town hall holds this batch: its copy on the stick is no longer needed."""
    for entry in outgoing.listing().entries:
        if entry.kind == FILE and entry.name.endswith(f"-{batch_id}{BATCH_SUFFIX}"):
            outgoing.remove(entry.name)


def kiosk_export(
    directory: Path, store: Store, *, kiosk: KioskKeys, townhall: TownhallPublicKeys, lang: str = "de"
) -> TransferReport:
    """Take replies first, then put the waiting batch and a status request on the stick."""
    _ = translator(lang)
    report = TransferReport()
    with contextlib.ExitStack() as stack:
        root = _make(_mount(directory, stack, _), ROOT, stack, _)
        # nowhere safe to put this kiosk's batch: refused before anything is taken from the queue
        outbox = _make(_make(root, TO_TOWNHALL, stack, _), kiosk.kiosk_id, stack, _)
        _collect(root, stack, store, kiosk=kiosk, townhall=townhall, report=report, lang=lang)
        townhall = load_pinned_townhall(store.path.parent)  # seal and sign for the keys now pinned

        batch = store.take_batch(batch_builder(kiosk, townhall), max_items=MAX_ITEMS_PER_BATCH)
        report.nothing_waiting = batch is None
        if batch is not None:
            name = f"{batch.sequence:08d}-{batch.batch_id}{BATCH_SUFFIX}"
            if _write(outbox, name, batch.data, report, _):
                store.record_attempt(batch.batch_id)
                report.batches_written += 1
                report.items_written += len(batch.references)
        if _write(outbox, DOWNLOAD_REQUEST, download_request(store, kiosk), report, _):
            report.status_requests_written += 1
    return report


# -- at the town hall -----------------------------------------------------------------------------


def townhall_import(
    directory: Path,
    storage: Storage,
    allowlist: Allowlist,
    *,
    townhall: TownhallKeys,
    townhall_dir: Path | None = None,
    lang: str = "de",
) -> TransferReport:
    """Receive every batch on the stick with the server's own checks; leave acks and downloads.

    ``townhall_dir`` lets the downloads carry key rotations (``keys/key-updates/``)."""
    _ = translator(lang)
    report = TransferReport()
    with contextlib.ExitStack() as stack:
        root = _enter(_mount(directory, stack, _), ROOT, stack, _)
        incoming = root and _enter(root, TO_TOWNHALL, stack, _)
        if incoming is None:
            raise RathausError(
                _("There is nothing from a kiosk on this stick ({path} is missing).").format(
                    path=Path(directory) / ROOT / TO_TOWNHALL
                )
            )
        # a link in place of the replies' folder is refused before anything is stored
        replies = _Replies(_make(root, TO_KIOSK, stack, _), stack, report, _)
        for entry in incoming.listing().entries:
            if entry.kind == FOLDER:
                folder = _kiosk_folder(incoming, entry.name, stack, report, _, create=False)
                if folder is not None:
                    _import_from(
                        folder, storage, allowlist, replies,
                        townhall=townhall, townhall_dir=townhall_dir, report=report, _=_,
                    )
            elif entry.kind != FILE:  # a stray ordinary file is nobody's business; a link is named
                _refused(report, incoming.path_of(entry.name), entry.kind, FOLDER, _)
    return report


def _import_from(
    folder: StickFolder,
    storage: Storage,
    allowlist: Allowlist,
    replies: _Replies,
    *,
    townhall: TownhallKeys,
    townhall_dir: Path | None,
    report: TransferReport,
    _,
) -> None:
    """One ``to-townhall/<kiosk-id>/`` folder: its batches, then its download (or status) request."""
    entries = _listing(folder, report, _)
    for entry in entries:
        if not entry.name.endswith(BATCH_SUFFIX):
            continue
        data = _read(folder, entry, MAX_BATCH_BYTES, report, _)
        if data is None:
            continue
        try:
            result = receive_batch(storage, allowlist, data, townhall=townhall)
        except EnvelopeError as exc:
            report.problems.append(
                _("{name}: rejected ({code}): {reason}").format(
                    name=folder.path_of(entry.name), code=exc.code, reason=exc.message
                )
            )
            continue
        if folder.label.name != result.kiosk_id:
            log.info("batch %s filed under another kiosk's folder", result.batch_id)
        replies.write(result.kiosk_id, f"{result.batch_id}{ACK_SUFFIX}", result.ack)
        if result.new:
            report.batches_received += 1
        else:
            report.batches_duplicate += 1
    for entry in entries:
        if entry.name == DOWNLOAD_REQUEST:
            _answer_download(folder, entry, storage, allowlist, replies, townhall, townhall_dir, report, _)
    for entry in entries:
        if entry.name != STATUS_REQUEST:
            continue
        request = _read(folder, entry, MAX_STATUS_REQUEST_BYTES, report, _)
        if request is None:
            continue
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
                    name=folder.path_of(entry.name), code=exc.code, reason=exc.message
                )
            )
            continue
        # The folder a request lies in is only a name on a stick; the signed request says who asked.
        kiosk_id = parse_status_request(request).kiosk_id
        if replies.write(kiosk_id, STATUS_BUNDLE, bundle):
            folder.remove(STATUS_REQUEST)
            report.bundles_written += 1
            report.kiosks_written.append(kiosk_id)


def _answer_download(
    folder: StickFolder,
    entry: Entry,
    storage: Storage,
    allowlist: Allowlist,
    replies: _Replies,
    townhall: TownhallKeys,
    townhall_dir: Path | None,
    report: TransferReport,
    _,
) -> None:
    """A kiosk's download request: its answers (as many pages as wait) go into its reply folder."""
    request = _read(folder, entry, MAX_DOWNLOAD_REQUEST_BYTES, report, _)
    if request is None:
        return
    try:
        answers = answer_download_pages(
            storage, allowlist, request, townhall=townhall, townhall_dir=townhall_dir,
            max_age_seconds=USB_REQUEST_MAX_AGE,
        )
    except EnvelopeError as exc:
        report.problems.append(
            _("{name}: download request rejected ({code}): {reason}").format(
                name=folder.path_of(entry.name), code=exc.code, reason=exc.message
            )
        )
        return
    # The folder a request lies in is only a name on a stick; the signed request says who asked.
    kiosk_id = parse_download_request(request).kiosk_id
    written = [replies.write(kiosk_id, f"download-{n:03d}.answer", a) for n, a in enumerate(answers, start=1)]
    if all(written):
        folder.remove(DOWNLOAD_REQUEST)
        report.bundles_written += len(answers)
        report.kiosks_written.append(kiosk_id)


def kiosks_for_stick(allowlist: Allowlist, named: Sequence[str], *, all_kiosks: bool, lang: str = "de") -> list[str]:
    """Which kiosks' answers one stick carries: those named, or all only when asked for.

    A stick can be lost on the way, so it carries one kiosk's answers unless staff say otherwise.
    With a single enrolled kiosk there is nothing to choose; with several and none named, staff
    are asked to choose rather than given every kiosk's answers on one stick.
    """
    _ = translator(lang)
    active = [enrolled.kiosk_id for enrolled in allowlist.list() if not enrolled.revoked_at]
    if all_kiosks:
        return active
    if named:
        unknown = [kiosk_id for kiosk_id in named if kiosk_id not in active]
        if unknown:
            raise RathausError(
                _("{kiosks}: not an enrolled kiosk of this town hall (or blocked). Enrolled kiosks: {enrolled}").format(
                    kiosks=", ".join(unknown), enrolled=", ".join(active) or "-"
                )
            )
        return list(dict.fromkeys(named))
    if len(active) <= 1:
        return active
    raise RathausError(
        _("This town hall has {count} kiosks. Name the kiosk this stick goes to with --kiosk-id ID (one stick "
          "per kiosk), or write the answers of all of them with --all-kiosks. Kiosks: {enrolled}").format(
            count=len(active), enrolled=", ".join(active)
        )
    )


def townhall_export_statuses(
    directory: Path,
    storage: Storage,
    allowlist: Allowlist,
    *,
    townhall: TownhallKeys,
    kiosk_ids: Iterable[str] | None = None,
    lang: str = "de",
) -> TransferReport:
    """Put the latest status per application of the given kiosks (default: every enrolled one)
    on the stick.

    For a stick that only goes out (no status request came in): the town hall cannot know what
    the kiosk has seen, so it sends the newest update of every application, in as many bundles
    as the size limit needs.
    """
    _ = translator(lang)
    report = TransferReport()
    if kiosk_ids is None:
        kiosk_ids = [enrolled.kiosk_id for enrolled in allowlist.list() if not enrolled.revoked_at]
    with contextlib.ExitStack() as stack:
        root = _make(_mount(directory, stack, _), ROOT, stack, _)
        replies = _Replies(_make(root, TO_KIOSK, stack, _), stack, report, _)
        for kiosk_id in kiosk_ids:
            updates = _latest_per_reference(storage, kiosk_id)
            if not updates:
                report.kiosks_without_answers.append(kiosk_id)
                continue
            written = 0
            for number, start in enumerate(range(0, len(updates), MAX_STATUS_UPDATES), start=1):
                chunk = updates[start : start + MAX_STATUS_UPDATES]
                bundle = build_status_bundle(chunk, kiosk_id=kiosk_id, signing_key=townhall.signing)
                if not replies.write(kiosk_id, f"status-{number:03d}.bundle", bundle):
                    break
                written += 1
            report.bundles_written += written
            if written:
                report.kiosks_written.append(kiosk_id)
    return report


def _latest_per_reference(storage: Storage, kiosk_id: str) -> list[StatusUpdate]:
    latest: dict[str, StatusUpdate] = {}
    since = 0
    while page := storage.status_updates_for_kiosk(kiosk_id, since_serial=since):
        for update in page:
            latest[update.reference] = update
        since = page[-1].serial
    return sorted(latest.values(), key=lambda update: update.serial)
