"""The town hall's database schema, for SQLite and PostgreSQL, from one list of numbered steps.

Each ``Step`` has a name (``0003_towns``) and its SQL for each backend: one list of statements for
SQLite and one for PostgreSQL (the same text where it is portable). ``apply`` runs, in order, every
step a database has not run yet, each in one transaction together with its row in
``schema_migrations``, so a fresh database and one upgraded step by step end the same, and a
failed step leaves the database as it was.

Two lists: ``TOWNHALL_STEPS`` (batches, items, staff answers, enrolled kiosks) and
``UPLOAD_STEPS`` (half-finished uploads). With SQLite they go to two files (``townhall.db``,
``uploads.db``, which may be deleted at any time); with PostgreSQL both go to the one database.

Town-hall databases made before this module recorded their steps with ``sqlite_utils``'s
``_sqlite_migrations`` table; those records are taken over (and that table dropped) on first open.
Such a database may also have run the staff workplace's ``0003_damage_paper_kiosk_contacts`` (one
town, no ``town`` column): ``0003_towns`` sets its damaged marks and kiosk contacts aside and
``0005_damage_paper_kiosk_contacts`` takes them into the town ``default``, so it ends as every
other database does.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Sequence, Union

MIGRATIONS_TABLE = "schema_migrations"
_LEGACY_SQLITE_TABLE = "_sqlite_migrations"
_LEGACY_SET = "rathaus-townhall"
_PG_LOCK_KEY = 0x72617468  # "rath": one advisory lock for every migration run on a database


SqliteStatement = Union[str, Callable[[sqlite3.Connection], None]]
"""SQL text, or a function for what depends on what an older database holds."""


@dataclass(frozen=True)
class Step:
    """One schema change: its statements for SQLite and for PostgreSQL."""

    name: str
    sqlite: Sequence[SqliteStatement]
    postgres: Sequence[str]


def _both(*statements: str) -> dict[str, Sequence[str]]:
    return {"sqlite": statements, "postgres": statements}


_PARKED_DAMAGE = "_parked_item_damage"
_PARKED_CONTACTS = "_parked_kiosk_contacts"


def _sqlite_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _sqlite_has_table(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone() is not None


def _park_workplace_records(conn: sqlite3.Connection) -> None:
    """A single town's database that ran the workplace's step before towns came: keep its damaged
    marks and kiosk contacts aside while the tables are rebuilt (its paper batch and paper items
    are rebuilt with the rest)."""
    if "damaged" in _sqlite_columns(conn, "items"):
        conn.execute(
            f"CREATE TABLE {_PARKED_DAMAGE} AS SELECT kiosk_id, reference, damaged FROM items "
            "WHERE damaged IS NOT NULL"
        )
    if _sqlite_has_table(conn, "kiosk_contacts") and "town" not in _sqlite_columns(conn, "kiosk_contacts"):
        conn.execute(f"ALTER TABLE kiosk_contacts RENAME TO {_PARKED_CONTACTS}")


def _unpark_workplace_records(conn: sqlite3.Connection) -> None:
    """What ``_park_workplace_records`` set aside, back in place for the town ``default``."""
    if _sqlite_has_table(conn, _PARKED_DAMAGE):
        conn.execute(
            f"UPDATE items SET damaged = (SELECT p.damaged FROM {_PARKED_DAMAGE} p "
            "WHERE p.kiosk_id = items.kiosk_id AND p.reference = items.reference) "
            f"WHERE town = 'default' AND EXISTS (SELECT 1 FROM {_PARKED_DAMAGE} p "
            "WHERE p.kiosk_id = items.kiosk_id AND p.reference = items.reference)"
        )
        conn.execute(f"DROP TABLE {_PARKED_DAMAGE}")
    if _sqlite_has_table(conn, _PARKED_CONTACTS):
        conn.execute(
            "INSERT INTO kiosk_contacts (town, kiosk_id, last_seen_at, last_kind, last_batch_at, "
            "last_batch_items) SELECT 'default', kiosk_id, last_seen_at, last_kind, last_batch_at, "
            f"last_batch_items FROM {_PARKED_CONTACTS}"
        )
        conn.execute(f"DROP TABLE {_PARKED_CONTACTS}")


TOWNHALL_STEPS: tuple[Step, ...] = (
    Step(
        "0001_batches_items_status",
        sqlite=(
            """CREATE TABLE batches (
                batch_id     TEXT PRIMARY KEY,
                kiosk_id     TEXT NOT NULL,
                sequence     INTEGER NOT NULL,
                created_at   TEXT NOT NULL,
                received_at  TEXT NOT NULL,
                item_count   INTEGER NOT NULL,
                item_digests TEXT NOT NULL
            )""",
            "CREATE INDEX batches_by_kiosk ON batches (kiosk_id, sequence)",
            """CREATE TABLE items (
                reference    TEXT NOT NULL,
                digest       TEXT NOT NULL UNIQUE,
                batch_id     TEXT NOT NULL REFERENCES batches (batch_id),
                kiosk_id     TEXT NOT NULL,
                form_id      TEXT NOT NULL,
                form_version,
                form_hash    TEXT NOT NULL,
                captured_at  TEXT NOT NULL,
                received_at  TEXT NOT NULL,
                sealed       BLOB NOT NULL,
                opened_at    TEXT,
                exported_at  TEXT,
                PRIMARY KEY (kiosk_id, reference)
            )""",
            "CREATE INDEX items_by_reference ON items (reference)",
            "CREATE INDEX items_by_form ON items (form_id, received_at)",
            """CREATE TABLE status_updates (
                serial      INTEGER PRIMARY KEY AUTOINCREMENT,
                reference   TEXT NOT NULL,
                kiosk_id    TEXT NOT NULL,
                status      TEXT NOT NULL,
                message     TEXT NOT NULL DEFAULT '',
                updated_at  TEXT NOT NULL,
                staff_note  TEXT NOT NULL DEFAULT '',
                FOREIGN KEY (kiosk_id, reference) REFERENCES items (kiosk_id, reference)
            )""",
            "CREATE INDEX status_by_kiosk ON status_updates (kiosk_id, serial)",
            "CREATE INDEX status_by_item ON status_updates (kiosk_id, reference, serial)",
        ),
        postgres=(
            """CREATE TABLE batches (
                batch_id     TEXT PRIMARY KEY,
                kiosk_id     TEXT NOT NULL,
                sequence     BIGINT NOT NULL,
                created_at   TEXT NOT NULL,
                received_at  TEXT NOT NULL,
                item_count   INTEGER NOT NULL,
                item_digests TEXT NOT NULL
            )""",
            "CREATE INDEX batches_by_kiosk ON batches (kiosk_id, sequence)",
            # rowid: the order items were stored in, as SQLite's implicit rowid gives it
            """CREATE TABLE items (
                reference    TEXT NOT NULL,
                digest       TEXT NOT NULL UNIQUE,
                batch_id     TEXT NOT NULL REFERENCES batches (batch_id),
                kiosk_id     TEXT NOT NULL,
                form_id      TEXT NOT NULL,
                form_version TEXT,
                form_hash    TEXT NOT NULL,
                captured_at  TEXT NOT NULL,
                received_at  TEXT NOT NULL,
                sealed       BYTEA NOT NULL,
                opened_at    TEXT,
                exported_at  TEXT,
                rowid        BIGINT GENERATED ALWAYS AS IDENTITY,
                PRIMARY KEY (kiosk_id, reference)
            )""",
            "CREATE INDEX items_by_reference ON items (reference)",
            "CREATE INDEX items_by_form ON items (form_id, received_at)",
            """CREATE TABLE status_updates (
                serial      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                reference   TEXT NOT NULL,
                kiosk_id    TEXT NOT NULL,
                status      TEXT NOT NULL,
                message     TEXT NOT NULL DEFAULT '',
                updated_at  TEXT NOT NULL,
                staff_note  TEXT NOT NULL DEFAULT '',
                FOREIGN KEY (kiosk_id, reference) REFERENCES items (kiosk_id, reference)
            )""",
            "CREATE INDEX status_by_kiosk ON status_updates (kiosk_id, serial)",
            "CREATE INDEX status_by_item ON status_updates (kiosk_id, reference, serial)",
        ),
    ),
    Step(
        "0002_refused_items",
        # Which items of a batch were refused (JSON list of {digest, code}), so the same batch
        # sent again gets the same acknowledgement and staff can count conflicts.
        **_both("ALTER TABLE batches ADD COLUMN refused TEXT NOT NULL DEFAULT '[]'"),
    ),
    Step(
        "0003_towns",
        # Every row belongs to one town; keys and references are unique within a town only, so
        # one town's kiosks can neither collide with nor find another town's records. Rows from
        # before belong to the town "default" (a single town hall's own database).
        sqlite=(
            _park_workplace_records,
            """CREATE TABLE batches_new (
                batch_id     TEXT NOT NULL,
                kiosk_id     TEXT NOT NULL,
                sequence     INTEGER NOT NULL,
                created_at   TEXT NOT NULL,
                received_at  TEXT NOT NULL,
                item_count   INTEGER NOT NULL,
                item_digests TEXT NOT NULL,
                refused      TEXT NOT NULL DEFAULT '[]',
                town         TEXT NOT NULL DEFAULT 'default',
                PRIMARY KEY (town, batch_id)
            )""",
            "INSERT INTO batches_new SELECT batch_id, kiosk_id, sequence, created_at, received_at, "
            "item_count, item_digests, refused, 'default' FROM batches",
            """CREATE TABLE items_new (
                reference    TEXT NOT NULL,
                digest       TEXT NOT NULL,
                batch_id     TEXT NOT NULL,
                kiosk_id     TEXT NOT NULL,
                form_id      TEXT NOT NULL,
                form_version,
                form_hash    TEXT NOT NULL,
                captured_at  TEXT NOT NULL,
                received_at  TEXT NOT NULL,
                sealed       BLOB NOT NULL,
                opened_at    TEXT,
                exported_at  TEXT,
                town         TEXT NOT NULL DEFAULT 'default',
                PRIMARY KEY (town, kiosk_id, reference),
                UNIQUE (town, digest),
                FOREIGN KEY (town, batch_id) REFERENCES batches (town, batch_id)
            )""",
            "INSERT INTO items_new SELECT reference, digest, batch_id, kiosk_id, form_id, form_version, "
            "form_hash, captured_at, received_at, sealed, opened_at, exported_at, 'default' "
            "FROM items ORDER BY rowid",
            """CREATE TABLE status_updates_new (
                serial      INTEGER PRIMARY KEY AUTOINCREMENT,
                reference   TEXT NOT NULL,
                kiosk_id    TEXT NOT NULL,
                status      TEXT NOT NULL,
                message     TEXT NOT NULL DEFAULT '',
                updated_at  TEXT NOT NULL,
                staff_note  TEXT NOT NULL DEFAULT '',
                town        TEXT NOT NULL DEFAULT 'default',
                FOREIGN KEY (town, kiosk_id, reference) REFERENCES items (town, kiosk_id, reference)
            )""",
            "INSERT INTO status_updates_new SELECT serial, reference, kiosk_id, status, message, "
            "updated_at, staff_note, 'default' FROM status_updates",
            "DROP TABLE status_updates",
            "DROP TABLE items",
            "DROP TABLE batches",
            "ALTER TABLE batches_new RENAME TO batches",
            "ALTER TABLE items_new RENAME TO items",
            "ALTER TABLE status_updates_new RENAME TO status_updates",
            "CREATE INDEX batches_by_kiosk ON batches (town, kiosk_id, sequence)",
            "CREATE INDEX items_by_reference ON items (town, reference)",
            "CREATE INDEX items_by_form ON items (town, form_id, received_at)",
            "CREATE INDEX status_by_kiosk ON status_updates (town, kiosk_id, serial)",
            "CREATE INDEX status_by_item ON status_updates (town, kiosk_id, reference, serial)",
        ),
        postgres=(
            "ALTER TABLE batches ADD COLUMN town TEXT NOT NULL DEFAULT 'default'",
            "ALTER TABLE items ADD COLUMN town TEXT NOT NULL DEFAULT 'default'",
            "ALTER TABLE status_updates ADD COLUMN town TEXT NOT NULL DEFAULT 'default'",
            "ALTER TABLE status_updates DROP CONSTRAINT status_updates_kiosk_id_reference_fkey",
            "ALTER TABLE items DROP CONSTRAINT items_batch_id_fkey",
            "ALTER TABLE items DROP CONSTRAINT items_pkey",
            "ALTER TABLE items DROP CONSTRAINT items_digest_key",
            "ALTER TABLE batches DROP CONSTRAINT batches_pkey",
            "ALTER TABLE batches ADD PRIMARY KEY (town, batch_id)",
            "ALTER TABLE items ADD PRIMARY KEY (town, kiosk_id, reference)",
            "ALTER TABLE items ADD CONSTRAINT items_town_digest_key UNIQUE (town, digest)",
            "ALTER TABLE items ADD CONSTRAINT items_batch_fkey FOREIGN KEY (town, batch_id) "
            "REFERENCES batches (town, batch_id)",
            "ALTER TABLE status_updates ADD CONSTRAINT status_updates_item_fkey "
            "FOREIGN KEY (town, kiosk_id, reference) REFERENCES items (town, kiosk_id, reference)",
            "DROP INDEX batches_by_kiosk",
            "DROP INDEX items_by_reference",
            "DROP INDEX items_by_form",
            "DROP INDEX status_by_kiosk",
            "DROP INDEX status_by_item",
            "CREATE INDEX batches_by_kiosk ON batches (town, kiosk_id, sequence)",
            "CREATE INDEX items_by_reference ON items (town, reference)",
            "CREATE INDEX items_by_form ON items (town, form_id, received_at)",
            "CREATE INDEX status_by_kiosk ON status_updates (town, kiosk_id, serial)",
            "CREATE INDEX status_by_item ON status_updates (town, kiosk_id, reference, serial)",
        ),
    ),
    Step(
        "0004_kiosk_approvals",
        # The enrolled kiosks of each town, when the records are in PostgreSQL (a single town on
        # SQLite keeps keys/kiosks.json). One row per approved key; a revoked row stays, so a
        # revoked key can never be enrolled again. Only the administrators' role may write it
        # (deploy/server/roles.sql): the server's role reads it.
        **_both(
            """CREATE TABLE kiosk_approvals (
                town               TEXT NOT NULL,
                fingerprint        TEXT NOT NULL,
                kiosk_id           TEXT NOT NULL,
                signing_public_key TEXT NOT NULL,
                approved_at        TEXT NOT NULL,
                revoked_at         TEXT,
                revoke_reason      TEXT NOT NULL DEFAULT '',
                PRIMARY KEY (town, fingerprint)
            )""",
            "CREATE INDEX kiosk_approvals_by_kiosk ON kiosk_approvals (town, kiosk_id)",
        ),
    ),
    Step(
        "0005_damage_paper_kiosk_contacts",
        # For the staff workplace. An item staff could not open is marked (never deleted: it is
        # evidence). Applications handed in on paper are items of the kiosk "(paper)" in a batch
        # "paper" of their town (made with the town's first one). The last contact of each kiosk,
        # per town, lets staff notice a kiosk that fell silent.
        sqlite=(
            "ALTER TABLE items ADD COLUMN damaged TEXT",
            """CREATE TABLE kiosk_contacts (
                town              TEXT NOT NULL,
                kiosk_id          TEXT NOT NULL,
                last_seen_at      TEXT NOT NULL,
                last_kind         TEXT NOT NULL,
                last_batch_at     TEXT,
                last_batch_items  INTEGER,
                PRIMARY KEY (town, kiosk_id)
            )""",
            _unpark_workplace_records,
        ),
        postgres=(
            "ALTER TABLE items ADD COLUMN damaged TEXT",
            """CREATE TABLE kiosk_contacts (
                town              TEXT NOT NULL,
                kiosk_id          TEXT NOT NULL,
                last_seen_at      TEXT NOT NULL,
                last_kind         TEXT NOT NULL,
                last_batch_at     TEXT,
                last_batch_items  INTEGER,
                PRIMARY KEY (town, kiosk_id)
            )""",
        ),
    ),
)


UPLOAD_STEPS: tuple[Step, ...] = (
    Step(
        "uploads_0001_towns",
        # Spools from before had no town; half-uploads may be dropped at any time (kiosks start
        # them again), so the tables are made afresh.
        sqlite=(
            "DROP TABLE IF EXISTS upload_chunks",
            "DROP TABLE IF EXISTS finished_uploads",
            "DROP TABLE IF EXISTS uploads",
            """CREATE TABLE uploads (
                upload_id     TEXT PRIMARY KEY,
                town          TEXT NOT NULL,
                kiosk_id      TEXT NOT NULL,
                batch_id      TEXT NOT NULL,
                batch_digest  TEXT NOT NULL,
                length        INTEGER NOT NULL,
                upload_offset INTEGER NOT NULL DEFAULT 0,
                created_at    REAL NOT NULL,
                touched_at    REAL NOT NULL,
                UNIQUE (town, kiosk_id, batch_id)
            )""",
            """CREATE TABLE finished_uploads (
                town         TEXT NOT NULL,
                kiosk_id     TEXT NOT NULL,
                batch_id     TEXT NOT NULL,
                batch_digest TEXT NOT NULL,
                ack          BLOB NOT NULL,
                finished_at  REAL NOT NULL,
                PRIMARY KEY (town, kiosk_id, batch_id)
            )""",
            """CREATE TABLE upload_chunks (
                upload_id TEXT NOT NULL REFERENCES uploads (upload_id) ON DELETE CASCADE,
                start     INTEGER NOT NULL,
                data      BLOB NOT NULL,
                PRIMARY KEY (upload_id, start)
            )""",
        ),
        postgres=(
            """CREATE TABLE uploads (
                upload_id     TEXT PRIMARY KEY,
                town          TEXT NOT NULL,
                kiosk_id      TEXT NOT NULL,
                batch_id      TEXT NOT NULL,
                batch_digest  TEXT NOT NULL,
                length        BIGINT NOT NULL,
                upload_offset BIGINT NOT NULL DEFAULT 0,
                created_at    DOUBLE PRECISION NOT NULL,
                touched_at    DOUBLE PRECISION NOT NULL,
                UNIQUE (town, kiosk_id, batch_id)
            )""",
            """CREATE TABLE finished_uploads (
                town         TEXT NOT NULL,
                kiosk_id     TEXT NOT NULL,
                batch_id     TEXT NOT NULL,
                batch_digest TEXT NOT NULL,
                ack          BYTEA NOT NULL,
                finished_at  DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (town, kiosk_id, batch_id)
            )""",
            """CREATE TABLE upload_chunks (
                upload_id TEXT NOT NULL REFERENCES uploads (upload_id) ON DELETE CASCADE,
                start     BIGINT NOT NULL,
                data      BYTEA NOT NULL,
                PRIMARY KEY (upload_id, start)
            )""",
        ),
    ),
)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


_CREATE_RECORD = (
    f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
)


def apply_sqlite(conn: sqlite3.Connection, steps: Sequence[Step], *, stop_before: str | None = None) -> list[str]:
    """Run the steps this SQLite database has not run; returns their names.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Foreign keys are off while a
    step rebuilds tables and checked before its transaction commits."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_CREATE_RECORD)
        _take_over_sqlite_utils_records(conn)
        done = {row[0] for row in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    ran: list[str] = []
    (foreign_keys,) = conn.execute("PRAGMA foreign_keys").fetchone()
    conn.execute("PRAGMA foreign_keys=OFF")  # no effect inside a transaction, so set here
    try:
        for step in steps:
            if step.name == stop_before:
                break
            if step.name in done:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute(f"SELECT 1 FROM {MIGRATIONS_TABLE} WHERE name = ?", [step.name]).fetchone():
                    conn.execute("COMMIT")  # another process ran it meanwhile
                    continue
                for statement in step.sqlite:
                    if callable(statement):
                        statement(conn)
                    else:
                        conn.execute(statement)
                broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise sqlite3.IntegrityError(f"step {step.name} breaks foreign keys: {broken[:3]}")
                conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)", [step.name, _now()])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            ran.append(step.name)
    finally:
        conn.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    return ran


def _take_over_sqlite_utils_records(conn: sqlite3.Connection) -> None:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [_LEGACY_SQLITE_TABLE]
    ).fetchone()
    if not exists:
        return
    conn.execute(
        f"INSERT OR IGNORE INTO {MIGRATIONS_TABLE} (name, applied_at) "
        f"SELECT name, applied_at FROM {_LEGACY_SQLITE_TABLE} WHERE migration_set = ?",
        [_LEGACY_SET],
    )
    (others,) = conn.execute(
        f"SELECT count(*) FROM {_LEGACY_SQLITE_TABLE} WHERE migration_set != ?", [_LEGACY_SET]
    ).fetchone()
    if not others:
        conn.execute(f"DROP TABLE {_LEGACY_SQLITE_TABLE}")


def apply_postgres(conn: Any, steps: Sequence[Step], *, stop_before: str | None = None) -> list[str]:
    """Run the steps this PostgreSQL database has not run; returns their names.

    ``conn`` is an autocommit psycopg connection. All steps run under one advisory lock, so
    several workers starting at once do not run a step twice; each step is one transaction."""
    ran: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        conn.execute(_CREATE_RECORD)
    for step in steps:
        if step.name == stop_before:
            break
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
            if conn.execute(f"SELECT 1 FROM {MIGRATIONS_TABLE} WHERE name = %s", [step.name]).fetchone():
                continue
            for statement in step.postgres:
                conn.execute(statement)
            conn.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (%s, %s)", [step.name, _now()]
            )
        ran.append(step.name)
    return ran


def pending_postgres(conn: Any, steps: Sequence[Step]) -> list[str]:
    """The steps not yet run on this PostgreSQL database (without changing it)."""
    exists = conn.execute("SELECT to_regclass(%s)", [MIGRATIONS_TABLE]).fetchone()[0]
    done = set()
    if exists is not None:
        done = {row[0] for row in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}
    return [step.name for step in steps if step.name not in done]
