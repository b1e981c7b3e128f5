"""Opening the kiosk's SQLite file so that a power cut never leaves half a submission behind.

Write-ahead log with ``synchronous=FULL``: a transaction the store reported as done survives a
power cut, one that was not finished disappears completely. ``secure_delete`` overwrites the sealed
bytes of acknowledged submissions instead of leaving them in free pages. One connection per store,
shared by the screen and the sync worker threads behind a lock, with every write transaction taken
``BEGIN IMMEDIATE`` so two processes never interleave half-done writes.

A file damaged by a failing SD card or disk is found when it is opened (``PRAGMA quick_check``,
bounded in time so a large healthy queue never holds up the start) rather than at the citizen's
"Send"; the message names ``rathaus recover``, which saves every application still readable
(``kiosk.store.recovery``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from kiosk.errors import StoreCorruptError, StoreError, StoreFullError
from kiosk.private_file import create_private
from kiosk.i18n import language_from_environment, translator

BUSY_TIMEOUT_MS = 5000
# A kiosk computer checks a queue of 100,000 items in well under this; a slower check is cut off
# and the kiosk starts anyway (SQLite still refuses damaged pages when they are read).
INTEGRITY_CHECK_SECONDS = 5.0
RECOVER_COMMAND = "rathaus recover"
_CLOCK_EVERY = 10_000  # SQLite steps between two looks at the clock during the check

log = logging.getLogger(__name__)


def connect(path: Path, *, check: bool = True) -> sqlite_utils.Database:
    """Open (or create) the database file with the pragmas the queue relies on.

    ``check`` runs the bounded integrity check first and refuses a damaged file with
    ``StoreCorruptError``; only the recovery, which reads a damaged file on purpose, turns it off.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _folder_error(path, exc) from exc
    try:
        create_private(path)
    except OSError as exc:
        raise StoreError(
            _cannot_create(path), detail=repr(exc)
        ) from exc
    try:
        conn = sqlite3.connect(
            str(path),
            isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
            check_same_thread=False,  # guarded by the store's lock instead
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
    except sqlite3.Error as exc:
        raise store_error(exc, path) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"journal_mode stayed {mode}")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
        if check:
            check_integrity(conn, path)
        return sqlite_utils.Database(conn, execute_plugins=False)
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(exc, path) from exc
    except BaseException:
        conn.close()
        raise


def check_integrity(conn: sqlite3.Connection, path: Path, *, time_limit: float | None = None) -> bool:
    """Refuse a damaged database file with ``StoreCorruptError`` naming the recovery command.

    ``PRAGMA quick_check`` reads every page and checks the b-trees, but not that indexes match
    their tables (which ``integrity_check`` adds at many times the cost). A check that runs out
    of ``time_limit`` is stopped and logged, and ``False`` returned: the kiosk starts anyway.
    """
    limit = INTEGRITY_CHECK_SECONDS if time_limit is None else time_limit
    deadline = time.monotonic() + limit
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), _CLOCK_EVERY)
    try:
        findings = [str(row[0]) for row in conn.execute("PRAGMA quick_check(10)").fetchall()]
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc).lower():
            raise
        log.warning("integrity check of %s stopped after %.1f s; starting unchecked", path, limit)
        return False
    finally:
        conn.set_progress_handler(None, 0)
    if findings != ["ok"]:
        raise corrupt_error(path, detail="quick_check: " + "; ".join(findings)[:500])
    return True


def corrupt_error(path: Path, detail: str) -> StoreCorruptError:
    """What staff read on the kiosk's screen when its database is damaged."""
    _ = translator(language_from_environment())
    return StoreCorruptError(
        _(
            "The kiosk database {path} is damaged, so the kiosk cannot start. "
            "Please do not delete it: it may hold applications that have not been sent. "
            "Staff: stop the kiosk (systemctl stop rathaus-kiosk) and run '{command}'; "
            "it moves every application that can still be read into a fresh database "
            "(see deploy/kiosk/README.md)."
        ).format(path=path, command=RECOVER_COMMAND),
        detail=detail,
    )


class Transactions:
    """Serialises use of one connection across threads; turns SQLite errors into plain ones."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self.db = db
        self.path = path
        self._lock = threading.RLock()
        self._closed = False

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction: all of it is stored, or none of it."""
        with self._lock:
            self._check_open()
            conn = self.db.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise store_error(exc, self.path) from exc
            try:
                yield self.db
            except sqlite3.Error as exc:
                self._rollback()
                raise store_error(exc, self.path) from exc
            except BaseException:
                self._rollback()
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise store_error(exc, self.path) from exc

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """Queries outside a write transaction (each sees a consistent snapshot)."""
        with self._lock:
            self._check_open()
            try:
                yield self.db
            except sqlite3.Error as exc:
                raise store_error(exc, self.path) from exc

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file and empty it (best effort; readers may block it)."""
        with self._lock:
            if self._closed:
                return
            try:
                self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as exc:
                log.info("checkpoint of %s postponed: %s", self.path, exc)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self.db.conn.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def _rollback(self) -> None:
        try:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
        except sqlite3.Error as exc:  # the connection is gone; SQLite rolls back on reopen
            log.warning("rollback in %s failed: %s", self.path, exc)

    def _check_open(self) -> None:
        if self._closed:
            _ = translator(language_from_environment())
            raise StoreError(
                _("The kiosk's storage has already been closed."), detail=str(self.path)
            )


def store_error(exc: sqlite3.Error, path: Path) -> StoreError:
    """Plain words for what went wrong with the database file; the SQLite text goes to ``detail``."""
    _ = translator(language_from_environment())
    text = str(exc).lower()
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in text:
        # SQLite rolled the transaction back: what was stored before is untouched.
        return StoreFullError(
            _(
                "The kiosk's disk is full ({path}), so nothing new can be saved; everything saved "
                "before is safe. Please free some space (see deploy/kiosk/README.md)."
            ).format(path=path),
            citizen_message=_(
                "The kiosk's storage is full, so your application could not be saved. "
                "Your answers are still here. Please tell the staff; "
                "applications saved before are safe."
            ),
            detail=f"{type(exc).__name__}: {exc}",
        )
    if "not a database" in text:  # not even SQLite's header is there: nothing left to recover
        return StoreCorruptError(
            _(
                "The file {path} is not a kiosk database or it is damaged. "
                "Please do not delete it: it may still hold applications that have not been sent. "
                "Staff: see '{command}' in deploy/kiosk/README.md."
            ).format(path=path, command=RECOVER_COMMAND),
            detail=f"{type(exc).__name__}: {exc}",
        )
    if "malformed" in text or "corrupt" in text:
        return corrupt_error(path, detail=f"{type(exc).__name__}: {exc}")
    if "locked" in text or "busy" in text:
        message = _(
            "The kiosk database {path} is being used by another program. "
            "Please close the other kiosk program and try again."
        )
    elif "readonly" in text or "read-only" in text:
        message = _("The kiosk database {path} cannot be written. Please check its permissions.")
    elif "unable to open" in text or "disk i/o" in text:
        message = _(
            "The kiosk database {path} cannot be opened. "
            "Please check that the folder exists and the disk is not full or removed."
        )
    else:
        message = _("The kiosk database {path} could not be read or written.")
    return StoreError(message.format(path=path), detail=f"{type(exc).__name__}: {exc}")


def _cannot_create(path: Path) -> str:
    _ = translator(language_from_environment())
    return _("The kiosk database {path} cannot be opened. Please check that the folder exists and the disk is not full or removed.").format(path=path)


def _folder_error(path: Path, exc: OSError) -> StoreError:
    _ = translator(language_from_environment())
    return StoreError(
        _("The folder {folder} for the kiosk database cannot be created.").format(
            folder=path.parent
        ),
        detail=repr(exc),
    )
