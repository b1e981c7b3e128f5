"""The kiosk database's schema, as numbered steps that only ever add.

A kiosk updated from an older version runs the steps it has not seen yet; a new kiosk runs them
all, and both end with the same schema. Steps are never edited once released: a change is a new
step at the end. A database already touched by a newer version (a step we do not know) is refused
rather than guessed at. The CHECK constraints make the queue's rules part of the file itself, so
no bug can store a sent item without its batch or keep sealed bytes after acknowledgement.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from kiosk.errors import StoreError
from kiosk.i18n import language_from_environment, translator

MIGRATION_SET = "rathaus-kiosk"

migrations = Migrations(MIGRATION_SET)
_step_names: list[str] = []


def _step(name: str):  # type: ignore[no-untyped-def]
    """Register a numbered step and remember its name (to recognise a newer database)."""
    _step_names.append(name)
    return migrations(name=name)


@_step("0001_outbox_and_batches")
def _outbox_and_batches(db: sqlite_utils.Database) -> None:
    """Sealed submissions waiting to go to the town hall, and the batches that carry them."""
    db.execute(
        """
        CREATE TABLE batches (
            batch_id TEXT PRIMARY KEY,
            sequence INTEGER NOT NULL UNIQUE CHECK (sequence > 0),
            created_at TEXT NOT NULL,
            data BLOB,
            state TEXT NOT NULL CHECK (state IN ('pending', 'acknowledged')),
            sent_attempts INTEGER NOT NULL DEFAULT 0 CHECK (sent_attempts >= 0),
            last_attempt_at TEXT,
            acknowledged_at TEXT,
            CHECK ((state = 'pending') = (data IS NOT NULL)),
            CHECK ((state = 'acknowledged') = (acknowledged_at IS NOT NULL))
        )
        """
    )
    db.execute(
        """
        CREATE TABLE outbox (
            reference TEXT PRIMARY KEY,
            position INTEGER NOT NULL UNIQUE,
            form_id TEXT NOT NULL,
            form_version TEXT NOT NULL,
            form_hash TEXT NOT NULL,
            captured_at TEXT NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('queued', 'sent', 'acknowledged', 'answered')),
            sealed BLOB,
            item_digest TEXT NOT NULL,
            batch_id TEXT REFERENCES batches (batch_id),
            sent_at TEXT,
            acknowledged_at TEXT,
            CHECK ((state = 'queued') = (batch_id IS NULL)),
            CHECK (state NOT IN ('queued', 'sent') OR sealed IS NOT NULL),
            CHECK (state <> 'acknowledged' OR sealed IS NULL)
        )
        """
    )
    db["outbox"].create_index(["state", "position"], index_name="outbox_by_state")
    db["outbox"].create_index(["batch_id"], index_name="outbox_by_batch")


@_step("0002_townhall_status")
def _townhall_status(db: sqlite_utils.Database) -> None:
    """The town hall's answers for receipt look-ups, and small settings such as the sync time."""
    outbox = db.table("outbox")
    outbox.add_column("status", str)
    outbox.add_column("status_message", str)
    outbox.add_column("status_updated_at", str)
    outbox.add_column("status_serial", int)
    db.table("settings").create({"key": str, "value": str}, pk="key", not_null={"value"})


@_step("0003_refused_items")
def _refused_items(db: sqlite_utils.Database) -> None:
    """Items the town hall refused by name (its acknowledgement's ``refused``): back in the queue
    with the code, kept sealed, not sent again on their own, shown to staff as needing attention."""
    outbox = db.table("outbox")
    outbox.add_column("refused_code", str)
    outbox.add_column("refused_at", str)
    db.execute(
        "CREATE INDEX outbox_needing_attention ON outbox (refused_code) WHERE refused_code IS NOT NULL"
    )


@_step("0004_download_channels")
def _download_channels(db: sqlite_utils.Database) -> None:
    """Per download channel the version held and the town hall's as-of time of it; entries of
    channels without a table of their own. The status cursor becomes channel ``status``."""
    db.execute(
        """
        CREATE TABLE channels (
            name TEXT PRIMARY KEY,
            version INTEGER NOT NULL CHECK (version >= 0),
            as_of TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE channel_entries (
            channel TEXT NOT NULL REFERENCES channels (name),
            position INTEGER NOT NULL CHECK (position >= 0),
            entry TEXT NOT NULL,
            PRIMARY KEY (channel, position)
        )
        """
    )
    db.execute(
        "INSERT INTO channels (name, version, as_of)"
        " SELECT 'status', CAST(value AS INTEGER), NULL FROM settings WHERE key = 'status_cursor'"
    )
    db.execute("DELETE FROM settings WHERE key = 'status_cursor'")


@_step("0005_warnings")
def _warnings(db: sqlite_utils.Database) -> None:
    """The town hall's latest snapshot of official warnings (channel ``warnings``): each warning
    as its checked JSON entry, with its severity and expiry for ordering and filtering."""
    db.execute(
        """
        CREATE TABLE warnings (
            position INTEGER PRIMARY KEY CHECK (position >= 0),
            identifier TEXT NOT NULL,
            severity_rank INTEGER NOT NULL,
            expires TEXT,
            entry TEXT NOT NULL
        )
        """
    )


@_step("0006_queue_indexes")
def _queue_indexes(db: sqlite_utils.Database) -> None:
    """What the status line and the staff screen read stays as quick with 100,000 items waiting as
    with ten: a running tally per state (items and sealed bytes, refused ones apart) kept by
    triggers in the very transaction that changes a row, so it can never drift from the outbox,
    and the refused items in an index of their own, in queue order."""
    db.execute(
        """
        CREATE TABLE outbox_tally (
            state TEXT NOT NULL,
            refused INTEGER NOT NULL CHECK (refused IN (0, 1)),
            items INTEGER NOT NULL CHECK (items >= 0),
            sealed_bytes INTEGER NOT NULL CHECK (sealed_bytes >= 0),
            PRIMARY KEY (state, refused)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        "INSERT INTO outbox_tally (state, refused, items, sealed_bytes)"
        " SELECT state, refused_code IS NOT NULL, COUNT(*), COALESCE(SUM(LENGTH(sealed)), 0)"
        " FROM outbox GROUP BY state, refused_code IS NOT NULL"
    )
    add = (
        "INSERT INTO outbox_tally (state, refused, items, sealed_bytes)"
        " VALUES (NEW.state, NEW.refused_code IS NOT NULL, 1, COALESCE(LENGTH(NEW.sealed), 0))"
        " ON CONFLICT (state, refused) DO UPDATE SET items = items + 1,"
        " sealed_bytes = sealed_bytes + excluded.sealed_bytes;"
    )
    remove = (
        "UPDATE outbox_tally SET items = items - 1, sealed_bytes = sealed_bytes - COALESCE(LENGTH(OLD.sealed), 0)"
        " WHERE state = OLD.state AND refused = (OLD.refused_code IS NOT NULL);"
    )
    db.execute(f"CREATE TRIGGER outbox_tally_insert AFTER INSERT ON outbox BEGIN {add} END")
    db.execute(f"CREATE TRIGGER outbox_tally_delete AFTER DELETE ON outbox BEGIN {remove} END")
    db.execute(
        "CREATE TRIGGER outbox_tally_update AFTER UPDATE OF state, sealed, refused_code ON outbox"
        " WHEN OLD.state IS NOT NEW.state OR OLD.refused_code IS NOT NEW.refused_code"
        " OR LENGTH(OLD.sealed) IS NOT LENGTH(NEW.sealed)"
        f" BEGIN {remove} {add} END"
    )
    db.execute("DROP INDEX outbox_needing_attention")
    db.execute(
        "CREATE INDEX outbox_needing_attention ON outbox (position, refused_code)"
        " WHERE refused_code IS NOT NULL"
    )


@_step("0007_assisted_mode")
def _assisted_mode(db: sqlite_utils.Database) -> None:
    """The audit chain of on-behalf actions (append-only: triggers refuse changing or deleting an
    entry; only the batch that carried it is noted), and paused drafts, sealed under a key only
    the pause slip's code gives."""
    db.execute(
        """
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY CHECK (seq > 0),
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            reference TEXT NOT NULL,
            prev TEXT NOT NULL,
            hash TEXT NOT NULL,
            batch_id TEXT REFERENCES batches (batch_id)
        )
        """
    )
    db.execute(  # only entries the town hall holds may go, and never the last (the chain goes on from it)
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
        " WHEN OLD.batch_id IS NULL"
        " OR (SELECT state FROM batches WHERE batch_id = OLD.batch_id) IS NOT 'acknowledged'"
        " OR OLD.seq = (SELECT MAX(seq) FROM audit_log)"
        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER audit_log_no_rewrite BEFORE UPDATE OF seq, at, action, actor, reference,"
        " prev, hash ON audit_log"
        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    db.execute(
        """
        CREATE TABLE paused_drafts (
            lookup TEXT PRIMARY KEY,
            sealed BLOB NOT NULL,
            paused_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )
        """
    )


@_step("0008_appointments")
def _appointments(db: sqlite_utils.Database) -> None:
    """Appointments booked at this kiosk (from its quota, or requested), with the unit they took,
    their number in the kiosk's quota bookings and, for a vaccination, the Argon2id check of the
    date of birth (never the date); and the wrong tries at code + date of birth, per scope."""
    db.execute(
        """
        CREATE TABLE appointments (
            reference TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            unit TEXT UNIQUE,
            serial INTEGER UNIQUE CHECK (serial IS NULL OR serial >= 1),
            starts_at TEXT,
            ends_at TEXT,
            place TEXT,
            birth_check TEXT,
            cancelled_at TEXT,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE wrong_tries (
            scope TEXT PRIMARY KEY,
            failures INTEGER NOT NULL CHECK (failures >= 0),
            locked_until REAL NOT NULL
        )
        """
    )


def migrate(db: sqlite_utils.Database, *, stop_before: str | None = None) -> None:
    """Bring ``db`` to the current schema inside one transaction that blocks other writers.

    ``stop_before`` leaves the database at an older step (used to test upgrades).
    """
    known = set(_step_names)
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        newer = [m.name for m in migrations.applied(db) if m.name not in known]
        if newer:
            _ = translator(language_from_environment())
            raise StoreError(
                _(
                    "The kiosk database was written by a newer version of Rathaus-Kiosk. "
                    "Please install that version again."
                ),
                detail="unknown migrations: " + ", ".join(newer),
            )
        migrations.apply(db, stop_before=stop_before)
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def known_migrations() -> list[str]:
    """Names of all steps this version knows, in order."""
    return list(_step_names)


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    """Names of the steps this database has been through, oldest first."""
    return [m.name for m in migrations.applied(db)]
