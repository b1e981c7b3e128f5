"""A kiosk updated from an older version keeps its waiting applications and ends up with exactly
the schema of a new kiosk; a database from a newer version is refused, not damaged."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlite_utils

from kiosk.errors import StoreError
from kiosk.store import OutboxState, StatusRecord, open_store
from kiosk.store.database import connect
from kiosk.store.migrations import MIGRATION_SET, applied_migrations, known_migrations, migrate


def schema(path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
    finally:
        conn.close()


def make_version_one_kiosk(path) -> None:
    """A kiosk database as the first release left it, with one waiting and one sent application."""
    db = connect(path)
    migrate(db, stop_before="0002_townhall_status")
    db.execute(
        "INSERT INTO batches (batch_id, sequence, created_at, data, state)"
        " VALUES ('b1', 1, '2026-01-02T08:00:00Z', x'0102', 'pending')"
    )
    for reference, position, state, batch in (
        ("7KQM2X9TD", 1, "sent", "b1"),
        ("AB1CD2EF3", 2, "queued", None),
    ):
        db.execute(
            "INSERT INTO outbox (reference, position, form_id, form_version, form_hash,"
            " captured_at, state, sealed, item_digest, batch_id)"
            " VALUES (?, ?, 'house-number', '1', 'h', '2026-01-02T07:00:00Z', ?, x'00ff', 'd', ?)",
            [reference, position, state, batch],
        )
    db.close()


def test_the_steps_are_numbered_and_in_order():
    names = known_migrations()
    assert names == sorted(names) and len(names) >= 2
    assert all(name[:4].isdigit() for name in names)


def test_a_new_kiosk_gets_every_step(tmp_path):
    path = tmp_path / "kiosk.db"
    open_store(path).close()
    db = sqlite_utils.Database(path)
    assert applied_migrations(db) == known_migrations()
    assert {"outbox", "batches", "settings"} <= set(db.table_names())
    db.close()


def test_an_old_kiosk_is_upgraded_to_the_same_schema_and_keeps_its_applications(tmp_path):
    fresh, old = tmp_path / "fresh.db", tmp_path / "old.db"
    open_store(fresh).close()
    make_version_one_kiosk(old)
    assert schema(old) != schema(fresh)  # really an older layout

    with open_store(old) as store:
        assert store.lookup("7KQM2X9TD").state is OutboxState.SENT
        assert store.lookup("AB1CD2EF3").status is None
        assert store.waiting_count() == 2
        pending = store.take_batch(lambda *a: pytest.fail("the old batch must be resent"))
        assert (pending.batch_id, pending.data, pending.references) == ("b1", b"\x01\x02", ("7KQM2X9TD",))
        store.mark_acknowledged("b1")
        assert store.apply_status([StatusRecord("7KQM2X9TD", "done", "Fertig", "2026-02-01T00:00:00Z", 1)]) == 1
        assert store.lookup("7KQM2X9TD").state is OutboxState.ANSWERED

    assert schema(old) == schema(fresh)
    db = sqlite_utils.Database(old)
    assert applied_migrations(db) == known_migrations()
    db.close()


def test_opening_again_applies_nothing_twice(tmp_path):
    path = tmp_path / "kiosk.db"
    for _ in range(3):
        open_store(path).close()
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
    ).fetchall()
    conn.close()
    assert [r[0] for r in rows] == known_migrations()


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    path = tmp_path / "kiosk.db"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [MIGRATION_SET, "9999_from_the_future", "2030-01-01"],
    )
    conn.commit()
    conn.close()
    before = schema(path)
    with pytest.raises(StoreError, match="newer version"):
        open_store(path)
    assert schema(path) == before


def test_two_programs_starting_at_once_on_a_new_kiosk_both_work(tmp_path):
    path = tmp_path / "kiosk.db"
    results: list[object] = []

    def start():
        try:
            store = open_store(path)
            results.append(store.waiting_count())
            store.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0, 0, 0, 0]
    db = sqlite_utils.Database(path)
    assert applied_migrations(db) == known_migrations()
    db.close()
