"""The town hall's schema: one list of steps for both backends; fresh and upgraded databases end the same."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils
from sqlite_utils import Migrations

from sync.server.schema import (
    MIGRATIONS_TABLE,
    TOWNHALL_STEPS,
    UPLOAD_STEPS,
    apply_postgres,
    apply_sqlite,
)
from sync.server.storage import SqliteStorage
from sync.server.upload_store import UploadStore


def _sqlite_schema(path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    return {name: " ".join((sql or "").split()) for name, sql in rows}


def _make_database_of_the_first_release(path) -> None:
    """A town-hall database as the first releases made it: ``sqlite_utils`` migrations 0001/0002."""
    old = Migrations("rathaus-townhall")
    first, second = TOWNHALL_STEPS[0], TOWNHALL_STEPS[1]

    @old(name=first.name)
    def _first(db: sqlite_utils.Database) -> None:
        for statement in first.sqlite:
            db.execute(statement)

    @old(name=second.name)
    def _second(db: sqlite_utils.Database) -> None:
        for statement in second.sqlite:
            db.execute(statement)

    db = sqlite_utils.Database(path)
    old.apply(db)
    db.execute(
        "INSERT INTO batches (batch_id, kiosk_id, sequence, created_at, received_at, item_count, item_digests) "
        "VALUES ('b1', 'kiosk-a', 1, '2026-03-01T09:30:00Z', '2026-03-01T10:00:00Z', 1, '[\"d1\"]')"
    )
    db.execute(
        "INSERT INTO items (reference, digest, batch_id, kiosk_id, form_id, form_version, form_hash, "
        "captured_at, received_at, sealed) VALUES ('AAAAAAAA1', 'd1', 'b1', 'kiosk-a', 'hausnummer', "
        "'1', 'ff', '2026-03-01T09:00:00Z', '2026-03-01T10:00:00Z', x'00ff')"
    )
    db.execute(
        "INSERT INTO status_updates (reference, kiosk_id, status, updated_at) "
        "VALUES ('AAAAAAAA1', 'kiosk-a', 'accepted', '2026-03-02T08:00:00Z')"
    )
    db.conn.commit()
    db.close()


def test_an_sqlite_database_of_the_first_release_is_upgraded_to_what_a_fresh_one_is(tmp_path):
    old, fresh = tmp_path / "old.db", tmp_path / "fresh.db"
    _make_database_of_the_first_release(old)

    with SqliteStorage(old) as upgraded:
        assert upgraded.item("AAAAAAAA1").sealed == b"\x00\xff"  # the held application is kept
        assert [s.status for s in upgraded.status_history("AAAAAAAA1")] == ["accepted"]
        assert upgraded.find_batch("b1").item_digests == ("d1",)
    SqliteStorage(fresh).close()

    assert _sqlite_schema(old) == _sqlite_schema(fresh)
    with sqlite3.connect(old) as db:
        ran = [row[0] for row in db.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY name")]
        towns = db.execute("SELECT DISTINCT town FROM items").fetchall()
    assert ran == [step.name for step in TOWNHALL_STEPS]
    assert towns == [("default",)]


def test_opening_twice_runs_no_step_again(tmp_path):
    path = tmp_path / "townhall.db"
    SqliteStorage(path).close()
    with sqlite3.connect(path, isolation_level=None) as db:
        assert apply_sqlite(db, TOWNHALL_STEPS) == []


def test_an_upload_spool_of_the_first_release_is_made_afresh(tmp_path):
    """Half-uploads may always be dropped: kiosks start them again."""
    with sqlite3.connect(tmp_path / "uploads.db") as db:
        db.execute("CREATE TABLE uploads (upload_id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL)")
        db.execute("INSERT INTO uploads VALUES ('u1', 'kiosk-a')")
    UploadStore(tmp_path / "uploads.db").close()
    UploadStore(tmp_path / "fresh.db").close()

    assert _sqlite_schema(tmp_path / "uploads.db") == _sqlite_schema(tmp_path / "fresh.db")


def _postgres_schema(url: str) -> dict[str, list]:
    import psycopg

    with psycopg.connect(url) as db:
        return {
            "columns": db.execute(
                "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                "ORDER BY table_name, column_name"
            ).fetchall(),
            "constraints": db.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
            ).fetchall(),
            "indexes": db.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
            ).fetchall(),
        }


def test_a_postgres_database_upgraded_with_records_in_it_ends_as_a_fresh_one(postgres_server):
    import psycopg

    from sync.server.pg_storage import PostgresStorage

    fresh = postgres_server.create_database("schema_fresh")
    upgraded = postgres_server.create_database("schema_upgraded")
    with psycopg.connect(fresh, autocommit=True) as db:
        assert apply_postgres(db, TOWNHALL_STEPS + UPLOAD_STEPS) == [s.name for s in TOWNHALL_STEPS + UPLOAD_STEPS]
        assert apply_postgres(db, TOWNHALL_STEPS + UPLOAD_STEPS) == []
    with psycopg.connect(upgraded, autocommit=True) as db:
        apply_postgres(db, TOWNHALL_STEPS, stop_before="0003_towns")
        db.execute(
            "INSERT INTO batches (batch_id, kiosk_id, sequence, created_at, received_at, item_count, item_digests) "
            "VALUES ('b1', 'kiosk-a', 1, '2026-03-01T09:30:00Z', '2026-03-01T10:00:00Z', 1, '[\"d1\"]')"
        )
        db.execute(
            "INSERT INTO items (reference, digest, batch_id, kiosk_id, form_id, form_version, form_hash, "
            "captured_at, received_at, sealed) VALUES ('AAAAAAAA1', 'd1', 'b1', 'kiosk-a', 'hausnummer', "
            "'\"1\"', 'ff', '2026-03-01T09:00:00Z', '2026-03-01T10:00:00Z', '\\x00ff')"
        )
        db.execute(
            "INSERT INTO status_updates (reference, kiosk_id, status, updated_at) "
            "VALUES ('AAAAAAAA1', 'kiosk-a', 'accepted', '2026-03-02T08:00:00Z')"
        )
        apply_postgres(db, TOWNHALL_STEPS + UPLOAD_STEPS)

    assert _postgres_schema(upgraded) == _postgres_schema(fresh)
    storage = PostgresStorage(upgraded)  # the town "default": what was there before towns
    assert storage.item("AAAAAAAA1").sealed == b"\x00\xff"
    assert [s.status for s in storage.status_history("AAAAAAAA1")] == ["accepted"]
    assert PostgresStorage(upgraded, town="elsewhere").item("AAAAAAAA1") is None


def test_a_failed_step_leaves_the_database_as_it_was(tmp_path):
    from sync.server.schema import Step

    path = tmp_path / "t.db"
    broken = TOWNHALL_STEPS + (Step("0099_broken", sqlite=("CREATE TABLE extra (x)", "NOT SQL"), postgres=()),)
    with sqlite3.connect(path, isolation_level=None) as db:
        with pytest.raises(sqlite3.OperationalError):
            apply_sqlite(db, broken)
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        ran = {row[0] for row in db.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}
    assert "extra" not in names and "0099_broken" not in ran
    assert ran == {step.name for step in TOWNHALL_STEPS}


def _make_database_of_the_staff_workplace_release(path) -> None:
    """A single town's database as the release with the staff workplace left it: the first two
    steps, then ``0003_damage_paper_kiosk_contacts`` (no towns yet), with a damaged item, a paper
    application and a kiosk's last contact in it."""
    _make_database_of_the_first_release(path)
    old = Migrations("rathaus-townhall")

    @old(name="0003_damage_paper_kiosk_contacts")
    def _workplace(db: sqlite_utils.Database) -> None:
        db.execute("ALTER TABLE items ADD COLUMN damaged TEXT")
        db.execute(
            "INSERT INTO batches (batch_id, kiosk_id, sequence, created_at, received_at, item_count, "
            "item_digests) VALUES ('paper', '(paper)', 0, '', '', 0, '[]')"
        )
        db.execute(
            "CREATE TABLE kiosk_contacts (kiosk_id TEXT PRIMARY KEY, last_seen_at TEXT NOT NULL, "
            "last_kind TEXT NOT NULL, last_batch_at TEXT, last_batch_items INTEGER)"
        )

    db = sqlite_utils.Database(path)
    old.apply(db)
    db.execute("UPDATE items SET damaged = 'tampered' WHERE reference = 'AAAAAAAA1'")
    db.execute(
        "INSERT INTO items (reference, digest, batch_id, kiosk_id, form_id, form_version, form_hash, "
        "captured_at, received_at, sealed) VALUES ('BBBBBBBB2', 'paper:BBBBBBBB2', 'paper', '(paper)', "
        "'hausnummer', '1', '', '2026-03-02T12:00:00Z', '2026-03-02T12:00:00Z', x'')"
    )
    db.execute(
        "INSERT INTO kiosk_contacts VALUES ('kiosk-a', '2026-03-02T12:30:00Z', 'download', "
        "'2026-03-01T10:00:00Z', 1)"
    )
    db.conn.commit()
    db.close()


def test_a_database_that_ran_the_workplace_step_before_towns_ends_as_a_fresh_one(tmp_path):
    old, fresh = tmp_path / "old.db", tmp_path / "fresh.db"
    _make_database_of_the_staff_workplace_release(old)

    with SqliteStorage(old) as upgraded:
        assert upgraded.item("AAAAAAAA1").damaged == "tampered"  # the damage mark is kept
        paper = upgraded.item("BBBBBBBB2")
        assert paper.on_paper and paper.sealed == b""
        contact = upgraded.kiosk_contacts()["kiosk-a"]
        assert (contact.last_seen_at, contact.last_batch_items) == ("2026-03-02T12:30:00Z", 1)
        assert upgraded.counts().batches == 1  # the paper batch is not a kiosk's
        upgraded.record_paper_item("CCCCCCCC3", "hausnummer", "1", "", "2026-03-03T12:00:00Z")
    SqliteStorage(fresh).close()

    assert _sqlite_schema(old) == _sqlite_schema(fresh)
    with sqlite3.connect(old) as db:
        ran = {row[0] for row in db.execute(f"SELECT name FROM {MIGRATIONS_TABLE}")}
    assert ran >= {step.name for step in TOWNHALL_STEPS}


def test_a_database_that_ran_the_town_steps_gains_the_workplace_step_and_ends_as_a_fresh_one(tmp_path):
    old, fresh = tmp_path / "old.db", tmp_path / "fresh.db"
    with sqlite3.connect(old, isolation_level=None) as db:
        apply_sqlite(db, TOWNHALL_STEPS, stop_before="0005_damage_paper_kiosk_contacts")
        db.execute(
            "INSERT INTO batches (town, batch_id, kiosk_id, sequence, created_at, received_at, item_count, "
            "item_digests) VALUES ('default', 'b1', 'kiosk-a', 1, '2026-03-01T09:30:00Z', "
            "'2026-03-01T10:00:00Z', 1, '[\"d1\"]')"
        )
        db.execute(
            "INSERT INTO items (town, reference, digest, batch_id, kiosk_id, form_id, form_version, form_hash, "
            "captured_at, received_at, sealed) VALUES ('default', 'AAAAAAAA1', 'd1', 'b1', 'kiosk-a', "
            "'hausnummer', '1', 'ff', '2026-03-01T09:00:00Z', '2026-03-01T10:00:00Z', x'00ff')"
        )

    with SqliteStorage(old) as upgraded:
        assert upgraded.item("AAAAAAAA1").damaged is None
        upgraded.mark_damaged(("kiosk-a", "AAAAAAAA1"), "tampered", "2026-03-02T08:00:00Z")
        upgraded.record_paper_item("BBBBBBBB2", "hausnummer", "1", "", "2026-03-02T12:00:00Z")
        upgraded.record_kiosk_contact("kiosk-a", "2026-03-02T12:30:00Z", "download")
        assert upgraded.counts().batches == 1
        assert upgraded.item("AAAAAAAA1").damaged == "tampered"
    SqliteStorage(fresh).close()
    _make_database_of_the_staff_workplace_release(tmp_path / "workplace.db")
    SqliteStorage(tmp_path / "workplace.db").close()

    assert _sqlite_schema(old) == _sqlite_schema(fresh) == _sqlite_schema(tmp_path / "workplace.db")
