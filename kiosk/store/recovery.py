"""Saving what can still be read from a damaged kiosk database into a fresh one.

A failing SD card or disk damages pages of ``kiosk.db``; the kiosk then refuses to start (see
``kiosk.store.database.check_integrity``) and staff run ``rathaus recover``. The smallest
design that loses nothing that can be trusted:

1. The damaged file and its write-ahead log are copied, untouched, into ``damaged-<time>/`` next
   to it. Nothing is ever deleted, so a specialist can still look at them later.
2. Every row SQLite can still read is read, row by row where a whole table cannot be: a damaged
   page loses only the rows on it.
3. An application still to be sent is kept only if its sealed bytes still have the SHA-256 digest
   recorded with them (the only check possible without keys, and enough: the town hall's check
   of the seal would refuse anything else). Each goes back to ``queued``, whether it was waiting
   or already in a batch on its way: batches are built anew, and the town hall keeps an item it
   already holds once, so an application that had arrived is not duplicated.
4. Finished applications keep their receipt look-up (state and the town hall's answer); the
   small settings (last sync) and each download channel's version and as-of time (the status
   cursor among them) are kept when readable; not the warnings snapshot, which the next exchange
   brings again (until then the kiosk says that warnings could not be fetched).
5. The fresh file is written next to the damaged one, checked, and only then put in its place.

The store holds no keys, so none of this decrypts anything.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kiosk.errors import StoreCorruptError, StoreError
from kiosk.i18n import language_from_environment, translator
from kiosk.store import channels
from kiosk.store.warnings import WARNINGS_CHANNEL
from kiosk.store.database import check_integrity, connect
from kiosk.store.migrations import migrate
from kiosk.store.records import OutboxState, utc_timestamp

log = logging.getLogger(__name__)

_SIDE_FILES = ("-wal", "-shm")
_WAITING = {OutboxState.QUEUED.value, OutboxState.SENT.value}
_FINISHED = {OutboxState.ACKNOWLEDGED.value, OutboxState.ANSWERED.value}
# Row ids of the queue only grow (rows are never deleted), so after this many unreadable or
# missing ids in a row the table has ended.
_PROBE_GAP = 2000


@dataclass(frozen=True)
class RecoveryReport:
    """What the recovery saved, in numbers staff can compare with the kiosk's own counts."""

    waiting: int  # applications not yet at the town hall, queued again
    finished: int  # applications already at the town hall whose receipt look-up was kept
    unreadable: int  # rows that could not be read, or whose sealed bytes failed their digest
    damaged_copy: Path  # where the damaged files were kept


def recover_store(path: Path) -> RecoveryReport:
    """Move every readable application of the damaged database at ``path`` into a fresh one.

    The kiosk must not be running. Safe to run again: a healthy file is recovered as a whole.
    """
    path = Path(path)
    _ = translator(language_from_environment())
    if not path.is_file():
        raise StoreError(
            _("There is no kiosk database at {path}; nothing to recover.").format(path=path)
        )
    kept = _keep_damaged_copy(path)
    left = _read_what_is_left(path)
    if left is None:
        raise StoreCorruptError(
            _(
                "Nothing at all can be read from the kiosk database {path}, so it was left as it "
                "is; a copy is in {folder}. Please tell the town hall's IT. To start the kiosk "
                "with an empty queue, move {path} away; the applications in it are then lost."
            ).format(path=path, folder=kept),
            detail="schema of the outbox unreadable",
        )
    outbox, batches, settings, channel_rows, unreadable = left
    fresh = path.with_name(path.name + ".recovering")
    _remove_with_side_files(fresh)
    waiting, finished, refused = _write_fresh(fresh, outbox, batches, settings, channel_rows)
    unreadable += refused
    for suffix in _SIDE_FILES:  # the damaged log must never be applied to the fresh file
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(fresh, path)
    _fsync_folder(path.parent)
    log.info(  # staff read the same numbers from ``rathaus recover`` itself
        "kiosk database %s recovered: %d waiting, %d finished, %d unreadable; damaged copy in %s",
        path, waiting, finished, unreadable, kept,
    )
    return RecoveryReport(waiting=waiting, finished=finished, unreadable=unreadable, damaged_copy=kept)


# -- keeping the damaged files -------------------------------------------------------------------


def _keep_damaged_copy(path: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    folder = path.parent / f"damaged-{stamp}"
    folder.mkdir(mode=0o700)
    for source in (path, *(Path(f"{path}{suffix}") for suffix in _SIDE_FILES)):
        if source.is_file():
            shutil.copy2(source, folder / source.name)
    _fsync_folder(folder)
    return folder


def _remove_with_side_files(path: Path) -> None:
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in _SIDE_FILES)):
        candidate.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- reading what is left ------------------------------------------------------------------------


Row = dict[str, Any]


def _read_what_is_left(path: Path) -> tuple[list[Row], list[Row], list[Row], list[Row], int] | None:
    """The readable rows of the queue's tables and how many queue rows were lost; ``None`` when
    not even the queue's schema can be read (then nothing can be told apart from noise)."""
    try:
        conn = sqlite3.connect(str(path), isolation_level=None)
    except sqlite3.Error as exc:
        log.warning("damaged database %s cannot be opened at all: %s", path, exc)
        return None
    try:
        if not _columns(conn, "outbox"):
            return None
        outbox, unreadable = _readable_rows(conn, "outbox")
        batches, _lost = _readable_rows(conn, "batches")
        settings, _lost = _readable_rows(conn, "settings")
        channel_rows, _lost = _readable_rows(conn, "channels")  # none before the download channels
        return outbox, batches, settings, channel_rows, unreadable
    finally:
        conn.close()


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")]
    except sqlite3.DatabaseError as exc:
        log.warning("schema of %s unreadable: %s", table, exc)
        return []


def _readable_rows(conn: sqlite3.Connection, table: str) -> tuple[list[Row], int]:
    """Every row of ``table`` SQLite can read, and how many row ids could not be read."""
    columns = _columns(conn, table)
    if not columns:
        return [], 0
    selected = ", ".join(f'"{name}"' for name in columns)
    try:
        return [dict(zip(columns, row)) for row in conn.execute(f"SELECT {selected} FROM {table}")], 0
    except sqlite3.DatabaseError:
        pass  # a damaged page in the table: read around it, one row id at a time
    try:
        last = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
    except sqlite3.DatabaseError:
        last = None  # the end of the table is damaged too: probe until a long run of nothing
    rows: list[Row] = []
    unreadable = trailing = 0
    rowid = gap = 0
    while (rowid < last) if isinstance(last, int) else (gap < _PROBE_GAP):
        rowid += 1
        try:
            row = conn.execute(f"SELECT {selected} FROM {table} WHERE rowid = ?", [rowid]).fetchone()
        except sqlite3.DatabaseError:
            row, trailing = None, trailing + 1
        if row is None:
            gap += 1
            continue
        unreadable, trailing, gap = unreadable + trailing, 0, 0
        rows.append(dict(zip(columns, row)))
    if isinstance(last, int):
        unreadable += trailing
    elif trailing:
        unreadable += 1  # at least one row was lost past the last readable one; how many is unknown
    return rows, unreadable


# -- writing the fresh file ----------------------------------------------------------------------


def _write_fresh(
    fresh: Path, outbox: list[Row], batches: list[Row], settings: list[Row], channel_rows: list[Row]
) -> tuple[int, int, int]:
    """Write what can be trusted; returns (waiting, finished, refused rows)."""
    db = connect(fresh)
    try:
        migrate(db)
        conn = db.conn
        columns = {str(row[1]) for row in conn.execute("PRAGMA table_info(outbox)")}
        waiting = finished = refused = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            acknowledged = {
                str(b["batch_id"]): b for b in batches
                if b.get("state") == "acknowledged" and b.get("batch_id")
            }
            next_sequence = 1 + max(
                (b["sequence"] for b in acknowledged.values() if isinstance(b.get("sequence"), int)),
                default=0,
            )
            position = 0
            seen: set[str] = set()
            for row in sorted(outbox, key=_position):
                reference = row.get("reference")
                if not isinstance(reference, str) or reference in seen:
                    refused += 1
                    continue
                state = row.get("state")
                if state in _WAITING and _sealed_is_whole(row):
                    values = {**row, "state": OutboxState.QUEUED.value, "batch_id": None,
                              "sent_at": None, "acknowledged_at": None}
                elif state in _FINISHED and row.get("batch_id"):
                    batch_id = str(row["batch_id"])
                    if batch_id not in acknowledged:
                        acknowledged[batch_id] = _placeholder_batch(batch_id, row, next_sequence)
                        next_sequence += 1
                    values = {**row, "sealed": None}
                else:
                    refused += 1
                    continue
                position += 1
                values["position"] = position
                if not _insert_outbox_row(conn, values, columns, acknowledged):
                    position -= 1
                    refused += 1
                    continue
                seen.add(reference)
                if state in _WAITING:
                    waiting += 1
                else:
                    finished += 1
            for row in channel_rows:
                name, version, as_of = row.get("name"), row.get("version"), row.get("as_of")
                if name == WARNINGS_CHANNEL:
                    continue  # its snapshot is not carried over: holding its version without it would claim "no warnings"
                if isinstance(name, str) and isinstance(version, int) and version >= 0:
                    channels.advance_channel(db, name, version=version, as_of=as_of if isinstance(as_of, str) else None)
            for setting in settings:
                if setting.get("key") == "status_cursor" and str(setting.get("value")).isdigit():
                    # a database from before the download channels: its cursor is channel status
                    channels.advance_channel(db, "status", version=int(setting["value"]))
                elif isinstance(setting.get("key"), str) and isinstance(setting.get("value"), str):
                    conn.execute(
                        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                        [setting["key"], setting["value"]],
                    )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        check_integrity(conn, fresh)
    finally:
        db.close()
    _remove_side_files_only(fresh)
    return waiting, finished, refused


def _remove_side_files_only(path: Path) -> None:
    for suffix in _SIDE_FILES:
        side = Path(f"{path}{suffix}")
        if side.exists() and side.stat().st_size:
            raise StoreError("the fresh database kept a write-ahead log", detail=str(side))
        side.unlink(missing_ok=True)


def _position(row: Row) -> tuple[int, str]:
    position = row.get("position")
    return (position if isinstance(position, int) else 2**62, str(row.get("reference")))


def _sealed_is_whole(row: Row) -> bool:
    sealed, digest = row.get("sealed"), row.get("item_digest")
    if not isinstance(sealed, bytes) or not sealed or not isinstance(digest, str):
        return False
    return hashlib.sha256(sealed).hexdigest() == digest


def _placeholder_batch(batch_id: str, row: Row, sequence: int) -> Row:
    """The record of an acknowledged batch whose own row was lost: the item says it arrived."""
    at = row.get("acknowledged_at") or utc_timestamp()
    return {"batch_id": batch_id, "sequence": sequence, "created_at": row.get("sent_at") or at,
            "data": None, "state": "acknowledged", "acknowledged_at": at, "_written": False}


def _insert_outbox_row(
    conn: sqlite3.Connection, values: Row, columns: set[str], batches: dict[str, Row]
) -> bool:
    batch_id = values.get("batch_id")
    if batch_id is not None and not batches[batch_id].get("_written"):
        batch = batches[batch_id]
        try:
            conn.execute(
                "INSERT OR IGNORE INTO batches (batch_id, sequence, created_at, data, state,"
                " sent_attempts, last_attempt_at, acknowledged_at)"
                " VALUES (?, ?, ?, NULL, 'acknowledged', ?, ?, ?)",
                [batch_id, batch.get("sequence"), batch.get("created_at"),
                 batch.get("sent_attempts") or 0, batch.get("last_attempt_at"),
                 batch.get("acknowledged_at") or utc_timestamp()],
            )
        except sqlite3.Error as exc:
            log.info("batch record %s not kept: %s", batch_id, exc)
            return False
        batch["_written"] = True
    names = [name for name in values if name in columns]
    try:
        conn.execute(
            f"INSERT INTO outbox ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
            [values[name] for name in names],
        )
    except sqlite3.Error as exc:  # a row whose values break the queue's rules is not trusted
        log.info("row not kept: %s", type(exc).__name__)
        return False
    return True
