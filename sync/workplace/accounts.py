"""Staff accounts, their sessions, failed logins and the access log, in ``staff/staff.db``.

The folder lies in the town-hall data directory beside ``townhall.db`` but is the workplace's own:
the kiosk-facing server never opens it (its systemd unit cannot even see it). Passwords are kept as Argon2id hashes (argon2-cffi).
Failed logins lock a name out for a time that doubles with every further failure (kept in the
file, so a restart does not reset it); unknown names are counted the same way, so the lock-out
tells nobody which names exist. A session is a random token whose SHA-256 alone is stored; it
ends after a spell without use, at the latest after a working day, and at logout.

The access log records who opened which application when, never what it said, so the head of
office can answer the question data-protection law asks: who has seen my application?
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlite_utils import Migrations

from kiosk.errors import RathausError, StoreError
from kiosk.i18n import N_, translator
from kiosk.private_file import create_private
from sync.envelope import parse_timestamp, utc_timestamp

STAFF_DIR = "staff"
"""The workplace's own folder in the data directory; the kiosk-facing server is kept out of it."""
DB_NAME = "staff.db"

ROLES: dict[str, str] = {
    "clerk": N_("clerk"),
    "head": N_("head of office"),
    "it": N_("IT"),
}
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
FREE_FAILURES = 3
"""Failed logins allowed before the lock-out starts (a typo or two is normal)."""
FIRST_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 3600
FORGET_FAILURES_AFTER = dt.timedelta(days=1)
"""Failed logins of a name nobody has tried since are forgotten after this (once unlocked)."""
IDLE_MINUTES = 30
MAX_SESSION_HOURS = 10

migrations = Migrations("rathaus-workplace")


@migrations(name="0001_accounts_sessions_access_log")
def _initial(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE accounts (
            username      TEXT PRIMARY KEY,
            display_name  TEXT NOT NULL,
            role          TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created_at    TEXT NOT NULL,
            disabled_at   TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE login_failures (
            username      TEXT PRIMARY KEY,
            failures      INTEGER NOT NULL,
            last_failure  TEXT NOT NULL,
            locked_until  TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE sessions (
            token_hash   TEXT PRIMARY KEY,
            username     TEXT NOT NULL REFERENCES accounts (username),
            created_at   TEXT NOT NULL,
            last_used_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE access_log (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            at         TEXT NOT NULL,
            username   TEXT NOT NULL,
            action     TEXT NOT NULL,
            reference  TEXT NOT NULL,
            kiosk_id   TEXT NOT NULL DEFAULT '',
            service    TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX access_by_time ON access_log (at)")
    db.execute("CREATE INDEX access_by_reference ON access_log (reference)")


@migrations(name="0002_kiosk_places")
def _kiosk_places(db: sqlite_utils.Database) -> None:
    """Where each kiosk stands, in the staff's words (the kiosk's enrolment does not say)."""
    db.execute(
        """
        CREATE TABLE kiosk_places (
            kiosk_id    TEXT PRIMARY KEY,
            place       TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            updated_by  TEXT NOT NULL
        )
        """
    )


@dataclass(frozen=True)
class Staff:
    """A person with an account; ``role`` is one of ``ROLES``."""

    username: str
    display_name: str
    role: str
    created_at: str = ""
    disabled_at: str | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class AccessRecord:
    """One opening: who, when, what they did, to which reference; never any content."""

    at: str
    username: str
    action: str  # open, pdf, export, status, paper
    reference: str
    kiosk_id: str
    service: str


class LoginRefused(RathausError):
    """Wrong name or password, or locked out for a while; the message says which in plain words."""

    def __init__(self, message: str, *, locked_seconds: int = 0) -> None:
        super().__init__(message)
        self.locked_seconds = locked_seconds


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def lock_seconds(failures: int) -> int:
    """How long a name stays locked after ``failures`` failed logins in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (failures - FREE_FAILURES))


def normalise_username(name: str) -> str:
    return " ".join(str(name).split()).lower()


class AccountStore:
    """``staff.db``: accounts, sessions, lock-outs, access log. Safe to share between threads."""

    def __init__(self, path: Path, *, hasher: PasswordHasher | None = None, lang: str = "de") -> None:
        self.path = Path(path)
        self.hasher = hasher or PasswordHasher()  # Argon2id with argon2-cffi's recommended cost
        self._ = translator(lang)
        self._dummy = ""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            create_private(self.path)  # 0600 before SQLite makes its log files, which take its mode
            conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._db = sqlite_utils.Database(conn, execute_plugins=False)
            migrations.apply(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"The staff accounts {self.path} cannot be opened.", detail=repr(exc)) from exc
        self._lock = threading.RLock()

    @property
    def _dummy_hash(self) -> str:
        """A hash to check unknown names against; made at the first login, not at every opening
        (the command line opens this store only to write the access log)."""
        if not self._dummy:
            self._dummy = self.hasher.hash(secrets.token_hex(16))
        return self._dummy

    def _write(self) -> "_Transaction":
        return _Transaction(self)

    # -- accounts --------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, *, role: str, display_name: str = "") -> Staff:
        """Create an account; refuses a taken name, an unknown role and a short password."""
        username = normalise_username(username)
        if not username or len(username) > 64 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
            raise RathausError(
                self._("A user name is 1 to 64 letters or digits (also . - _), e.g. m.schulz.")
            )
        if role not in ROLES:
            raise RathausError(
                self._("Unknown role '{role}'. Possible: {roles}").format(role=role, roles=", ".join(ROLES))
            )
        self.check_password(password)
        staff = Staff(username, " ".join(display_name.split()) or username, role, utc_timestamp())
        with self._write() as db:
            if db.execute("SELECT 1 FROM accounts WHERE username = ?", [username]).fetchone():
                raise RathausError(self._("There is already an account named {name}.").format(name=username))
            db.execute(
                "INSERT INTO accounts (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                [staff.username, staff.display_name, staff.role, self.hasher.hash(password), staff.created_at],
            )
        return staff

    def check_password(self, password: str) -> None:
        if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
            raise RathausError(
                self._("A password needs at least {count} characters.").format(count=MIN_PASSWORD_CHARS)
            )

    def set_password(self, username: str, password: str) -> None:
        self.check_password(password)
        with self._write() as db:
            changed = db.execute(
                "UPDATE accounts SET password_hash = ? WHERE username = ?",
                [self.hasher.hash(password), normalise_username(username)],
            ).rowcount
            db.execute("DELETE FROM sessions WHERE username = ?", [normalise_username(username)])
        if not changed:
            raise self._unknown(username)

    def disable(self, username: str) -> None:
        """End an account's use at once (sessions too); kept for the access log's names."""
        with self._write() as db:
            changed = db.execute(
                "UPDATE accounts SET disabled_at = ? WHERE username = ? AND disabled_at IS NULL",
                [utc_timestamp(), normalise_username(username)],
            ).rowcount
            db.execute("DELETE FROM sessions WHERE username = ?", [normalise_username(username)])
        if not changed and self.user(username) is None:
            raise self._unknown(username)

    def unlock(self, username: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM login_failures WHERE username = ?", [normalise_username(username)])

    def user(self, username: str) -> Staff | None:
        with self._lock:
            row = self._db.execute(
                "SELECT username, display_name, role, created_at, disabled_at FROM accounts WHERE username = ?",
                [normalise_username(username)],
            ).fetchone()
        return Staff(*row) if row else None

    def locked_out(self, *, now: dt.datetime | None = None) -> dict[str, int]:
        """Names locked out at the moment, with the seconds left."""
        now = now or _now()
        with self._lock:
            rows = self._db.execute("SELECT username FROM login_failures WHERE locked_until IS NOT NULL").fetchall()
        locked = {row[0]: self._locked_for(row[0], now) for row in rows}
        return {name: seconds for name, seconds in locked.items() if seconds}

    def users(self) -> list[Staff]:
        with self._lock:
            rows = self._db.execute(
                "SELECT username, display_name, role, created_at, disabled_at FROM accounts ORDER BY username"
            ).fetchall()
        return [Staff(*row) for row in rows]

    def _unknown(self, username: str) -> RathausError:
        return RathausError(self._("There is no account named {name}.").format(name=normalise_username(username)))

    # -- logging in ------------------------------------------------------------------------------

    def login(self, username: str, password: str, *, now: dt.datetime | None = None) -> tuple[Staff, str]:
        """Check name and password; a new session token on success, ``LoginRefused`` otherwise."""
        now = now or _now()
        name = normalise_username(username)[:128]
        # The attempt counts as a failure before the (slow) password check and is forgiven only
        # when the password fits: many requests sent at once for one name get no more guesses
        # than the same requests one after another.
        failures = self._begin_attempt(name, now)
        with self._lock:
            row = self._db.execute(
                "SELECT password_hash FROM accounts WHERE username = ? AND disabled_at IS NULL", [name]
            ).fetchone()
        try:
            # The same work for unknown names, so the answer's time does not tell which names exist.
            self.hasher.verify(row[0] if row else self._dummy_hash, password[:MAX_PASSWORD_CHARS])
            ok = row is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            seconds = lock_seconds(failures)
            if seconds:
                raise self._locked_message(seconds)
            raise LoginRefused(self._("The user name or the password is wrong."))
        with self._write() as db:
            db.execute("DELETE FROM login_failures WHERE username = ?", [name])
            if row is not None and self.hasher.check_needs_rehash(row[0]):
                db.execute("UPDATE accounts SET password_hash = ? WHERE username = ?", [self.hasher.hash(password), name])
        token = secrets.token_urlsafe(32)
        stamp = utc_timestamp(now)
        with self._write() as db:
            # Sessions nobody ended by logging out are cleared once they are too old to count.
            db.execute(
                "DELETE FROM sessions WHERE created_at < ?",
                [utc_timestamp(now - dt.timedelta(hours=MAX_SESSION_HOURS))],
            )
            db.execute(
                "INSERT INTO sessions (token_hash, username, created_at, last_used_at) VALUES (?, ?, ?, ?)",
                [_hash_token(token), name, stamp, stamp],
            )
        staff = self.user(name)
        assert staff is not None
        return staff, token

    def _locked_message(self, seconds: int) -> LoginRefused:
        minutes = max(1, -(-seconds // 60))
        return LoginRefused(
            self._(
                "Too many wrong passwords for this name. Please wait {minutes} min and try again, "
                "or ask IT to unlock the account."
            ).format(minutes=minutes),
            locked_seconds=seconds,
        )

    def _locked_for(self, name: str, now: dt.datetime) -> int:
        with self._lock:
            row = self._db.execute("SELECT locked_until FROM login_failures WHERE username = ?", [name]).fetchone()
        if not row or not row[0]:
            return 0
        left = (parse_timestamp(row[0]) - now).total_seconds()
        return int(left) + 1 if left > 0 else 0

    def _begin_attempt(self, name: str, now: dt.datetime) -> int:
        """Refuse a locked name, else count this attempt as a failure (in one transaction, so two
        requests at once never both see the name unlocked) and return the failures so far."""
        with self._write() as db:
            # Names tried by nobody for a day are forgotten once their lock is over: a stranger
            # typing made-up names must not grow this table (and the Konten page) without end.
            db.execute(
                "DELETE FROM login_failures WHERE last_failure < ? AND (locked_until IS NULL OR locked_until < ?)",
                [utc_timestamp(now - FORGET_FAILURES_AFTER), utc_timestamp(now)],
            )
            row = db.execute("SELECT failures, locked_until FROM login_failures WHERE username = ?", [name]).fetchone()
            if row and row[1]:
                left = (parse_timestamp(row[1]) - now).total_seconds()
                if left > 0:
                    raise self._locked_message(int(left) + 1)
            failures = (row[0] if row else 0) + 1
            seconds = lock_seconds(failures)
            until = utc_timestamp(now + dt.timedelta(seconds=seconds)) if seconds else None
            db.execute(
                "INSERT INTO login_failures (username, failures, last_failure, locked_until) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, "
                "last_failure = excluded.last_failure, locked_until = excluded.locked_until",
                [name, failures, utc_timestamp(now), until],
            )
        return failures

    # -- sessions --------------------------------------------------------------------------------

    def session_user(
        self,
        token: str,
        *,
        now: dt.datetime | None = None,
        idle_minutes: int = IDLE_MINUTES,
        max_hours: int = MAX_SESSION_HOURS,
    ) -> Staff | None:
        """The person a session belongs to, or ``None`` when it ended (idle, too old, logged out)."""
        now = now or _now()
        key = _hash_token(token)
        with self._lock:
            row = self._db.execute(
                "SELECT s.username, s.created_at, s.last_used_at FROM sessions s "
                "JOIN accounts a ON a.username = s.username WHERE s.token_hash = ? AND a.disabled_at IS NULL",
                [key],
            ).fetchone()
        if row is None:
            return None
        created, used = parse_timestamp(row[1]), parse_timestamp(row[2])
        if now - used > dt.timedelta(minutes=idle_minutes) or now - created > dt.timedelta(hours=max_hours):
            self.logout(token)
            return None
        if now - used > dt.timedelta(seconds=30):  # a write every half minute is enough
            with self._write() as db:
                db.execute("UPDATE sessions SET last_used_at = ? WHERE token_hash = ?", [utc_timestamp(now), key])
        return self.user(row[0])

    def logout(self, token: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", [_hash_token(token)])

    # -- kiosk places ----------------------------------------------------------------------------

    def set_kiosk_place(self, kiosk_id: str, place: str, staff: Staff) -> None:
        """Note where a kiosk stands (e.g. "Bibliothek Lüderitz"); an empty place removes it."""
        place = " ".join(place.split())[:120]
        with self._write() as db:
            if not place:
                db.execute("DELETE FROM kiosk_places WHERE kiosk_id = ?", [kiosk_id])
                return
            db.execute(
                "INSERT INTO kiosk_places (kiosk_id, place, updated_at, updated_by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kiosk_id) DO UPDATE SET place = excluded.place, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                [kiosk_id, place, utc_timestamp(), staff.username],
            )

    def kiosk_places(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT kiosk_id, place FROM kiosk_places").fetchall())

    # -- access log ------------------------------------------------------------------------------

    def log_access(self, staff: Staff, action: str, reference: str, *, kiosk_id: str = "", service: str = "") -> None:
        """Record an opening (never its content)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO access_log (at, username, action, reference, kiosk_id, service) VALUES (?, ?, ?, ?, ?, ?)",
                [utc_timestamp(), staff.username, action, reference, kiosk_id, service],
            )

    def log_accesses(self, staff: Staff, action: str, items: list[tuple[str, str, str]]) -> None:
        """Record the same action on many applications (``(code, kiosk id, service)``) at once."""
        stamp = utc_timestamp()
        with self._write() as db:
            db.executemany(
                "INSERT INTO access_log (at, username, action, reference, kiosk_id, service) VALUES (?, ?, ?, ?, ?, ?)",
                [(stamp, staff.username, action, code, kiosk_id, service) for code, kiosk_id, service in items],
            )

    def access_log(self, *, reference: str | None = None, limit: int = 500) -> list[AccessRecord]:
        """The latest openings first; of one application when ``reference`` is given."""
        where, params = ("WHERE reference = ?", [reference]) if reference else ("", [])
        with self._lock:
            rows = self._db.execute(
                f"SELECT at, username, action, reference, kiosk_id, service FROM access_log {where} "
                "ORDER BY id DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
        return [AccessRecord(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.conn.close()

    def __enter__(self) -> "AccountStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Transaction:
    """``with store._write() as db``: one immediate transaction under the store's lock."""

    def __init__(self, store: AccountStore) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        self.store._db.execute("BEGIN IMMEDIATE")
        return self.store._db.conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            if exc_type is None:
                self.store._db.execute("COMMIT")
            elif self.store._db.conn.in_transaction:
                self.store._db.execute("ROLLBACK")
        finally:
            self.store._lock.release()


COMMAND_LINE_SUFFIX = " (rathaus inbox)"
"""Marks who opened an application on the command line in the access log: the system user, as
``sudo`` reports it, is no workplace account."""


def record_command_line_access(townhall_dir: Path, action: str, items: list[tuple[str, str, str]]) -> None:
    """Write openings made with ``rathaus inbox`` (``(code, kiosk id, service)`` each) into the
    same access log as the workplace's, so the head of office sees those too."""
    import getpass
    import os

    who = os.environ.get("SUDO_USER") or getpass.getuser()
    staff = Staff(who + COMMAND_LINE_SUFFIX, who, "it")
    with open_accounts(townhall_dir) as accounts:
        accounts.log_accesses(staff, action, items)


def open_accounts(townhall_dir: Path, *, hasher: PasswordHasher | None = None, lang: str = "de") -> AccountStore:
    """The staff accounts of a town hall: ``<townhall_dir>/staff/staff.db``."""
    return AccountStore(staff_dir(townhall_dir) / DB_NAME, hasher=hasher, lang=lang)


def staff_dir(townhall_dir: Path) -> Path:
    return Path(townhall_dir) / STAFF_DIR


__all__ = [
    "AccessRecord",
    "AccountStore",
    "LoginRefused",
    "ROLES",
    "Staff",
    "lock_seconds",
    "open_accounts",
]
