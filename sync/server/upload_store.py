"""Half-finished uploads at the town hall: the chunks of a batch that has not fully arrived yet.

Kept apart from the batches (``uploads.db`` beside ``townhall.db``, or tables of their own in the
town hall's PostgreSQL database): nothing here is a batch yet,
nothing here is parsed, and the whole file may be deleted at any time without losing an
application (kiosks keep every batch until it is acknowledged and simply start its upload again).
Each chunk is one row, written in one transaction with ``synchronous=FULL``, so a chunk the server
answered with 204 survives a power cut, and a chunk cut off half-way was never written at all.

Bounds: a half-upload expires ``expiry_seconds`` after its last chunk; one kiosk holds at most
``max_per_kiosk`` of them (its oldest makes room for a new one: only the kiosk itself can open
uploads under its name, so this cannot push out another kiosk's); all together reserve at most
``max_total_bytes`` of declared length, counted when an upload is opened, before any byte arrives.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

from kiosk.errors import StoreError
from kiosk.private_file import create_private
from sync.envelope.uploads import UploadTicket
from sync.server.database import DEFAULT_TOWN, check_town_id, database_config, pool_for
from sync.server.schema import UPLOAD_STEPS, apply_postgres, apply_sqlite, pending_postgres

UPLOADS_DB_NAME = "uploads.db"
DEFAULT_EXPIRY_SECONDS = 48 * 3600
DEFAULT_MAX_PER_KIOSK = 4
DEFAULT_MAX_TOTAL_BYTES = 256 * 1024 * 1024
FINISHED_KEPT_SECONDS = 30 * 24 * 3600
"""How long the acknowledgement of a finished upload is kept to hand out again at once."""
_BUSY_TIMEOUT_MS = 10_000

def new_upload_id() -> str:
    """128 random bits in hex: the upload's name, and together with the kiosk id its credential."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class UploadRecord:
    upload_id: str
    kiosk_id: str
    batch_id: str
    batch_digest: str
    length: int
    offset: int
    touched_at: float
    expires_at: float


class OffsetMismatch(Exception):
    """The chunk does not start where the upload stands; ``offset`` is where it does."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"upload stands at {offset}")
        self.offset = offset


class UploadsFull(Exception):
    """All half-uploads together already reserve the most bytes the town hall keeps for them."""


class UploadGone(Exception):
    """No such upload (never opened, finished, discarded or expired)."""


class _Spool(Protocol):
    """Where the half-uploads are kept: one SQLite file, or the town hall's PostgreSQL database."""

    def transaction(self) -> contextlib.AbstractContextManager["_Cursor"]: ...

    def reading(self) -> contextlib.AbstractContextManager["_Cursor"]: ...

    def close(self) -> None: ...


class _Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def lock_uploads(self) -> None: ...

    for_update: str


class _SqliteCursor:
    """SQL written with ``?`` runs as it is; ``BEGIN IMMEDIATE`` already serialises writers."""

    for_update = ""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params)

    def lock_uploads(self) -> None:
        pass


class _SqliteSpool:
    """SQLite file of half-uploads; one connection shared by the server's threads, under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private(self.path)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            apply_sqlite(self._conn, UPLOAD_STEPS)
            self._conn.execute("PRAGMA foreign_keys=ON")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"The upload spool {self.path} cannot be opened.", detail=repr(exc)) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_SqliteCursor]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` under the lock; rolled back on any exception."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteCursor(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def reading(self) -> Iterator[_SqliteCursor]:
        with self._lock:
            yield _SqliteCursor(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


_UPLOADS_LOCK_KEY = 0x75706C64  # "upld": opening uploads is serialised by the database


class _PostgresCursor:
    """The same SQL on PostgreSQL (``?`` becomes ``%s``); rows that decide are locked."""

    for_update = " FOR UPDATE"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql.replace("?", "%s"), params)

    def lock_uploads(self) -> None:
        """Opening an upload weighs every half-upload (per kiosk, bytes reserved): one at a time,
        across all workers, by a transaction-scoped advisory lock."""
        self._conn.execute("SELECT pg_advisory_xact_lock(%s)", [_UPLOADS_LOCK_KEY])


class _PostgresSpool:
    """Half-uploads in the town hall's PostgreSQL database, from the process's pool."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            with self._pool.connection() as conn:
                if pending_postgres(conn, UPLOAD_STEPS):
                    apply_postgres(conn, UPLOAD_STEPS)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError("The upload spool in the database cannot be opened.", detail=repr(exc)) from exc

    @property
    def _pool(self) -> Any:
        return pool_for(self.url)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_PostgresCursor]:
        with self._pool.connection() as conn, conn.transaction():
            yield _PostgresCursor(conn)

    @contextlib.contextmanager
    def reading(self) -> Iterator[_PostgresCursor]:
        with self._pool.connection() as conn:
            yield _PostgresCursor(conn)

    def close(self) -> None:
        pass  # the pool is the process's, shared with the storage


class UploadStore:
    """Half-uploads of one town, in a SQLite file (``path``) or a PostgreSQL database (``url``).

    Every decision (is the chunk at the right offset, is there room for another upload) is taken
    inside one database transaction, so several server workers may serve the same upload."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        url: str | None = None,
        town: str = DEFAULT_TOWN,
        expiry_seconds: float = DEFAULT_EXPIRY_SECONDS,
        max_per_kiosk: int = DEFAULT_MAX_PER_KIOSK,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.town = check_town_id(town)
        self.expiry_seconds = expiry_seconds
        self.max_per_kiosk = max_per_kiosk
        self.max_total_bytes = max_total_bytes
        self._clock = clock
        if url is not None:
            self._spool: _Spool = _PostgresSpool(url)
        elif self.path is not None:
            self._spool = _SqliteSpool(self.path)
        else:
            raise ValueError("an upload store needs a file path or a database URL")

    # -- opening -------------------------------------------------------------------------------

    def open(self, ticket: UploadTicket) -> UploadRecord:
        """The upload for this verified ticket: the one already under way for the same batch and
        bytes (so a kiosk that lost its upload id resumes), else a fresh one at offset 0."""
        now = self._clock()
        with self._spool.transaction() as db:
            db.lock_uploads()
            self._purge(db, now)
            row = db.execute(
                "SELECT upload_id, batch_digest, length FROM uploads "
                "WHERE town = ? AND kiosk_id = ? AND batch_id = ?",
                [self.town, ticket.kiosk_id, ticket.batch_id],
            ).fetchone()
            if row is not None:
                if row[1] == ticket.batch_digest and row[2] == ticket.length:
                    db.execute("UPDATE uploads SET touched_at = ? WHERE upload_id = ?", [now, row[0]])
                    return self._find(db, row[0])  # type: ignore[return-value]
                db.execute("DELETE FROM uploads WHERE upload_id = ?", [row[0]])  # the kiosk's own, redone
            mine = db.execute(
                "SELECT upload_id FROM uploads WHERE town = ? AND kiosk_id = ? ORDER BY touched_at",
                [self.town, ticket.kiosk_id],
            ).fetchall()
            for (old,) in mine[: max(0, len(mine) - self.max_per_kiosk + 1)]:
                db.execute("DELETE FROM uploads WHERE upload_id = ?", [old])
            (reserved,) = db.execute(
                "SELECT COALESCE(SUM(length), 0) FROM uploads WHERE town = ?", [self.town]
            ).fetchone()
            if reserved + ticket.length > self.max_total_bytes:
                raise UploadsFull(f"{reserved} bytes reserved, {ticket.length} more asked for")
            upload_id = new_upload_id()
            db.execute(
                "INSERT INTO uploads (upload_id, town, kiosk_id, batch_id, batch_digest, length,"
                " upload_offset, created_at, touched_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                [upload_id, self.town, ticket.kiosk_id, ticket.batch_id, ticket.batch_digest,
                 ticket.length, now, now],
            )
            return self._find(db, upload_id)  # type: ignore[return-value]

    # -- reading -------------------------------------------------------------------------------

    def find(self, upload_id: str, kiosk_id: str) -> UploadRecord:
        """The live upload of this kiosk; ``UploadGone`` for anything else (another kiosk's id
        looks exactly like one that never existed). An expired one is discarded on the way."""
        now = self._clock()
        with self._spool.transaction() as db:
            record = self._find(db, upload_id)
            if record is not None and record.kiosk_id == kiosk_id and record.expires_at <= now:
                db.execute("DELETE FROM uploads WHERE upload_id = ?", [upload_id])
                record = None
        if record is None or record.kiosk_id != kiosk_id:
            raise UploadGone(upload_id)
        return record

    def assemble(self, record: UploadRecord, last_chunk: bytes) -> bytes:
        """Every stored chunk in order, then ``last_chunk``: the whole batch, for checking.

        Read in one transaction with the upload's row, so a copy of the last chunk racing another
        (a kiosk retrying while its first attempt is still being taken in, perhaps by another
        worker) never assembles from chunks already let go: ``UploadGone`` when the upload was
        finished or discarded meanwhile, ``OffsetMismatch`` when it stands elsewhere."""
        with self._spool.transaction() as db:
            row = db.execute(
                "SELECT upload_offset FROM uploads WHERE upload_id = ? AND town = ?" + db.for_update,
                [record.upload_id, self.town],
            ).fetchone()
            if row is None:
                raise UploadGone(record.upload_id)
            if row[0] != record.offset:
                raise OffsetMismatch(int(row[0]))
            rows = db.execute(
                "SELECT data FROM upload_chunks WHERE upload_id = ? ORDER BY start", [record.upload_id]
            ).fetchall()
        return b"".join(bytes(row[0]) for row in rows) + last_chunk

    # -- writing -------------------------------------------------------------------------------

    def append(self, record: UploadRecord, offset: int, chunk: bytes) -> int:
        """Store one whole chunk at ``offset``; returns the new offset. ``OffsetMismatch`` when the
        upload stands elsewhere (a chunk that arrived twice is not stored twice)."""
        now = self._clock()
        with self._spool.transaction() as db:
            row = db.execute(
                "SELECT upload_offset FROM uploads WHERE upload_id = ? AND town = ?" + db.for_update,
                [record.upload_id, self.town],
            ).fetchone()
            if row is None:
                raise UploadGone(record.upload_id)
            if row[0] != offset:
                raise OffsetMismatch(int(row[0]))
            db.execute(
                "INSERT INTO upload_chunks (upload_id, start, data) VALUES (?, ?, ?)",
                [record.upload_id, offset, chunk],
            )
            db.execute(
                "UPDATE uploads SET upload_offset = ?, touched_at = ? WHERE upload_id = ?",
                [offset + len(chunk), now, record.upload_id],
            )
            return offset + len(chunk)

    def finish(self, record: UploadRecord, ack: bytes) -> None:
        """The upload was taken in: forget its chunks, keep its acknowledgement for a while, so a
        kiosk that missed the answer gets it again for a ticket instead of sending the batch again."""
        with self._spool.transaction() as db:
            db.execute("DELETE FROM uploads WHERE upload_id = ?", [record.upload_id])
            db.execute(
                "INSERT INTO finished_uploads (town, kiosk_id, batch_id, batch_digest, ack, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (town, kiosk_id, batch_id) DO UPDATE SET"
                " batch_digest = excluded.batch_digest, ack = excluded.ack, finished_at = excluded.finished_at",
                [self.town, record.kiosk_id, record.batch_id, record.batch_digest, ack, self._clock()],
            )

    def finished_ack(self, ticket: UploadTicket | UploadRecord) -> bytes | None:
        """The acknowledgement of this very batch (same kiosk, id and digest), if it was taken in."""
        with self._spool.reading() as db:
            row = db.execute(
                "SELECT ack FROM finished_uploads "
                "WHERE town = ? AND kiosk_id = ? AND batch_id = ? AND batch_digest = ?",
                [self.town, ticket.kiosk_id, ticket.batch_id, ticket.batch_digest],
            ).fetchone()
        return None if row is None else bytes(row[0])

    def discard(self, upload_id: str) -> None:
        """Forget an upload and its chunks (finished, refused, or replaced)."""
        with self._spool.transaction() as db:
            db.execute("DELETE FROM uploads WHERE upload_id = ? AND town = ?", [upload_id, self.town])

    def purge_expired(self) -> int:
        """Delete every expired half-upload; returns how many."""
        with self._spool.transaction() as db:
            return self._purge(db, self._clock())

    def usage(self) -> tuple[int, int]:
        """(half-uploads held, bytes of chunks stored) for tests and the operator."""
        with self._spool.reading() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM uploads WHERE town = ?", [self.town]).fetchone()
            (stored,) = db.execute(
                "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM upload_chunks "
                "WHERE upload_id IN (SELECT upload_id FROM uploads WHERE town = ?)",
                [self.town],
            ).fetchone()
        return int(count), int(stored)

    def close(self) -> None:
        self._spool.close()

    # -- inside -------------------------------------------------------------------------------

    def _purge(self, db: _Cursor, now: float) -> int:
        db.execute(
            "DELETE FROM finished_uploads WHERE town = ? AND finished_at <= ?",
            [self.town, now - FINISHED_KEPT_SECONDS],
        )
        return db.execute(
            "DELETE FROM uploads WHERE town = ? AND touched_at <= ?", [self.town, now - self.expiry_seconds]
        ).rowcount

    def _find(self, db: _Cursor, upload_id: str) -> UploadRecord | None:
        row = db.execute(
            "SELECT upload_id, kiosk_id, batch_id, batch_digest, length, upload_offset, touched_at"
            " FROM uploads WHERE upload_id = ? AND town = ?",
            [upload_id, self.town],
        ).fetchone()
        if row is None:
            return None
        return UploadRecord(
            upload_id=row[0],
            kiosk_id=row[1],
            batch_id=row[2],
            batch_digest=row[3],
            length=int(row[4]),
            offset=int(row[5]),
            touched_at=float(row[6]),
            expires_at=float(row[6]) + self.expiry_seconds,
        )


def open_upload_store(townhall_dir: Path, **options: object) -> UploadStore:
    """The half-upload spool of a town hall: ``<dir>/uploads.db``, or the PostgreSQL database
    its configuration names (``sync.server.database``), scoped to its town."""
    config = database_config(townhall_dir)
    if config.is_postgres:
        return UploadStore(url=config.url, town=config.town, **options)  # type: ignore[arg-type]
    return UploadStore(Path(townhall_dir) / UPLOADS_DB_NAME, town=config.town, **options)  # type: ignore[arg-type]
