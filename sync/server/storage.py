"""What the town hall keeps: received batches, the sealed items in them, and the staff's answers.

``Storage`` is the narrow interface the intake, the server and the staff inbox use.
``SqliteStorage`` is the default for a single town: one file (``townhall.db``), WAL journal,
``synchronous=FULL`` (an acknowledged batch survives a power cut). ``PostgresStorage``
(``sync.server.pg_storage``) holds many towns in one PostgreSQL database; ``open_storage`` picks
the one the town hall's configuration names (``sync.server.database``). Both keep their schema by
the numbered steps of ``sync.server.schema``, and every row carries the town it belongs to. Items
stay sealed in the database; only the inbox, which holds the private key, ever opens them.

Every write is one transaction. One connection is shared by all threads of the server and guarded
by a lock, which is plenty for a town hall's traffic and keeps SQLite's rules simple.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence, runtime_checkable

import sqlite_utils

from kiosk.errors import StoreError
from kiosk.private_file import create_private
from sync.envelope.acks import REFERENCE_CONFLICT, RefusedItem
from sync.envelope.fields import parse_timestamp, utc_timestamp
from sync.envelope.limits import MAX_STATUS_UPDATES
from sync.envelope.status import StatusUpdate
from sync.server.database import DEFAULT_TOWN, check_town_id, database_config
from sync.server.schema import TOWNHALL_STEPS, apply_sqlite

DB_NAME = "townhall.db"
_BUSY_TIMEOUT_MS = 10_000
SAME_SYNC_SECONDS = 600
"""Batches from one kiosk this close together count as one sync for "what it had waiting"."""


ItemKey = tuple[str, str]
"""An item's identity at the town hall: (kiosk id, receipt code). Codes are random, so two kiosks
may, rarely, draw the same one; each kiosk never issues a code twice."""


class AmbiguousReference(ValueError):
    """Two kiosks gave the same receipt code; the kiosk must be named to pick one item."""

    def __init__(self, reference: str, kiosks: Sequence[str]) -> None:
        super().__init__(f"{reference} is held from kiosks {', '.join(sorted(kiosks))}")
        self.reference = reference
        self.kiosks = tuple(sorted(kiosks))


@dataclass(frozen=True)
class BatchRecord:
    """One accepted batch: who sent it, when, and which items it carried."""

    batch_id: str
    kiosk_id: str
    sequence: int
    created_at: str
    received_at: str
    item_digests: tuple[str, ...]
    refused: tuple[RefusedItem, ...] = ()
    """Items of the batch the town hall did not store (a different item under a receipt code
    already held from that kiosk): listed in the acknowledgement, so the kiosk keeps them."""

    @property
    def item_count(self) -> int:
        return len(self.item_digests)


@dataclass(frozen=True)
class ItemRecord:
    """One submission as received: metadata in the clear (from the sealed item), answers sealed."""

    reference: str
    digest: str
    batch_id: str
    kiosk_id: str
    form_id: str
    form_version: Any
    form_hash: str
    captured_at: str
    received_at: str
    sealed: bytes
    opened_at: str | None = None
    exported_at: str | None = None
    damaged: str | None = None
    """Why staff could not open it (an error code such as ``tampered``), once found out."""

    @property
    def on_paper(self) -> bool:
        """Recorded by staff from a paper application: nothing sealed, the answers are on paper."""
        return self.kiosk_id == PAPER_KIOSK_ID


PAPER_KIOSK_ID = "(paper)"
"""The "kiosk" of applications handed in on paper. Parentheses never match a kiosk id
(``[a-z0-9][a-z0-9-]*``), so no kiosk can ask for, or send under, this id."""

PAPER_BATCH_ID = "paper"
"""The batch row each town's paper applications hang off (made with the town's first one); not a
kiosk's batch, so ``counts()`` leaves it out."""


@dataclass(frozen=True)
class KioskContact:
    """What the town hall last heard from a kiosk (any signed exchange it accepted)."""

    kiosk_id: str
    last_seen_at: str
    last_kind: str  # "batch", "download" or "status" (kiosks before protocol 1.1)
    last_batch_at: str | None = None
    last_batch_items: int | None = None
    """How many applications the kiosk's latest sync brought (its batches within
    ``SAME_SYNC_SECONDS`` of each other): what it had waiting then."""


@dataclass(frozen=True)
class StatusRecord:
    """A staff answer on one submission; ``serial`` orders all answers and is the kiosks' cursor.

    ``message`` travels to the kiosk (the receipt holder reads it); ``staff_note`` never leaves the
    town hall."""

    serial: int
    reference: str
    kiosk_id: str
    status: str
    message: str
    updated_at: str
    staff_note: str = ""


@dataclass(frozen=True)
class StorageCounts:
    batches: int
    items: int
    status_updates: int
    refused: int = 0
    """Items refused as a ``reference_conflict``: never stored, they stay at their kiosk."""


@runtime_checkable
class Storage(Protocol):
    """The town hall's records, as the intake, the server and the inbox need them."""

    def find_batch(self, batch_id: str) -> BatchRecord | None:
        """The batch stored under this id, or ``None`` when it was never accepted."""

    def store_batch(self, batch: BatchRecord, items: Sequence[ItemRecord]) -> BatchRecord | None:
        """Store a batch and its items in one transaction and return it as stored.

        An item already held (same digest) is kept once. A *different* item under a receipt code
        already held from that kiosk is not stored: the returned record lists it in ``refused``
        (``reference_conflict``), so the acknowledgement never names an item the town hall does
        not hold. Items the caller refused before (``batch.refused``, e.g. ``revoked_helper``)
        are not in ``items`` and stay listed first. ``None`` when the batch id was stored meanwhile."""

    def counts(self) -> StorageCounts:
        """How many batches, items and status updates are held."""

    def items(self, *, form_id: str | None = None, unopened_only: bool = False) -> list[ItemRecord]:
        """Items in the order they were received."""

    def item(self, reference: str, kiosk_id: str | None = None) -> ItemRecord | None:
        """One item by its compact receipt code (the first received, if two kiosks gave the
        same code and ``kiosk_id`` does not say which)."""

    def items_with_reference(self, reference: str) -> list[ItemRecord]:
        """Every item with this receipt code: one, or more if kiosks happened to draw the same."""

    def mark_opened(self, keys: Iterable[ItemKey], at: str) -> None:
        """Record that staff opened these items (the first time counts)."""

    def mark_exported(self, keys: Iterable[ItemKey], at: str) -> None:
        """Record that these items went out in an export (the latest time counts)."""

    def add_status(
        self,
        reference: str,
        status: str,
        message: str,
        updated_at: str,
        staff_note: str = "",
        *,
        kiosk_id: str | None = None,
    ) -> StatusRecord:
        """Append a status update for a stored item and give it the next serial; ``KeyError``
        when no such item is held, ``AmbiguousReference`` when two kiosks gave the code and
        ``kiosk_id`` does not say which."""

    def current_statuses(self) -> dict[ItemKey, StatusRecord]:
        """The latest status update of every item that has one, by (kiosk id, reference)."""

    def status_history(self, reference: str, kiosk_id: str | None = None) -> list[StatusRecord]:
        """All status updates of one item, oldest first."""

    def status_updates_for_kiosk(
        self, kiosk_id: str, *, since_serial: int = 0, limit: int = MAX_STATUS_UPDATES
    ) -> list[StatusUpdate]:
        """Updates for items from this kiosk with a serial above ``since_serial``, oldest first,
        at most ``limit`` (a kiosk asks again from the last serial it got)."""

    def mark_damaged(self, key: ItemKey, reason: str | None, at: str) -> None:
        """Record that an item does not open (``reason`` is an error code), so lists show it;
        ``None`` clears the mark (it opened after all, e.g. with a restored earlier key)."""

    def record_paper_item(
        self, reference: str, form_id: str, form_version: Any, form_hash: str, received_at: str
    ) -> ItemRecord:
        """Keep an application handed in on paper (under ``PAPER_KIOSK_ID``, nothing sealed), so
        one list holds both; ``KeyError`` when the code is taken."""

    def record_kiosk_contact(
        self, kiosk_id: str, at: str, kind: str, *, batch_items: int | None = None
    ) -> None:
        """Note an accepted exchange with a kiosk (``batch`` with the count of a newly stored
        batch, ``download`` or ``status``); a contact older than the one held changes nothing."""

    def kiosk_contacts(self) -> dict[str, KioskContact]:
        """The last contact of every kiosk ever heard from, by kiosk id."""

    def close(self) -> None:
        """Release the database."""


_ITEM_COLUMNS = (
    "reference, digest, batch_id, kiosk_id, form_id, form_version, form_hash, captured_at, "
    "received_at, sealed, opened_at, exported_at, damaged"
)
_STATUS_COLUMNS = "serial, reference, kiosk_id, status, message, updated_at, staff_note"


class SqliteStorage:
    """``Storage`` in one SQLite file; safe to share between the server's threads.

    Every row carries a town id and every query is scoped to ``town``; a single town hall's
    file holds the town ``default`` only."""

    def __init__(self, path: Path | str, *, town: str = DEFAULT_TOWN) -> None:
        self.path = Path(path)
        self.town = check_town_id(town)
        conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private(self.path)
            conn = sqlite3.connect(
                str(self.path), check_same_thread=False, isolation_level=None, timeout=_BUSY_TIMEOUT_MS / 1000
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            self._db = sqlite_utils.Database(conn, execute_plugins=False)
            apply_sqlite(conn, TOWNHALL_STEPS)
        except (OSError, sqlite3.Error) as exc:
            if conn is not None:
                conn.close()
            raise StoreError(
                f"The town-hall database {self.path} cannot be opened.", detail=repr(exc)
            ) from exc
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front, so the server
        and a staff command writing at the same moment wait for each other instead of failing."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.conn.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    # -- batches -------------------------------------------------------------------------------

    def find_batch(self, batch_id: str) -> BatchRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT batch_id, kiosk_id, sequence, created_at, received_at, item_digests, "
                "refused FROM batches WHERE town = ? AND batch_id = ?",
                [self.town, batch_id],
            ).fetchone()
        return None if row is None else batch_from_row(row)

    def store_batch(self, batch: BatchRecord, items: Sequence[ItemRecord]) -> BatchRecord | None:
        with self._write():
            taken = self._db.execute(
                "SELECT 1 FROM batches WHERE town = ? AND batch_id = ?", [self.town, batch.batch_id]
            ).fetchone()
            if taken:
                return None
            refused: list[RefusedItem] = []
            new_items: dict[ItemKey, ItemRecord] = {}
            already = self._held_digests(items)  # one query per kiosk, not one per item
            for item in items:
                key = (item.kiosk_id, item.reference)
                held = already.get(key) or getattr(new_items.get(key), "digest", None)
                if held is None:
                    new_items[key] = item
                elif held != item.digest:
                    # Never stored over the first (staff may have opened it), never dropped in
                    # silence: refused by name, so its kiosk keeps it.
                    refused.append(RefusedItem(item.digest, REFERENCE_CONFLICT))
                # else: the very same sealed item is already held; it is kept once.
            stored = replace(batch, refused=batch.refused + tuple(refused))
            self._db.execute(
                "INSERT INTO batches (town, batch_id, kiosk_id, sequence, created_at, received_at, "
                "item_count, item_digests, refused) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [self.town, *batch_row(stored)],
            )
            self._db.conn.executemany(
                "INSERT INTO items (town, reference, digest, batch_id, kiosk_id, form_id, "
                "form_version, form_hash, captured_at, received_at, sealed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(self.town, *item_row(item)) for item in new_items.values()],
            )
        return stored

    def _held_digests(self, items: Sequence[ItemRecord]) -> dict[ItemKey, str]:
        """Digests of the items already held under the receipt codes of ``items``."""
        wanted: dict[str, set[str]] = {}
        for item in items:
            wanted.setdefault(item.kiosk_id, set()).add(item.reference)
        held: dict[ItemKey, str] = {}
        for kiosk_id, references in wanted.items():
            codes = sorted(references)
            for start in range(0, len(codes), 500):  # well within SQLite's limit of parameters
                part = codes[start : start + 500]
                rows = self._db.conn.execute(
                    "SELECT reference, digest FROM items WHERE town = ? AND kiosk_id = ? AND reference IN"
                    f" ({', '.join('?' * len(part))})",
                    [self.town, kiosk_id, *part],
                )
                held.update({(kiosk_id, str(reference)): str(digest) for reference, digest in rows})
        return held

    def counts(self) -> StorageCounts:
        with self._lock:
            batches, items, updates, refused = self._db.execute(
                "SELECT (SELECT count(*) FROM batches WHERE town = :town AND batch_id != :paper), "
                "(SELECT count(*) FROM items WHERE town = :town), "
                "(SELECT count(*) FROM status_updates WHERE town = :town), "
                "(SELECT coalesce(sum(json_array_length(refused)), 0) FROM batches WHERE town = :town)",
                {"town": self.town, "paper": PAPER_BATCH_ID},
            ).fetchone()
        return StorageCounts(batches=batches, items=items, status_updates=updates, refused=refused)

    # -- items ---------------------------------------------------------------------------------

    def items(self, *, form_id: str | None = None, unopened_only: bool = False) -> list[ItemRecord]:
        clauses, params = ["town = ?"], [self.town]
        if form_id is not None:
            clauses.append("form_id = ?")
            params.append(form_id)
        if unopened_only:
            clauses.append("opened_at IS NULL")
        where = f"WHERE {' AND '.join(clauses)}"
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items {where} ORDER BY received_at, rowid", params
            ).fetchall()
        return [_item_from_row(row) for row in rows]

    def item(self, reference: str, kiosk_id: str | None = None) -> ItemRecord | None:
        found = self.items_with_reference(reference)
        if kiosk_id is not None:
            found = [item for item in found if item.kiosk_id == kiosk_id]
        return found[0] if found else None

    def items_with_reference(self, reference: str) -> list[ItemRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE town = ? AND reference = ? "
                "ORDER BY received_at, rowid",
                [self.town, reference],
            ).fetchall()
        return [_item_from_row(row) for row in rows]

    def mark_opened(self, keys: Iterable[ItemKey], at: str) -> None:
        with self._write():
            for kiosk_id, reference in keys:
                self._db.execute(
                    "UPDATE items SET opened_at = ? "
                    "WHERE town = ? AND kiosk_id = ? AND reference = ? AND opened_at IS NULL",
                    [at, self.town, kiosk_id, reference],
                )

    def mark_exported(self, keys: Iterable[ItemKey], at: str) -> None:
        with self._write():
            for kiosk_id, reference in keys:
                self._db.execute(
                    "UPDATE items SET exported_at = ? WHERE town = ? AND kiosk_id = ? AND reference = ?",
                    [at, self.town, kiosk_id, reference],
                )

    def mark_damaged(self, key: ItemKey, reason: str | None, at: str) -> None:
        with self._write():
            self._db.execute(
                "UPDATE items SET damaged = ? WHERE town = ? AND kiosk_id = ? AND reference = ?",
                [reason, self.town, key[0], key[1]],
            )

    def record_paper_item(
        self, reference: str, form_id: str, form_version: Any, form_hash: str, received_at: str
    ) -> ItemRecord:
        item = paper_item(reference, form_id, form_version, form_hash, received_at)
        with self._write():
            self._db.execute(
                "INSERT INTO batches (town, batch_id, kiosk_id, sequence, created_at, received_at, "
                "item_count, item_digests) VALUES (?, ?, ?, 0, '', '', 0, '[]') "
                "ON CONFLICT (town, batch_id) DO NOTHING",
                [self.town, PAPER_BATCH_ID, PAPER_KIOSK_ID],
            )
            try:
                self._db.execute(
                    "INSERT INTO items (town, reference, digest, batch_id, kiosk_id, form_id, "
                    "form_version, form_hash, captured_at, received_at, sealed) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [self.town, *item_row(item)],
                )
            except sqlite3.IntegrityError:
                raise KeyError(reference) from None
        return item

    # -- kiosks --------------------------------------------------------------------------------

    def record_kiosk_contact(
        self, kiosk_id: str, at: str, kind: str, *, batch_items: int | None = None
    ) -> None:
        with self._write():
            self._db.execute(
                "INSERT INTO kiosk_contacts (town, kiosk_id, last_seen_at, last_kind) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (town, kiosk_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, "
                "last_kind = excluded.last_kind WHERE excluded.last_seen_at >= kiosk_contacts.last_seen_at",
                [self.town, kiosk_id, at, kind],
            )
            if batch_items is not None:
                # Batches within a few minutes of each other came in one sync (a long queue goes
                # up in several): together they are what the kiosk had waiting.
                self._db.execute(
                    "UPDATE kiosk_contacts SET last_batch_items = CASE WHEN last_batch_at >= ? "
                    "THEN last_batch_items + ? ELSE ? END, last_batch_at = ? "
                    "WHERE town = ? AND kiosk_id = ? AND (last_batch_at IS NULL OR last_batch_at <= ?)",
                    [same_sync_since(at), batch_items, batch_items, at, self.town, kiosk_id, at],
                )

    def kiosk_contacts(self) -> dict[str, KioskContact]:
        with self._lock:
            rows = self._db.execute(
                "SELECT kiosk_id, last_seen_at, last_kind, last_batch_at, last_batch_items "
                "FROM kiosk_contacts WHERE town = ? ORDER BY kiosk_id",
                [self.town],
            ).fetchall()
        return {row[0]: KioskContact(*row) for row in rows}

    # -- status updates ------------------------------------------------------------------------

    def add_status(
        self,
        reference: str,
        status: str,
        message: str,
        updated_at: str,
        staff_note: str = "",
        *,
        kiosk_id: str | None = None,
    ) -> StatusRecord:
        with self._write():
            kiosks = [
                row[0]
                for row in self._db.execute(
                    "SELECT kiosk_id FROM items WHERE town = ? AND reference = ?", [self.town, reference]
                ).fetchall()
                if kiosk_id is None or row[0] == kiosk_id
            ]
            if not kiosks:
                raise KeyError(reference)
            if len(kiosks) > 1:
                raise AmbiguousReference(reference, kiosks)
            cursor = self._db.execute(
                "INSERT INTO status_updates (town, reference, kiosk_id, status, message, updated_at, "
                "staff_note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [self.town, reference, kiosks[0], status, message, updated_at, staff_note],
            )
            serial = cursor.lastrowid
        return StatusRecord(
            serial=serial,
            reference=reference,
            kiosk_id=kiosks[0],
            status=status,
            message=message,
            updated_at=updated_at,
            staff_note=staff_note,
        )

    def current_statuses(self) -> dict[ItemKey, StatusRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_STATUS_COLUMNS} FROM status_updates WHERE serial IN "
                "(SELECT max(serial) FROM status_updates WHERE town = ? GROUP BY kiosk_id, reference)",
                [self.town],
            ).fetchall()
        records = [StatusRecord(*row) for row in rows]
        return {(record.kiosk_id, record.reference): record for record in records}

    def status_history(self, reference: str, kiosk_id: str | None = None) -> list[StatusRecord]:
        item = self.item(reference, kiosk_id)
        if item is None:
            return []
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_STATUS_COLUMNS} FROM status_updates "
                "WHERE town = ? AND kiosk_id = ? AND reference = ? ORDER BY serial",
                [self.town, item.kiosk_id, reference],
            ).fetchall()
        return [StatusRecord(*row) for row in rows]

    def status_updates_for_kiosk(
        self, kiosk_id: str, *, since_serial: int = 0, limit: int = MAX_STATUS_UPDATES
    ) -> list[StatusUpdate]:
        with self._lock:
            rows = self._db.execute(
                "SELECT reference, status, message, updated_at, serial FROM status_updates "
                "WHERE town = ? AND kiosk_id = ? AND serial > ? ORDER BY serial LIMIT ?",
                [self.town, kiosk_id, since_serial, limit],
            ).fetchall()
        return [StatusUpdate(*row) for row in rows]

    # -- lifetime ------------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise ``StoreError`` unless the database answers (the readiness check)."""
        try:
            with self._lock:
                self._db.execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreError("The town-hall database does not answer.", detail=repr(exc)) from exc

    def close(self) -> None:
        with self._lock:
            self._db.conn.close()

    def __enter__(self) -> "SqliteStorage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def batch_row(batch: BatchRecord) -> list[Any]:
    """A batch as the columns ``batch_id … refused`` hold it (both backends)."""
    return [
        batch.batch_id,
        batch.kiosk_id,
        batch.sequence,
        batch.created_at,
        batch.received_at,
        batch.item_count,
        json.dumps(list(batch.item_digests)),
        json.dumps([{"code": r.code, "digest": r.digest} for r in batch.refused]),
    ]


def batch_from_row(row: Sequence[Any]) -> BatchRecord:
    return BatchRecord(
        batch_id=row[0],
        kiosk_id=row[1],
        sequence=row[2],
        created_at=row[3],
        received_at=row[4],
        item_digests=tuple(json.loads(row[5])),
        refused=tuple(RefusedItem(entry["digest"], entry["code"]) for entry in json.loads(row[6])),
    )


def item_row(item: ItemRecord) -> tuple[Any, ...]:
    """An item as the columns ``reference … sealed`` hold it (both backends)."""
    return (
        item.reference,
        item.digest,
        item.batch_id,
        item.kiosk_id,
        item.form_id,
        item.form_version,
        item.form_hash,
        item.captured_at,
        item.received_at,
        item.sealed,
    )


def paper_item(
    reference: str, form_id: str, form_version: Any, form_hash: str, received_at: str
) -> ItemRecord:
    """An application handed in on paper as the town hall keeps it (both backends)."""
    return ItemRecord(
        reference=reference,
        digest=f"paper:{reference}",
        batch_id=PAPER_BATCH_ID,
        kiosk_id=PAPER_KIOSK_ID,
        form_id=form_id,
        form_version=form_version,
        form_hash=form_hash,
        captured_at=received_at,
        received_at=received_at,
        sealed=b"",
    )


def same_sync_since(at: str) -> str:
    """The earliest time a batch may have come for it to count in the same sync as one at ``at``."""
    return utc_timestamp(parse_timestamp(at) - dt.timedelta(seconds=SAME_SYNC_SECONDS))


def open_storage(townhall_dir: Path | str) -> "Storage":
    """The database every town-hall tool shares: ``<townhall_dir>/townhall.db``, or the
    PostgreSQL database the town hall's configuration names (``sync.server.database``), scoped
    to the configured town either way."""
    config = database_config(townhall_dir)
    if config.is_postgres:
        from sync.server.pg_storage import PostgresStorage

        return PostgresStorage(config.url, town=config.town)  # type: ignore[arg-type]
    return SqliteStorage(Path(townhall_dir) / DB_NAME, town=config.town)


def _item_from_row(row: Sequence[Any]) -> ItemRecord:
    return ItemRecord(
        reference=row[0],
        digest=row[1],
        batch_id=row[2],
        kiosk_id=row[3],
        form_id=row[4],
        form_version=row[5],
        form_hash=row[6],
        captured_at=row[7],
        received_at=row[8],
        sealed=bytes(row[9]),
        opened_at=row[10],
        exported_at=row[11],
        damaged=row[12],
    )
