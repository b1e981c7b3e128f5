"""``Storage`` in PostgreSQL: many towns in one database, served by several server workers at once.

The same behaviour as ``SqliteStorage``, but nothing here relies on a lock in this process: any
number of worker processes may store, read and answer at the same moment. What SQLite gets from
its single writer, this gets from the database's constraints and transactions:

- a batch is stored once because its row goes in first with ``INSERT … ON CONFLICT DO NOTHING``
  on the primary key ``(town, batch_id)``; the transaction that loses the race waits for the
  winner's commit, inserts nothing and answers ``None`` (the intake then acknowledges the stored one);
- an item is stored once by ``ON CONFLICT`` on ``(town, kiosk_id, reference)``; a different item
  under a code already held is refused by name, exactly as in SQLite; items go in ordered by key,
  so two batches sharing items cannot deadlock each other;
- a staff answer takes a transaction-scoped advisory lock, so serials are committed in the order
  they are drawn and a kiosk reading "everything after serial N" never skips one.

Every query is scoped to the storage's town (``town`` on every row); a storage of one town can
neither see nor touch another town's records. Connections come from the process's pool
(``sync.server.database.pool_for``), shared with the upload spool and the list of enrolled kiosks.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from kiosk.errors import StoreError
from sync.envelope.acks import REFERENCE_CONFLICT, RefusedItem
from sync.envelope.limits import MAX_STATUS_UPDATES
from sync.envelope.status import StatusUpdate
from sync.server.database import DEFAULT_TOWN, check_town_id, pool_for, redacted
from sync.server.schema import TOWNHALL_STEPS, apply_postgres, pending_postgres
from sync.server.storage import (
    PAPER_BATCH_ID,
    PAPER_KIOSK_ID,
    AmbiguousReference,
    BatchRecord,
    ItemKey,
    ItemRecord,
    KioskContact,
    StatusRecord,
    StorageCounts,
    batch_from_row,
    batch_row,
    item_row,
    paper_item,
    same_sync_since,
)

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

_ITEM_COLUMNS = (
    "reference, digest, batch_id, kiosk_id, form_id, form_version, form_hash, captured_at, "
    "received_at, sealed, opened_at, exported_at, damaged"
)
_STATUS_COLUMNS = "serial, reference, kiosk_id, status, message, updated_at, staff_note"
_STATUS_LOCK_KEY = 0x73746174  # "stat": staff answers get their serials one at a time


_current: set[str] = set()
_current_lock = threading.Lock()


def ensure_schema(url: str) -> "ConnectionPool":
    """The pool for ``url``, its town-hall schema brought up to date (checked once per process).

    Only the steps not yet run are run, so a role that may not change the schema (the server's,
    ``deploy/server/roles.sql``) opens a database the administrators have migrated."""
    pool = pool_for(url)
    with _current_lock:
        if url in _current:
            return pool
        try:
            with pool.connection() as conn:
                if pending_postgres(conn, TOWNHALL_STEPS):
                    apply_postgres(conn, TOWNHALL_STEPS)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(
                f"The town-hall database {redacted(url)} cannot be opened.", detail=f"{type(exc).__name__}: {exc}"
            ) from exc
        _current.add(url)
    return pool


class PostgresStorage:
    """``Storage`` of one town in a PostgreSQL database shared with other towns and workers."""

    def __init__(self, url: str, *, town: str = DEFAULT_TOWN) -> None:
        self.url = url
        self.town = check_town_id(town)
        ensure_schema(url)

    @property
    def _pool(self) -> "ConnectionPool":
        """The process's pool for this URL, looked up each time: it outlives no ``close_pools``."""
        return pool_for(self.url)

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    # -- batches -------------------------------------------------------------------------------

    def find_batch(self, batch_id: str) -> BatchRecord | None:
        rows = self._rows(
            "SELECT batch_id, kiosk_id, sequence, created_at, received_at, item_digests, refused "
            "FROM batches WHERE town = %s AND batch_id = %s",
            [self.town, batch_id],
        )
        return batch_from_row(rows[0]) if rows else None

    def store_batch(self, batch: BatchRecord, items: Sequence[ItemRecord]) -> BatchRecord | None:
        with self._pool.connection() as conn, conn.transaction():
            claimed = conn.execute(
                "INSERT INTO batches (town, batch_id, kiosk_id, sequence, created_at, received_at, "
                "item_count, item_digests, refused) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (town, batch_id) DO NOTHING RETURNING batch_id",
                [self.town, *batch_row(replace(batch, refused=()))],
            ).fetchone()
            if claimed is None:
                return None  # stored by another request meanwhile (or before)
            held: dict[ItemKey, str] = {}
            for item in sorted(items, key=lambda i: (i.kiosk_id, i.reference)):
                key = (item.kiosk_id, item.reference)
                if key in held:
                    continue
                row = conn.execute(
                    "INSERT INTO items (town, reference, digest, batch_id, kiosk_id, form_id, "
                    "form_version, form_hash, captured_at, received_at, sealed) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING digest",
                    [self.town, *_pg_item_row(item)],
                ).fetchone()
                if row is None:
                    row = conn.execute(
                        "SELECT digest FROM items WHERE town = %s AND kiosk_id = %s AND reference = %s",
                        [self.town, *key],
                    ).fetchone()
                    if row is None:  # the conflict was on the digest alone: held under another code
                        row = (item.digest,)
                held[key] = row[0]
            # Never stored over the first (staff may have opened it), never dropped in silence:
            # a different item under a held code is refused by name, so its kiosk keeps it.
            refused = tuple(
                RefusedItem(item.digest, REFERENCE_CONFLICT)
                for item in items
                if held[(item.kiosk_id, item.reference)] != item.digest
            )
            stored = replace(batch, refused=batch.refused + refused)  # the caller's refusals first
            if stored.refused:
                conn.execute(
                    "UPDATE batches SET refused = %s WHERE town = %s AND batch_id = %s",
                    [batch_row(stored)[7], self.town, batch.batch_id],
                )
        return stored

    def counts(self) -> StorageCounts:
        (row,) = self._rows(
            "SELECT (SELECT count(*) FROM batches WHERE town = %(town)s AND batch_id != %(paper)s), "
            "(SELECT count(*) FROM items WHERE town = %(town)s), "
            "(SELECT count(*) FROM status_updates WHERE town = %(town)s), "
            "(SELECT coalesce(sum(json_array_length(refused::json)), 0) FROM batches WHERE town = %(town)s)",
            {"town": self.town, "paper": PAPER_BATCH_ID},  # type: ignore[arg-type]
        )
        batches, items, updates, refused = (int(value) for value in row)
        return StorageCounts(batches=batches, items=items, status_updates=updates, refused=refused)

    # -- items ---------------------------------------------------------------------------------

    def items(self, *, form_id: str | None = None, unopened_only: bool = False) -> list[ItemRecord]:
        clauses, params = ["town = %s"], [self.town]
        if form_id is not None:
            clauses.append("form_id = %s")
            params.append(form_id)
        if unopened_only:
            clauses.append("opened_at IS NULL")
        rows = self._rows(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE {' AND '.join(clauses)} ORDER BY received_at, rowid",
            params,
        )
        return [_item_from_row(row) for row in rows]

    def item(self, reference: str, kiosk_id: str | None = None) -> ItemRecord | None:
        found = self.items_with_reference(reference)
        if kiosk_id is not None:
            found = [item for item in found if item.kiosk_id == kiosk_id]
        return found[0] if found else None

    def items_with_reference(self, reference: str) -> list[ItemRecord]:
        rows = self._rows(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE town = %s AND reference = %s ORDER BY received_at, rowid",
            [self.town, reference],
        )
        return [_item_from_row(row) for row in rows]

    def mark_opened(self, keys: Iterable[ItemKey], at: str) -> None:
        with self._pool.connection() as conn, conn.transaction():
            for kiosk_id, reference in keys:
                conn.execute(
                    "UPDATE items SET opened_at = %s "
                    "WHERE town = %s AND kiosk_id = %s AND reference = %s AND opened_at IS NULL",
                    [at, self.town, kiosk_id, reference],
                )

    def mark_exported(self, keys: Iterable[ItemKey], at: str) -> None:
        with self._pool.connection() as conn, conn.transaction():
            for kiosk_id, reference in keys:
                conn.execute(
                    "UPDATE items SET exported_at = %s WHERE town = %s AND kiosk_id = %s AND reference = %s",
                    [at, self.town, kiosk_id, reference],
                )

    def mark_damaged(self, key: ItemKey, reason: str | None, at: str) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "UPDATE items SET damaged = %s WHERE town = %s AND kiosk_id = %s AND reference = %s",
                [reason, self.town, key[0], key[1]],
            )

    def record_paper_item(
        self, reference: str, form_id: str, form_version: Any, form_hash: str, received_at: str
    ) -> ItemRecord:
        item = paper_item(reference, form_id, form_version, form_hash, received_at)
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO batches (town, batch_id, kiosk_id, sequence, created_at, received_at, "
                "item_count, item_digests) VALUES (%s, %s, %s, 0, '', '', 0, '[]') "
                "ON CONFLICT (town, batch_id) DO NOTHING",
                [self.town, PAPER_BATCH_ID, PAPER_KIOSK_ID],
            )
            stored = conn.execute(
                "INSERT INTO items (town, reference, digest, batch_id, kiosk_id, form_id, "
                "form_version, form_hash, captured_at, received_at, sealed) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING RETURNING reference",
                [self.town, *_pg_item_row(item)],
            ).fetchone()
        if stored is None:
            raise KeyError(reference)
        return item

    # -- kiosks --------------------------------------------------------------------------------

    def record_kiosk_contact(
        self, kiosk_id: str, at: str, kind: str, *, batch_items: int | None = None
    ) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO kiosk_contacts (town, kiosk_id, last_seen_at, last_kind) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (town, kiosk_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, "
                "last_kind = excluded.last_kind WHERE excluded.last_seen_at >= kiosk_contacts.last_seen_at",
                [self.town, kiosk_id, at, kind],
            )
            if batch_items is not None:
                # Batches within a few minutes of each other came in one sync (a long queue goes
                # up in several): together they are what the kiosk had waiting. The row is locked
                # by the upsert above, so two workers' batches add up rather than overwrite.
                conn.execute(
                    "UPDATE kiosk_contacts SET last_batch_items = CASE WHEN last_batch_at >= %s "
                    "THEN last_batch_items + %s ELSE %s END, last_batch_at = %s "
                    "WHERE town = %s AND kiosk_id = %s AND (last_batch_at IS NULL OR last_batch_at <= %s)",
                    [same_sync_since(at), batch_items, batch_items, at, self.town, kiosk_id, at],
                )

    def kiosk_contacts(self) -> dict[str, KioskContact]:
        rows = self._rows(
            "SELECT kiosk_id, last_seen_at, last_kind, last_batch_at, last_batch_items "
            "FROM kiosk_contacts WHERE town = %s ORDER BY kiosk_id",
            [self.town],
        )
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
        with self._pool.connection() as conn, conn.transaction():
            kiosks = [
                row[0]
                for row in conn.execute(
                    "SELECT kiosk_id FROM items WHERE town = %s AND reference = %s", [self.town, reference]
                ).fetchall()
                if kiosk_id is None or row[0] == kiosk_id
            ]
            if not kiosks:
                raise KeyError(reference)
            if len(kiosks) > 1:
                raise AmbiguousReference(reference, kiosks)
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [_STATUS_LOCK_KEY])
            (serial,) = conn.execute(
                "INSERT INTO status_updates (town, reference, kiosk_id, status, message, updated_at, "
                "staff_note) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING serial",
                [self.town, reference, kiosks[0], status, message, updated_at, staff_note],
            ).fetchone()
        return StatusRecord(
            serial=int(serial),
            reference=reference,
            kiosk_id=kiosks[0],
            status=status,
            message=message,
            updated_at=updated_at,
            staff_note=staff_note,
        )

    def current_statuses(self) -> dict[ItemKey, StatusRecord]:
        rows = self._rows(
            f"SELECT DISTINCT ON (kiosk_id, reference) {_STATUS_COLUMNS} FROM status_updates "
            "WHERE town = %s ORDER BY kiosk_id, reference, serial DESC",
            [self.town],
        )
        records = [_status_from_row(row) for row in rows]
        return {(record.kiosk_id, record.reference): record for record in records}

    def status_history(self, reference: str, kiosk_id: str | None = None) -> list[StatusRecord]:
        item = self.item(reference, kiosk_id)
        if item is None:
            return []
        rows = self._rows(
            f"SELECT {_STATUS_COLUMNS} FROM status_updates "
            "WHERE town = %s AND kiosk_id = %s AND reference = %s ORDER BY serial",
            [self.town, item.kiosk_id, reference],
        )
        return [_status_from_row(row) for row in rows]

    def status_updates_for_kiosk(
        self, kiosk_id: str, *, since_serial: int = 0, limit: int = MAX_STATUS_UPDATES
    ) -> list[StatusUpdate]:
        rows = self._rows(
            "SELECT reference, status, message, updated_at, serial FROM status_updates "
            "WHERE town = %s AND kiosk_id = %s AND serial > %s ORDER BY serial LIMIT %s",
            [self.town, kiosk_id, since_serial, limit],
        )
        return [StatusUpdate(row[0], row[1], row[2], row[3], int(row[4])) for row in rows]

    # -- lifetime ------------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise ``StoreError`` unless the database answers (the readiness check)."""
        try:
            with self._pool.connection(timeout=5.0) as conn:
                conn.execute("SELECT 1").fetchone()
        except Exception as exc:
            raise StoreError("The town-hall database does not answer.", detail=f"{type(exc).__name__}") from exc

    def close(self) -> None:
        """Nothing to release: the pool is the process's (closed at exit), shared by every town."""

    def __enter__(self) -> "PostgresStorage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pg_item_row(item: ItemRecord) -> tuple[Any, ...]:
    row = list(item_row(item))
    row[5] = json.dumps(item.form_version)  # SQLite keeps the value's own type; here JSON text
    return tuple(row)


def _item_from_row(row: Sequence[Any]) -> ItemRecord:
    return ItemRecord(
        reference=row[0],
        digest=row[1],
        batch_id=row[2],
        kiosk_id=row[3],
        form_id=row[4],
        form_version=None if row[5] is None else json.loads(row[5]),
        form_hash=row[6],
        captured_at=row[7],
        received_at=row[8],
        sealed=bytes(row[9]),
        opened_at=row[10],
        exported_at=row[11],
        damaged=row[12],
    )


def _status_from_row(row: Sequence[Any]) -> StatusRecord:
    return StatusRecord(int(row[0]), *row[1:])
