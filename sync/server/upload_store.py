"""Half-finished uploads at the town hall: the chunks of a batch that has not fully arrived yet.

Kept apart from the batches (``uploads.db`` beside ``townhall.db``): nothing here is a batch yet,
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

import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kiosk.errors import StoreError
from kiosk.private_file import create_private
from sync.envelope.uploads import UploadTicket

UPLOADS_DB_NAME = "uploads.db"
DEFAULT_EXPIRY_SECONDS = 48 * 3600
DEFAULT_MAX_PER_KIOSK = 4
DEFAULT_MAX_TOTAL_BYTES = 256 * 1024 * 1024
FINISHED_KEPT_SECONDS = 30 * 24 * 3600
"""How long the acknowledgement of a finished upload is kept to hand out again at once."""
_BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    upload_id    TEXT PRIMARY KEY,
    kiosk_id     TEXT NOT NULL,
    batch_id     TEXT NOT NULL,
    batch_digest TEXT NOT NULL,
    length       INTEGER NOT NULL,
    upload_offset INTEGER NOT NULL DEFAULT 0,
    created_at   REAL NOT NULL,
    touched_at   REAL NOT NULL,
    UNIQUE (kiosk_id, batch_id)
);
CREATE TABLE IF NOT EXISTS finished_uploads (
    kiosk_id     TEXT NOT NULL,
    batch_id     TEXT NOT NULL,
    batch_digest TEXT NOT NULL,
    ack          BLOB NOT NULL,
    finished_at  REAL NOT NULL,
    PRIMARY KEY (kiosk_id, batch_id)
);
CREATE TABLE IF NOT EXISTS upload_chunks (
    upload_id TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,
    start     INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (upload_id, start)
);
"""


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


class UploadStore:
    """SQLite file of half-uploads; one connection shared by the server's threads, under a lock."""

    def __init__(
        self,
        path: Path,
        *,
        expiry_seconds: float = DEFAULT_EXPIRY_SECONDS,
        max_per_kiosk: int = DEFAULT_MAX_PER_KIOSK,
        max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.expiry_seconds = expiry_seconds
        self.max_per_kiosk = max_per_kiosk
        self.max_total_bytes = max_total_bytes
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private(self.path)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"The upload spool {self.path} cannot be opened.", detail=repr(exc)) from exc

    # -- opening -------------------------------------------------------------------------------

    def open(self, ticket: UploadTicket) -> UploadRecord:
        """The upload for this verified ticket: the one already under way for the same batch and
        bytes (so a kiosk that lost its upload id resumes), else a fresh one at offset 0."""
        now = self._clock()
        with self._transaction() as db:
            self._purge(db, now)
            row = db.execute(
                "SELECT upload_id, batch_digest, length FROM uploads WHERE kiosk_id = ? AND batch_id = ?",
                [ticket.kiosk_id, ticket.batch_id],
            ).fetchone()
            if row is not None:
                if row[1] == ticket.batch_digest and row[2] == ticket.length:
                    db.execute("UPDATE uploads SET touched_at = ? WHERE upload_id = ?", [now, row[0]])
                    return self._find(db, row[0])  # type: ignore[return-value]
                db.execute("DELETE FROM uploads WHERE upload_id = ?", [row[0]])  # the kiosk's own, redone
            mine = db.execute(
                "SELECT upload_id FROM uploads WHERE kiosk_id = ? ORDER BY touched_at",
                [ticket.kiosk_id],
            ).fetchall()
            for (old,) in mine[: max(0, len(mine) - self.max_per_kiosk + 1)]:
                db.execute("DELETE FROM uploads WHERE upload_id = ?", [old])
            (reserved,) = db.execute("SELECT COALESCE(SUM(length), 0) FROM uploads").fetchone()
            if reserved + ticket.length > self.max_total_bytes:
                raise UploadsFull(f"{reserved} bytes reserved, {ticket.length} more asked for")
            upload_id = new_upload_id()
            db.execute(
                "INSERT INTO uploads (upload_id, kiosk_id, batch_id, batch_digest, length,"
                " upload_offset, created_at, touched_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                [upload_id, ticket.kiosk_id, ticket.batch_id, ticket.batch_digest, ticket.length, now, now],
            )
            return self._find(db, upload_id)  # type: ignore[return-value]

    # -- reading -------------------------------------------------------------------------------

    def find(self, upload_id: str, kiosk_id: str) -> UploadRecord:
        """The live upload of this kiosk; ``UploadGone`` for anything else (another kiosk's id
        looks exactly like one that never existed). An expired one is discarded on the way."""
        now = self._clock()
        with self._transaction() as db:
            record = self._find(db, upload_id)
            if record is not None and record.kiosk_id == kiosk_id and record.expires_at <= now:
                db.execute("DELETE FROM uploads WHERE upload_id = ?", [upload_id])
                record = None
        if record is None or record.kiosk_id != kiosk_id:
            raise UploadGone(upload_id)
        return record

    def assemble(self, record: UploadRecord, last_chunk: bytes) -> bytes:
        """Every stored chunk in order, then ``last_chunk``: the whole batch, for checking."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT data FROM upload_chunks WHERE upload_id = ? ORDER BY start", [record.upload_id]
            ).fetchall()
        return b"".join(bytes(row[0]) for row in rows) + last_chunk

    # -- writing -------------------------------------------------------------------------------

    def append(self, record: UploadRecord, offset: int, chunk: bytes) -> int:
        """Store one whole chunk at ``offset``; returns the new offset. ``OffsetMismatch`` when the
        upload stands elsewhere (a chunk that arrived twice is not stored twice)."""
        now = self._clock()
        with self._transaction() as db:
            row = db.execute(
                "SELECT upload_offset FROM uploads WHERE upload_id = ?", [record.upload_id]
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
        with self._transaction() as db:
            db.execute("DELETE FROM uploads WHERE upload_id = ?", [record.upload_id])
            db.execute(
                "INSERT OR REPLACE INTO finished_uploads (kiosk_id, batch_id, batch_digest, ack, finished_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [record.kiosk_id, record.batch_id, record.batch_digest, ack, self._clock()],
            )

    def finished_ack(self, ticket: UploadTicket) -> bytes | None:
        """The acknowledgement of this very batch (same kiosk, id and digest), if it was taken in."""
        with self._lock:
            row = self._conn.execute(
                "SELECT ack FROM finished_uploads WHERE kiosk_id = ? AND batch_id = ? AND batch_digest = ?",
                [ticket.kiosk_id, ticket.batch_id, ticket.batch_digest],
            ).fetchone()
        return None if row is None else bytes(row[0])

    def discard(self, upload_id: str) -> None:
        """Forget an upload and its chunks (finished, refused, or replaced)."""
        with self._transaction() as db:
            db.execute("DELETE FROM uploads WHERE upload_id = ?", [upload_id])

    def purge_expired(self) -> int:
        """Delete every expired half-upload; returns how many."""
        with self._transaction() as db:
            return self._purge(db, self._clock())

    def usage(self) -> tuple[int, int]:
        """(half-uploads held, bytes of chunks stored) for tests and the operator."""
        with self._lock:
            (count,) = self._conn.execute("SELECT COUNT(*) FROM uploads").fetchone()
            (stored,) = self._conn.execute(
                "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM upload_chunks"
            ).fetchone()
        return int(count), int(stored)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- inside -------------------------------------------------------------------------------

    def _purge(self, db: sqlite3.Connection, now: float) -> int:
        db.execute("DELETE FROM finished_uploads WHERE finished_at <= ?", [now - FINISHED_KEPT_SECONDS])
        return db.execute(
            "DELETE FROM uploads WHERE touched_at <= ?", [now - self.expiry_seconds]
        ).rowcount

    def _find(self, db: sqlite3.Connection, upload_id: str) -> UploadRecord | None:
        row = db.execute(
            "SELECT upload_id, kiosk_id, batch_id, batch_digest, length, upload_offset, touched_at"
            " FROM uploads WHERE upload_id = ?",
            [upload_id],
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

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._conn, self._lock)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` under the store's lock; rolled back on any exception."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self._conn = conn
        self._lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return self._conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                self._conn.execute("COMMIT")
            else:
                self._conn.execute("ROLLBACK")
        finally:
            self._lock.release()


def open_upload_store(townhall_dir: Path, **options: object) -> UploadStore:
    """The half-upload spool of a town-hall data directory (``<dir>/uploads.db``)."""
    return UploadStore(Path(townhall_dir) / UPLOADS_DB_NAME, **options)  # type: ignore[arg-type]
