"""The town hall's appointment tables and the one class that reads and writes them.

The rule that no capacity unit is ever held twice is the database's, not the program's:
``calendar_units`` has one row per unit that is *not* free, keyed by ``(slot_id, unit)``; a row is
either a kiosk's quota (``holder`` = kiosk id, maybe already booked there) or a booking the town
hall made (``holder`` = ``townhall``). A counter booking is an INSERT, so a unit held by a kiosk or
booked by anyone else makes it fail; a cancellation is a DELETE, which frees the unit.

The SQL is plain (no SQLite-only syntax), written with ``?`` placeholders; a PostgreSQL connection
(``paramstyle`` ``format``/``pyformat``) gets them as ``%s``. Every change runs inside
``transaction()``; SQLite takes the write lock up front (``BEGIN IMMEDIATE``), PostgreSQL runs the
transaction SERIALIZABLE.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from booking.units import UnitKey
from kiosk.errors import StoreError

TOWNHALL = "townhall"
COUNTER = ""  # kiosk_id of a booking made at the counter

SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS calendar_units (
        slot_id TEXT NOT NULL,
        unit INTEGER NOT NULL CHECK (unit >= 0),
        service TEXT NOT NULL,
        place TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        holder TEXT NOT NULL,
        reference TEXT,
        granted_version INTEGER,
        withdrawn_version INTEGER,
        PRIMARY KEY (slot_id, unit),
        CHECK (holder <> 'townhall' OR reference IS NOT NULL)
    )""",
    "CREATE INDEX IF NOT EXISTS calendar_units_holder ON calendar_units (holder)",
    """CREATE TABLE IF NOT EXISTS calendar_bookings (
        kiosk_id TEXT NOT NULL,
        reference TEXT NOT NULL,
        service TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('quota', 'request', 'counter')),
        state TEXT NOT NULL CHECK (state IN
            ('pending', 'confirmed', 'proposed', 'moved', 'declined', 'cancelled')),
        slot_id TEXT,
        unit INTEGER,
        starts_at TEXT,
        ends_at TEXT,
        place TEXT,
        windows TEXT,
        reason TEXT NOT NULL DEFAULT '',
        serial INTEGER,
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, reference)
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS calendar_bookings_serial"
    " ON calendar_bookings (kiosk_id, serial) WHERE serial IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS calendar_bookings_day ON calendar_bookings (starts_at)",
    """CREATE TABLE IF NOT EXISTS calendar_kiosks (
        kiosk_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL DEFAULT 0,
        content_hash TEXT,
        report_made_at TEXT,
        report_version INTEGER,
        report_bookings INTEGER,
        written_off_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS calendar_items_seen (
        kiosk_id TEXT NOT NULL,
        reference TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, reference)
    )""",
    """CREATE TABLE IF NOT EXISTS calendar_vaccinations (
        kiosk_id TEXT NOT NULL,
        reference TEXT NOT NULL,
        sealed TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, reference)
    )""",
    """CREATE TABLE IF NOT EXISTS calendar_written_off (
        kiosk_id TEXT NOT NULL,
        slot_id TEXT NOT NULL,
        unit INTEGER NOT NULL,
        PRIMARY KEY (kiosk_id, slot_id, unit)
    )""",
)


class UnitTaken(Exception):
    """The unit is already held (by a kiosk's quota or a booking)."""


@dataclass(frozen=True)
class UnitRow:
    key: UnitKey
    service: str
    place: str
    starts_at: str
    ends_at: str
    holder: str
    reference: str | None
    granted_version: int | None
    withdrawn_version: int | None


@dataclass(frozen=True)
class BookingRow:
    kiosk_id: str
    reference: str
    service: str
    kind: str
    state: str
    slot_id: str | None
    unit: int | None
    starts_at: str | None
    ends_at: str | None
    place: str | None
    windows: tuple[str, ...]
    reason: str
    serial: int | None
    label: str
    created_at: str
    updated_at: str

    @property
    def key(self) -> UnitKey | None:
        return UnitKey(self.slot_id, self.unit) if self.slot_id is not None and self.unit is not None else None


@dataclass(frozen=True)
class KioskRow:
    kiosk_id: str
    version: int
    content_hash: str | None
    report_made_at: str | None
    report_version: int | None
    report_bookings: int | None
    written_off_at: str | None


_UNIT_COLUMNS = "slot_id, unit, service, place, starts_at, ends_at, holder, reference, granted_version, withdrawn_version"
_BOOKING_COLUMNS = (
    "kiosk_id, reference, service, kind, state, slot_id, unit, starts_at, ends_at, place, windows,"
    " reason, serial, label, created_at, updated_at"
)


def _unit(row: Sequence[Any]) -> UnitRow:
    return UnitRow(UnitKey(row[0], int(row[1])), *row[2:])


def _booking(row: Sequence[Any]) -> BookingRow:
    values = list(row)
    values[10] = tuple(json.loads(values[10])) if values[10] else ()
    return BookingRow(*values)


class CalendarStore:
    """The calendar tables over one DB-API connection (SQLite by default)."""

    def __init__(self, connection: Any, *, paramstyle: str = "qmark") -> None:
        self._conn = connection
        self._format = paramstyle in ("format", "pyformat")
        self._sqlite = isinstance(connection, sqlite3.Connection)
        self._lock = threading.RLock()
        self._depth = 0
        with self.transaction():
            for statement in SCHEMA:
                self._run(statement)

    @classmethod
    def open_sqlite(cls, path: Path | str) -> "CalendarStore":
        """The calendar inside the town hall's own database file (``townhall.db``)."""
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=10000")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"The town-hall database {path} cannot be opened.", detail=repr(exc)) from exc
        return cls(conn)

    def close(self) -> None:
        self._conn.close()

    # -- plumbing --------------------------------------------------------------------------------

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self._format:
            sql = sql.replace("?", "%s")
        cursor = self._conn.cursor()
        cursor.execute(sql, tuple(params))
        return cursor

    @contextlib.contextmanager
    def transaction(self) -> Iterator["CalendarStore"]:
        """All changes inside happen together or not at all; nested calls join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            if self._sqlite:
                self._conn.execute("BEGIN IMMEDIATE")
            else:  # pragma: no cover - PostgreSQL
                self._run("BEGIN ISOLATION LEVEL SERIALIZABLE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                self._conn.rollback() if not self._sqlite else self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            if self._sqlite:
                self._conn.execute("COMMIT")
            else:  # pragma: no cover - PostgreSQL
                self._conn.commit()

    def _integrity_error(self, exc: Exception) -> bool:
        return type(exc).__name__ in ("IntegrityError", "UniqueViolation")

    # -- units -----------------------------------------------------------------------------------

    def take_unit(
        self,
        key: UnitKey,
        *,
        service: str,
        place: str,
        starts_at: str,
        ends_at: str,
        holder: str,
        reference: str | None = None,
        granted_version: int | None = None,
    ) -> None:
        """Insert the unit's row; ``UnitTaken`` when anybody holds it already."""
        try:
            self._run(
                f"INSERT INTO calendar_units ({_UNIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [key.slot_id, key.unit, service, place, starts_at, ends_at, holder, reference, granted_version],
            )
        except Exception as exc:
            if self._integrity_error(exc):
                raise UnitTaken(str(key)) from None
            raise

    def unit(self, key: UnitKey) -> UnitRow | None:
        row = self._run(
            f"SELECT {_UNIT_COLUMNS} FROM calendar_units WHERE slot_id = ? AND unit = ?", [key.slot_id, key.unit]
        ).fetchone()
        return _unit(row) if row else None

    def units_between(self, first: str, last: str) -> list[UnitRow]:
        """Taken units starting in ``[first, last)`` (ISO local times compare as text)."""
        rows = self._run(
            f"SELECT {_UNIT_COLUMNS} FROM calendar_units WHERE starts_at >= ? AND starts_at < ?"
            " ORDER BY starts_at, slot_id, unit",
            [first, last],
        ).fetchall()
        return [_unit(row) for row in rows]

    def units_held_by(self, kiosk_id: str) -> list[UnitRow]:
        rows = self._run(
            f"SELECT {_UNIT_COLUMNS} FROM calendar_units WHERE holder = ? ORDER BY starts_at, slot_id, unit",
            [kiosk_id],
        ).fetchall()
        return [_unit(row) for row in rows]

    def book_own_grant(self, key: UnitKey, kiosk_id: str, reference: str) -> bool:
        """A kiosk's booking on a unit it holds: true when the unit was its own and still open."""
        cursor = self._run(
            "UPDATE calendar_units SET reference = ? WHERE slot_id = ? AND unit = ? AND holder = ?"
            " AND reference IS NULL",
            [reference, key.slot_id, key.unit, kiosk_id],
        )
        return cursor.rowcount == 1

    def free_unit(self, key: UnitKey, reference: str) -> bool:
        """A booking ends (cancelled, moved): its unit is free for the town hall again."""
        cursor = self._run(
            "DELETE FROM calendar_units WHERE slot_id = ? AND unit = ? AND reference = ?",
            [key.slot_id, key.unit, reference],
        )
        return cursor.rowcount == 1

    def release_grant(self, key: UnitKey, kiosk_id: str) -> bool:
        """A kiosk's unused quota unit comes back to the town hall."""
        cursor = self._run(
            "DELETE FROM calendar_units WHERE slot_id = ? AND unit = ? AND holder = ? AND reference IS NULL",
            [key.slot_id, key.unit, kiosk_id],
        )
        return cursor.rowcount == 1

    def withdraw_grant(self, key: UnitKey, kiosk_id: str, version: int) -> bool:
        cursor = self._run(
            "UPDATE calendar_units SET withdrawn_version = ? WHERE slot_id = ? AND unit = ? AND holder = ?"
            " AND reference IS NULL AND withdrawn_version IS NULL",
            [version, key.slot_id, key.unit, kiosk_id],
        )
        return cursor.rowcount == 1

    def mark_granted(self, kiosk_id: str, version: int) -> None:
        """Quota units first sent in calendar version ``version``."""
        self._run(
            "UPDATE calendar_units SET granted_version = ? WHERE holder = ? AND granted_version IS NULL",
            [version, kiosk_id],
        )

    # -- bookings --------------------------------------------------------------------------------

    def add_booking(self, booking: BookingRow) -> None:
        try:
            self._run(
                f"INSERT INTO calendar_bookings ({_BOOKING_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    booking.kiosk_id, booking.reference, booking.service, booking.kind, booking.state,
                    booking.slot_id, booking.unit, booking.starts_at, booking.ends_at, booking.place,
                    json.dumps(list(booking.windows)) if booking.windows else None, booking.reason,
                    booking.serial, booking.label, booking.created_at, booking.updated_at,
                ],
            )
        except Exception as exc:
            if self._integrity_error(exc):
                raise UnitTaken(f"booking {booking.reference} exists") from None
            raise

    def update_booking(
        self,
        kiosk_id: str,
        reference: str,
        *,
        state: str,
        at: str,
        reason: str = "",
        key: UnitKey | None = None,
        starts_at: str | None = None,
        ends_at: str | None = None,
        place: str | None = None,
    ) -> None:
        if key is not None:
            self._run(
                "UPDATE calendar_bookings SET state = ?, reason = ?, updated_at = ?, slot_id = ?, unit = ?,"
                " starts_at = ?, ends_at = ?, place = ? WHERE kiosk_id = ? AND reference = ?",
                [state, reason, at, key.slot_id, key.unit, starts_at, ends_at, place, kiosk_id, reference],
            )
        else:
            self._run(
                "UPDATE calendar_bookings SET state = ?, reason = ?, updated_at = ?"
                " WHERE kiosk_id = ? AND reference = ?",
                [state, reason, at, kiosk_id, reference],
            )

    def booking(self, kiosk_id: str, reference: str) -> BookingRow | None:
        row = self._run(
            f"SELECT {_BOOKING_COLUMNS} FROM calendar_bookings WHERE kiosk_id = ? AND reference = ?",
            [kiosk_id, reference],
        ).fetchone()
        return _booking(row) if row else None

    def bookings_with_reference(self, reference: str) -> list[BookingRow]:
        rows = self._run(
            f"SELECT {_BOOKING_COLUMNS} FROM calendar_bookings WHERE reference = ?", [reference]
        ).fetchall()
        return [_booking(row) for row in rows]

    def bookings(self, *, kiosk_id: str | None = None, state: str | None = None) -> list[BookingRow]:
        sql = f"SELECT {_BOOKING_COLUMNS} FROM calendar_bookings WHERE 1 = 1"
        params: list[Any] = []
        if kiosk_id is not None:
            sql += " AND kiosk_id = ?"
            params.append(kiosk_id)
        if state is not None:
            sql += " AND state = ?"
            params.append(state)
        rows = self._run(sql + " ORDER BY created_at, reference", params).fetchall()
        return [_booking(row) for row in rows]

    def arrived_serials(self, kiosk_id: str) -> set[int]:
        rows = self._run(
            "SELECT serial FROM calendar_bookings WHERE kiosk_id = ? AND serial IS NOT NULL", [kiosk_id]
        ).fetchall()
        return {int(row[0]) for row in rows}

    # -- kiosks ----------------------------------------------------------------------------------

    def kiosk(self, kiosk_id: str) -> KioskRow:
        row = self._run(
            "SELECT kiosk_id, version, content_hash, report_made_at, report_version, report_bookings,"
            " written_off_at FROM calendar_kiosks WHERE kiosk_id = ?",
            [kiosk_id],
        ).fetchone()
        if row is None:
            return KioskRow(kiosk_id, 0, None, None, None, None, None)
        return KioskRow(*row)

    def kiosk_ids(self) -> list[str]:
        rows = self._run(
            "SELECT kiosk_id FROM calendar_kiosks UNION SELECT holder FROM calendar_units WHERE holder <> ?",
            [TOWNHALL],
        ).fetchall()
        return sorted(str(row[0]) for row in rows)

    def _ensure_kiosk(self, kiosk_id: str) -> None:
        if self._run("SELECT 1 FROM calendar_kiosks WHERE kiosk_id = ?", [kiosk_id]).fetchone() is None:
            self._run("INSERT INTO calendar_kiosks (kiosk_id, version) VALUES (?, 0)", [kiosk_id])

    def set_kiosk_version(self, kiosk_id: str, version: int, content_hash: str) -> None:
        self._ensure_kiosk(kiosk_id)
        self._run(
            "UPDATE calendar_kiosks SET version = ?, content_hash = ? WHERE kiosk_id = ?",
            [version, content_hash, kiosk_id],
        )

    def record_report(self, kiosk_id: str, made_at: str, version: int, bookings: int) -> None:
        """Keep the newest usage report (by the kiosk's own clock and counts: never backwards)."""
        self._ensure_kiosk(kiosk_id)
        self._run(
            "UPDATE calendar_kiosks SET report_made_at = ?, report_version = ?, report_bookings = ?"
            " WHERE kiosk_id = ? AND (report_made_at IS NULL OR"
            " (report_made_at <= ? AND report_bookings <= ? AND report_version <= ?))",
            [made_at, version, bookings, kiosk_id, made_at, bookings, version],
        )

    def clear_write_off(self, kiosk_id: str) -> None:
        """The kiosk was heard from again: it may hold a quota again."""
        self._run("UPDATE calendar_kiosks SET written_off_at = NULL WHERE kiosk_id = ?", [kiosk_id])

    def write_off(self, kiosk_id: str, at: str) -> None:
        self._ensure_kiosk(kiosk_id)
        self._run("UPDATE calendar_kiosks SET written_off_at = ? WHERE kiosk_id = ?", [at, kiosk_id])

    def note_written_off_unit(self, key: UnitKey, kiosk_id: str) -> None:
        """A unit taken from a written-off kiosk: a booking it made offline on it is moved, not
        refused (booking.md §8)."""
        if not self.was_written_off(key, kiosk_id):
            self._run(
                "INSERT INTO calendar_written_off (kiosk_id, slot_id, unit) VALUES (?, ?, ?)",
                [kiosk_id, key.slot_id, key.unit],
            )

    def was_written_off(self, key: UnitKey, kiosk_id: str) -> bool:
        row = self._run(
            "SELECT 1 FROM calendar_written_off WHERE kiosk_id = ? AND slot_id = ? AND unit = ?",
            [kiosk_id, key.slot_id, key.unit],
        ).fetchone()
        return row is not None

    # -- items read by the staff side -------------------------------------------------------------

    def item_seen(self, kiosk_id: str, reference: str) -> bool:
        return (
            self._run(
                "SELECT 1 FROM calendar_items_seen WHERE kiosk_id = ? AND reference = ?", [kiosk_id, reference]
            ).fetchone()
            is not None
        )

    def mark_item_seen(self, kiosk_id: str, reference: str) -> None:
        if not self.item_seen(kiosk_id, reference):
            self._run("INSERT INTO calendar_items_seen (kiosk_id, reference) VALUES (?, ?)", [kiosk_id, reference])

    # -- vaccination records -----------------------------------------------------------------------

    def put_vaccination(self, kiosk_id: str, reference: str, sealed: dict[str, str], at: str) -> None:
        self._run("DELETE FROM calendar_vaccinations WHERE kiosk_id = ? AND reference = ?", [kiosk_id, reference])
        self._run(
            "INSERT INTO calendar_vaccinations (kiosk_id, reference, sealed, recorded_at) VALUES (?, ?, ?, ?)",
            [kiosk_id, reference, json.dumps(sealed, sort_keys=True), at],
        )

    def vaccinations_for(self, kiosk_id: str, since: str) -> list[dict[str, str]]:
        rows = self._run(
            "SELECT sealed FROM calendar_vaccinations WHERE kiosk_id = ? AND recorded_at >= ? ORDER BY reference",
            [kiosk_id, since],
        ).fetchall()
        return [json.loads(row[0]) for row in rows]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
