"""What the town-hall storage keeps for the staff workplace: each kiosk's last contact, damage
marks, applications handed in on paper; an existing database gains them by its migration."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from sync.server.storage import PAPER_KIOSK_ID, BatchRecord, ItemRecord, SqliteStorage, StorageCounts, migrations


def _item(reference: str, digest: str, batch_id: str = "b1") -> ItemRecord:
    return ItemRecord(
        reference=reference, digest=digest, batch_id=batch_id, kiosk_id="kiosk-a", form_id="hausnummer",
        form_version="1", form_hash="f" * 64, captured_at="2026-03-01T09:00:00Z",
        received_at="2026-03-01T10:00:00Z", sealed=b"\x00sealed-" + digest.encode(),
    )


@pytest.fixture
def storage(tmp_path):
    with SqliteStorage(tmp_path / "townhall.db") as opened:
        yield opened


def test_the_last_contact_of_a_kiosk_is_the_latest_and_keeps_its_last_batch(storage):
    storage.record_kiosk_contact("kiosk-a", "2026-03-01T10:00:00Z", "batch", batch_items=4)
    storage.record_kiosk_contact("kiosk-a", "2026-03-01T11:00:00Z", "download")
    storage.record_kiosk_contact("kiosk-a", "2026-03-01T09:00:00Z", "download")  # a stick brought late
    contact = storage.kiosk_contacts()["kiosk-a"]
    assert (contact.last_seen_at, contact.last_kind) == ("2026-03-01T11:00:00Z", "download")
    assert (contact.last_batch_at, contact.last_batch_items) == ("2026-03-01T10:00:00Z", 4)
    assert "kiosk-b" not in storage.kiosk_contacts()


def test_batches_of_one_sync_add_up_and_a_later_sync_starts_afresh(storage):
    storage.record_kiosk_contact("kiosk-a", "2026-03-01T10:00:00Z", "batch", batch_items=200)
    storage.record_kiosk_contact("kiosk-a", "2026-03-01T10:02:00Z", "batch", batch_items=37)
    assert storage.kiosk_contacts()["kiosk-a"].last_batch_items == 237
    storage.record_kiosk_contact("kiosk-a", "2026-03-02T08:00:00Z", "batch", batch_items=2)
    assert storage.kiosk_contacts()["kiosk-a"].last_batch_items == 2


def test_a_paper_application_is_listed_answered_and_never_sent_to_a_kiosk(storage):
    items = [_item("AAAAAAAA1", "d1")]
    storage.store_batch(BatchRecord("b1", "kiosk-a", 1, "2026-03-01T09:30:00Z", "2026-03-01T10:00:00Z", ("d1",)), items)
    paper = storage.record_paper_item("BBBBBBBB2", "hausnummer", "1", "f" * 64, "2026-03-02T12:00:00Z")
    assert paper.on_paper and paper.kiosk_id == PAPER_KIOSK_ID
    with pytest.raises(KeyError):
        storage.record_paper_item("BBBBBBBB2", "hausnummer", "1", "f" * 64, "2026-03-02T12:00:00Z")
    assert [i.reference for i in storage.items(form_id="hausnummer")] == ["AAAAAAAA1", "BBBBBBBB2"]
    storage.add_status("BBBBBBBB2", "accepted", "", "2026-03-03T08:00:00Z", kiosk_id=PAPER_KIOSK_ID)
    assert storage.status_updates_for_kiosk("kiosk-a") == []
    assert storage.counts() == StorageCounts(batches=1, items=2, status_updates=1)


def test_a_damage_mark_is_kept_with_the_item(storage):
    items = [_item("AAAAAAAA1", "d1")]
    storage.store_batch(BatchRecord("b1", "kiosk-a", 1, "2026-03-01T09:30:00Z", "2026-03-01T10:00:00Z", ("d1",)), items)
    storage.mark_damaged(("kiosk-a", "AAAAAAAA1"), "tampered", "2026-03-02T08:00:00Z")
    assert storage.item("AAAAAAAA1").damaged == "tampered"


def test_a_database_from_before_gains_the_new_tables_and_keeps_its_items(tmp_path):
    path = tmp_path / "townhall.db"
    with SqliteStorage(path) as storage:
        storage.store_batch(
            BatchRecord("b1", "kiosk-a", 1, "2026-03-01T09:30:00Z", "2026-03-01T10:00:00Z", ("d1",)), [_item("AAAAAAAA1", "d1")]
        )
    # Take the database back to the schema before this migration, as an older release left it.
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TABLE kiosk_contacts; DELETE FROM batches WHERE batch_id = 'paper';"
        "ALTER TABLE items DROP COLUMN damaged;"
        "DELETE FROM _sqlite_migrations WHERE name = '0003_damage_paper_kiosk_contacts';"
    )
    conn.commit()
    conn.close()
    with SqliteStorage(path) as storage:
        assert storage.item("AAAAAAAA1").damaged is None
        storage.record_paper_item("BBBBBBBB2", "hausnummer", "1", "", "2026-03-02T12:00:00Z")
        storage.record_kiosk_contact("kiosk-a", "2026-03-02T12:00:00Z", "download")
        assert storage.counts().batches == 1
    fresh = sqlite_utils.Database(tmp_path / "fresh.db")
    migrations.apply(fresh)
    old = sqlite_utils.Database(path)
    assert {t.name: t.schema for t in old.tables if t.name != "_sqlite_migrations"}.keys() == {
        t.name for t in fresh.tables if t.name != "_sqlite_migrations"
    }
