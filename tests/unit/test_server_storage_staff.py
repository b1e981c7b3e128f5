"""What the town-hall storage keeps for the staff workplace: each kiosk's last contact, damage
marks, applications handed in on paper; on SQLite and on PostgreSQL, each town apart."""

from __future__ import annotations

import pytest

from sync.server.storage import PAPER_KIOSK_ID, BatchRecord, ItemRecord, StorageCounts, open_storage


def _item(reference: str, digest: str, batch_id: str = "b1") -> ItemRecord:
    return ItemRecord(
        reference=reference, digest=digest, batch_id=batch_id, kiosk_id="kiosk-a", form_id="hausnummer",
        form_version="1", form_hash="f" * 64, captured_at="2026-03-01T09:00:00Z",
        received_at="2026-03-01T10:00:00Z", sealed=b"\x00sealed-" + digest.encode(),
    )


@pytest.fixture
def storage(tmp_path, server_database):
    """The town hall's storage as every tool opens it, on SQLite and on PostgreSQL."""
    with open_storage(tmp_path) as opened:
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


def test_another_town_sees_none_of_a_towns_contacts_paper_items_or_damage_marks(tmp_path, server_database):
    """One district database: the workplace of one town never shows another town's kiosks or items."""
    if not server_database.is_postgres:
        pytest.skip("one SQLite file holds one town")
    from sync.server.pg_storage import PostgresStorage

    here = open_storage(tmp_path)
    other = PostgresStorage(server_database.url, town=server_database.town + "-b")
    here.store_batch(BatchRecord("b1", "kiosk-a", 1, "2026-03-01T09:30:00Z", "2026-03-01T10:00:00Z", ("d1",)), [_item("AAAAAAAA1", "d1")])
    other.store_batch(BatchRecord("b1", "kiosk-a", 1, "2026-03-01T09:30:00Z", "2026-03-01T10:00:00Z", ("d1",)), [_item("AAAAAAAA1", "d1")])
    here.record_kiosk_contact("kiosk-a", "2026-03-01T10:00:00Z", "batch", batch_items=1)
    here.mark_damaged(("kiosk-a", "AAAAAAAA1"), "tampered", "2026-03-02T08:00:00Z")
    here.record_paper_item("BBBBBBBB2", "hausnummer", "1", "f" * 64, "2026-03-02T12:00:00Z")

    assert other.kiosk_contacts() == {}
    assert other.item("AAAAAAAA1").damaged is None
    assert other.item("BBBBBBBB2") is None
    # Each town's paper applications hang off a batch of its own: the same code in two towns is two.
    other.record_paper_item("BBBBBBBB2", "hausnummer", "1", "f" * 64, "2026-03-02T13:00:00Z")
    assert here.item("BBBBBBBB2").received_at == "2026-03-02T12:00:00Z"
    assert other.counts() == StorageCounts(batches=1, items=2, status_updates=0)
