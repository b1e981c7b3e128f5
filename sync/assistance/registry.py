"""The town hall's register of volunteers and powers of attorney, and the audit chains received.

One SQLite file, ``assistance.db`` in the town-hall folder, written by staff (``rathaus
volunteers``, ``rathaus powers``, the staff workplace) and read by the server (for the
``volunteers`` and ``powers`` downloads and to check incoming batches), which also adds the audit
entries batches carry. Secrets are never stored: a badge, PIN or power code is shown once when it
is made and only its Argon2id hash is kept (``assisted_mode.credentials``).

What is kept and for how long is in docs/assisted-mode.md: a volunteer's full name, their short
name, id, last day and revocation; a power's two names, services, validity, the paper's reference
as staff recorded it, and its revocation. Every change bumps the version of its download channel,
so kiosks learn of a revocation at their next exchange.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from assisted_mode import credentials
from assisted_mode.audit import AuditEntry, AuditSegment, SignedHead
from assisted_mode.powers import PowerTerms, local_day
from assisted_mode.record import VOLUNTEER_ID
from assisted_mode.volunteers import VolunteerTerms
from kiosk.errors import RathausError
from kiosk.i18n import N_, language_from_environment, translator
from kiosk.private_file import create_private
from sync.envelope import utc_timestamp
from sync.envelope.assistance_channels import MAX_SHORT_NAME, KioskPower

REGISTRY_FILE = "assistance.db"
MAX_NAME_CHARS = 120
_SCHEMA = """
CREATE TABLE IF NOT EXISTS volunteers (
    volunteer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    badge_hash TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT '',
    revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS powers (
    power_id TEXT PRIMARY KEY,
    principal_name TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    services TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    paper_reference TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS channel_versions (
    channel TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_entries (
    kiosk_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    reference TEXT NOT NULL,
    prev TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
);
CREATE TABLE IF NOT EXISTS audit_heads (
    kiosk_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, batch_id)
);
CREATE TABLE IF NOT EXISTS audit_conflicts (
    kiosk_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    batch_id TEXT NOT NULL,
    entry TEXT NOT NULL
);
"""


def short_name(full_name: str) -> str:
    """What kiosks show: the first name and the initial of the last (``Anna Meier`` → ``Anna M.``)."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name.strip()[:MAX_SHORT_NAME]
    return f"{' '.join(parts[:-1])} {parts[-1][0]}."[:MAX_SHORT_NAME]


@dataclass(frozen=True)
class VolunteerRecord:
    volunteer_id: str
    name: str
    display_name: str
    valid_until: str
    enrolled_at: str
    revoked_at: str
    revoke_reason: str
    has_pin: bool

    @property
    def revoked(self) -> bool:
        return bool(self.revoked_at)


@dataclass(frozen=True)
class EnrolledVolunteer:
    """A new volunteer and their secrets, shown once: print the badge, hand over the PIN."""

    volunteer: VolunteerRecord
    badge_code: str
    pin: str


@dataclass(frozen=True)
class PowerRecord:
    power_id: str
    principal_name: str
    agent_name: str
    services: tuple[str, ...]
    valid_from: str
    valid_until: str
    paper_reference: str
    recorded_at: str
    revoked_at: str

    @property
    def terms(self) -> PowerTerms:
        return PowerTerms(self.power_id, self.services, self.valid_from, self.valid_until, self.revoked_at)


@dataclass(frozen=True)
class RecordedPower:
    """A new power of attorney and its code for the letter to the agent, shown once."""

    power: PowerRecord
    code: str


def _plain_error(message: str, **values: object) -> RathausError:
    _ = translator(language_from_environment())
    return RathausError(_(message).format(**values))


def _check_day(value: str, what: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise _plain_error(N_("'{what}' must be a date like 2027-06-30."), what=what) from None


def _check_name(value: str) -> str:
    name = " ".join(str(value).split())
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise _plain_error(N_("A name must be 1 to {count} printable characters."), count=MAX_NAME_CHARS)
    return name


class Registry:
    """Volunteers, powers of attorney and received audit chains of one town hall."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        create_private(self.path)  # also narrows a file an older version left readable to all
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    # -- transactions -------------------------------------------------------------------------

    def _write(self) -> "_Tx":
        return _Tx(self._db)

    def _bump(self, channel: str) -> None:
        self._db.execute(
            "INSERT INTO channel_versions (channel, version) VALUES (?, 1) "
            "ON CONFLICT (channel) DO UPDATE SET version = version + 1",
            [channel],
        )

    def channel_version(self, channel: str) -> int:
        row = self._db.execute("SELECT version FROM channel_versions WHERE channel = ?", [channel]).fetchone()
        return int(row[0]) if row else 0

    # -- volunteers ---------------------------------------------------------------------------

    def enrol_volunteer(
        self, name: str, valid_until: str, *, volunteer_id: str | None = None, with_pin: bool = True,
        now: dt.datetime | None = None,
    ) -> EnrolledVolunteer:
        """Enrol a volunteer; the badge code and PIN are returned once and kept only as hashes."""
        name = _check_name(name)
        valid_until = _check_day(valid_until, "valid until")
        if valid_until < local_day(now or dt.datetime.now(dt.timezone.utc)):
            # An enrolment that has already ended is a typing slip (2025 for 2027): no kiosk takes it.
            raise _plain_error(N_("The last day {day} has already passed."), day=valid_until)
        secret = credentials.new_secret()
        pin = credentials.new_pin() if with_pin else ""
        badge_hash = credentials.hash_secret(secret)
        pin_hash = credentials.hash_secret(pin) if pin else ""
        with self._write():
            if volunteer_id is None:
                volunteer_id = self._next_id("volunteers", "volunteer_id", "V")
            elif not VOLUNTEER_ID.fullmatch(volunteer_id):
                raise _plain_error(N_("A volunteer id is V followed by 4 to 6 digits, e.g. V0007."))
            if self._db.execute("SELECT 1 FROM volunteers WHERE volunteer_id = ?", [volunteer_id]).fetchone():
                raise _plain_error(N_("The volunteer id {id} is already taken."), id=volunteer_id)
            self._db.execute(
                "INSERT INTO volunteers (volunteer_id, name, display_name, valid_until, badge_hash,"
                " pin_hash, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [volunteer_id, name, short_name(name), valid_until, badge_hash, pin_hash, utc_timestamp(now)],
            )
            self._bump("volunteers")
        return EnrolledVolunteer(self.volunteer(volunteer_id), credentials.badge_code(volunteer_id, secret), pin)

    def revoke_volunteer(self, volunteer_id: str, reason: str = "", *, now: dt.datetime | None = None) -> VolunteerRecord:
        """From now on no kiosk lets this volunteer sign in (after its next exchange), and the
        town hall refuses applications a kiosk recorded with them after this moment."""
        with self._write():
            record = self.volunteer(volunteer_id)
            if not record.revoked:
                self._db.execute(
                    "UPDATE volunteers SET revoked_at = ?, revoke_reason = ?, badge_hash = '', pin_hash = ''"
                    " WHERE volunteer_id = ?",
                    [utc_timestamp(now), " ".join(reason.split())[:200], volunteer_id],
                )
                self._bump("volunteers")
        return self.volunteer(volunteer_id)

    def new_pin(self, volunteer_id: str) -> str:
        """A new PIN (after a kiosk was lost, or a forgotten one); the old one stops working."""
        return self._new_secret(volunteer_id, "pin_hash", credentials.new_pin())

    def new_badge(self, volunteer_id: str) -> str:
        """A new badge code (a badge was lost); the old badge stops working."""
        secret = credentials.new_secret()
        self._new_secret(volunteer_id, "badge_hash", secret)
        return credentials.badge_code(volunteer_id, secret)

    def _new_secret(self, volunteer_id: str, column: str, secret: str) -> str:
        hashed = credentials.hash_secret(secret)
        with self._write():
            if self.volunteer(volunteer_id).revoked:
                raise _plain_error(N_("The volunteer {id} is revoked."), id=volunteer_id)
            self._db.execute(f"UPDATE volunteers SET {column} = ? WHERE volunteer_id = ?", [hashed, volunteer_id])
            self._bump("volunteers")
        return secret

    def volunteer(self, volunteer_id: str) -> VolunteerRecord:
        row = self._db.execute(_VOLUNTEER_SELECT + " WHERE volunteer_id = ?", [volunteer_id]).fetchone()
        if row is None:
            raise _plain_error(N_("There is no volunteer {id}."), id=volunteer_id)
        return _volunteer(row)

    def volunteers(self) -> list[VolunteerRecord]:
        return [_volunteer(row) for row in self._db.execute(_VOLUNTEER_SELECT + " ORDER BY volunteer_id")]

    def volunteer_terms(self) -> list[VolunteerTerms]:
        """The ``volunteers`` download: short names and hashes only."""
        rows = self._db.execute(
            "SELECT volunteer_id, display_name, valid_until, revoked_at, badge_hash, pin_hash"
            " FROM volunteers ORDER BY volunteer_id"
        )
        return [VolunteerTerms(*row) for row in rows]

    # -- powers of attorney --------------------------------------------------------------------

    def record_power(
        self, *, principal: str, agent: str, services: Sequence[str], valid_from: str, valid_until: str,
        paper_reference: str, now: dt.datetime | None = None,
    ) -> RecordedPower:
        """Record a power of attorney from its paper; the code for the agent's letter is shown once."""
        principal, agent = _check_name(principal), _check_name(agent)
        services = tuple(sorted(set(services)))
        if not services:
            raise _plain_error(N_("A power of attorney names at least one service."))
        valid_from = _check_day(valid_from, "valid from")
        valid_until = _check_day(valid_until, "valid until")
        if valid_until < valid_from:
            raise _plain_error(N_("The last day comes before the first day."))
        reference = " ".join(paper_reference.split())[:100]
        secret = credentials.new_secret()
        code_hash = credentials.hash_secret(secret)
        with self._write():
            power_id = self._next_id("powers", "power_id", "P")
            self._db.execute(
                "INSERT INTO powers (power_id, principal_name, agent_name, services, valid_from,"
                " valid_until, paper_reference, code_hash, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [power_id, principal, agent, json.dumps(services), valid_from, valid_until, reference,
                 code_hash, utc_timestamp(now)],
            )
            self._bump("powers")
        return RecordedPower(self.power(power_id), credentials.power_code(power_id, secret))

    def revoke_power(self, power_id: str, *, now: dt.datetime | None = None) -> PowerRecord:
        with self._write():
            if not self.power(power_id).revoked_at:
                self._db.execute(
                    "UPDATE powers SET revoked_at = ?, code_hash = '' WHERE power_id = ?",
                    [utc_timestamp(now), power_id],
                )
                self._bump("powers")
        return self.power(power_id)

    def power(self, power_id: str) -> PowerRecord:
        row = self._db.execute(_POWER_SELECT + " WHERE power_id = ?", [power_id]).fetchone()
        if row is None:
            raise _plain_error(N_("There is no power of attorney {id}."), id=power_id)
        return _power(row)

    def find_power(self, power_id: str) -> PowerRecord | None:
        row = self._db.execute(_POWER_SELECT + " WHERE power_id = ?", [power_id]).fetchone()
        return None if row is None else _power(row)

    def find_volunteer(self, volunteer_id: str) -> VolunteerRecord | None:
        row = self._db.execute(_VOLUNTEER_SELECT + " WHERE volunteer_id = ?", [volunteer_id]).fetchone()
        return None if row is None else _volunteer(row)

    def powers(self) -> list[PowerRecord]:
        return [_power(row) for row in self._db.execute(_POWER_SELECT + " ORDER BY power_id")]

    def kiosk_powers(self) -> list[KioskPower]:
        """The ``powers`` download: terms, the code's hash and short names only."""
        rows = self._db.execute(
            "SELECT power_id, services, valid_from, valid_until, revoked_at, code_hash, agent_name,"
            " principal_name FROM powers ORDER BY power_id"
        )
        return [
            KioskPower(
                PowerTerms(pid, tuple(json.loads(services)), start, end, revoked),
                code_hash, short_name(agent), short_name(principal),
            )
            for pid, services, start, end, revoked, code_hash, agent, principal in rows
        ]

    def _next_id(self, table: str, column: str, letter: str) -> str:
        count = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        number = count + 1
        while self._db.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", [f"{letter}{number:04d}"]).fetchone():
            number += 1
        return f"{letter}{number:04d}"

    # -- audit chains ------------------------------------------------------------------------------

    def store_audit(self, kiosk_id: str, batch_id: str, segment: AuditSegment) -> None:
        """Keep what one batch carried; an entry number seen before with other contents is kept
        aside as a conflict (the check reports it), never written over the first."""
        with self._write():
            for entry in segment.entries:
                row = self._db.execute(
                    "SELECT at, action, actor, reference, prev FROM audit_entries WHERE kiosk_id = ? AND seq = ?",
                    [kiosk_id, entry.seq],
                ).fetchone()
                values = (entry.at, entry.action, entry.actor, entry.reference, entry.prev)
                if row is None:
                    self._db.execute(
                        "INSERT INTO audit_entries (kiosk_id, seq, at, action, actor, reference, prev,"
                        " batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [kiosk_id, entry.seq, *values, batch_id],
                    )
                elif tuple(row) != values:
                    self._db.execute(
                        "INSERT INTO audit_conflicts (kiosk_id, seq, batch_id, entry) VALUES (?, ?, ?, ?)",
                        [kiosk_id, entry.seq, batch_id, json.dumps(entry.to_json())],
                    )
            head = segment.head
            self._db.execute(
                "INSERT OR IGNORE INTO audit_heads (kiosk_id, batch_id, seq, hash, signature) VALUES (?, ?, ?, ?, ?)",
                [kiosk_id, batch_id, head.seq, head.hash, head.signature],
            )

    def audit_kiosks(self) -> list[str]:
        rows = self._db.execute(
            "SELECT kiosk_id FROM audit_heads UNION SELECT kiosk_id FROM audit_entries ORDER BY 1"
        )
        return [str(row[0]) for row in rows]

    def audit_entries(self, kiosk_id: str) -> list[AuditEntry]:
        rows = self._db.execute(
            "SELECT seq, at, action, actor, reference, prev FROM audit_entries WHERE kiosk_id = ?"
            " ORDER BY rowid",
            [kiosk_id],
        )
        return [AuditEntry(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def audit_heads(self, kiosk_id: str) -> list[SignedHead]:
        rows = self._db.execute(
            "SELECT seq, hash, signature FROM audit_heads WHERE kiosk_id = ? ORDER BY seq", [kiosk_id]
        )
        return [SignedHead(int(r[0]), r[1], r[2]) for r in rows]

    def audit_conflicts(self, kiosk_id: str) -> list[int]:
        rows = self._db.execute("SELECT DISTINCT seq FROM audit_conflicts WHERE kiosk_id = ? ORDER BY seq", [kiosk_id])
        return [int(r[0]) for r in rows]

    def submit_entries(self, kiosk_id: str, references: Iterable[str]) -> list[AuditEntry]:
        """The ``submit`` entries held for these receipt codes of one kiosk (an earlier batch may
        have carried the entry of an application that travels in a later one)."""
        wanted = sorted(set(references))
        found: list[AuditEntry] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self._db.execute(
                "SELECT seq, at, action, actor, reference, prev FROM audit_entries WHERE kiosk_id = ?"
                f" AND action = 'submit' AND reference IN ({', '.join('?' * len(chunk))}) ORDER BY seq",
                [kiosk_id, *chunk],
            )
            found += [AuditEntry(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]
        return found

    def audit_for_reference(self, kiosk_id: str, reference: str) -> list[AuditEntry]:
        return [e for e in self.audit_entries(kiosk_id) if e.reference == reference]

    # -- lifetime ---------------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Tx:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK``); nested use joins the outer one."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._outer = False

    def __enter__(self) -> None:
        self._outer = not self._db.in_transaction
        if self._outer:
            self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if not self._outer:
            return
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


_VOLUNTEER_SELECT = (
    "SELECT volunteer_id, name, display_name, valid_until, enrolled_at, revoked_at, revoke_reason,"
    " pin_hash != '' FROM volunteers"
)
_POWER_SELECT = (
    "SELECT power_id, principal_name, agent_name, services, valid_from, valid_until, paper_reference,"
    " recorded_at, revoked_at FROM powers"
)


def _volunteer(row: Sequence) -> VolunteerRecord:
    return VolunteerRecord(*row[:7], has_pin=bool(row[7]))


def _power(row: Sequence) -> PowerRecord:
    values = list(row)
    values[3] = tuple(json.loads(values[3]))
    return PowerRecord(*values)


def open_registry(townhall_dir: Path | str) -> Registry:
    """The register in ``<townhall_dir>/assistance.db`` (created on first use, mode 0600)."""
    return Registry(Path(townhall_dir) / REGISTRY_FILE)


