"""The town hall's database: a batch is stored whole or not at all, once, and survives a restart."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from kiosk.errors import StoreError

from sync.envelope.acks import RefusedItem
from sync.server.storage import (
    AmbiguousReference,
    BatchRecord,
    ItemRecord,
    SqliteStorage,
    Storage,
    StorageCounts,
    open_storage,
)


def _item(reference: str, digest: str, batch_id: str, kiosk_id: str = "kiosk-a", form_id: str = "hausnummer") -> ItemRecord:
    return ItemRecord(
        reference=reference,
        digest=digest,
        batch_id=batch_id,
        kiosk_id=kiosk_id,
        form_id=form_id,
        form_version="1",
        form_hash="f" * 64,
        captured_at="2026-03-01T09:00:00Z",
        received_at="2026-03-01T10:00:00Z",
        sealed=b"\x00sealed-" + digest.encode(),
    )


def _batch(batch_id: str, items: list[ItemRecord], kiosk_id: str = "kiosk-a", sequence: int = 1) -> BatchRecord:
    return BatchRecord(
        batch_id=batch_id,
        kiosk_id=kiosk_id,
        sequence=sequence,
        created_at="2026-03-01T09:30:00Z",
        received_at="2026-03-01T10:00:00Z",
        item_digests=tuple(item.digest for item in items),
    )


try:
    from psycopg import IntegrityError as _PostgresIntegrityError
except ImportError:  # pragma: no cover - psycopg is a dependency
    _PostgresIntegrityError = sqlite3.IntegrityError
INTEGRITY_ERRORS = (sqlite3.IntegrityError, _PostgresIntegrityError)


@pytest.fixture
def storage(tmp_path, server_database):
    """The town hall's storage as every tool opens it, on SQLite and on PostgreSQL."""
    with open_storage(tmp_path) as opened:
        yield opened


def test_each_storage_fulfils_the_storage_interface(storage):
    assert isinstance(storage, Storage)


def test_a_batch_and_its_items_are_stored_and_read_back(storage):
    items = [_item("AAAAAAAA1", "d1", "b1"), _item("AAAAAAAA2", "d2", "b1")]
    assert storage.store_batch(_batch("b1", items), items) == _batch("b1", items)

    assert storage.counts() == StorageCounts(batches=1, items=2, status_updates=0)
    found = storage.find_batch("b1")
    assert found is not None and found.item_digests == ("d1", "d2") and found.item_count == 2
    assert storage.item("AAAAAAAA2").sealed == b"\x00sealed-d2"
    assert storage.find_batch("never-sent") is None
    assert storage.item("ZZZZZZZZZ") is None


def test_the_same_batch_id_is_stored_once(storage):
    items = [_item("AAAAAAAA1", "d1", "b1")]
    storage.store_batch(_batch("b1", items), items)
    again = [_item("AAAAAAAA9", "d9", "b1")]

    assert storage.store_batch(_batch("b1", again), again) is None
    assert storage.counts() == StorageCounts(batches=1, items=1, status_updates=0)
    assert storage.item("AAAAAAAA9") is None


def test_an_item_sent_again_in_a_later_batch_is_kept_once(storage):
    first = [_item("AAAAAAAA1", "d1", "b1")]
    storage.store_batch(_batch("b1", first), first)
    second = [_item("AAAAAAAA1", "d1", "b2"), _item("AAAAAAAA3", "d3", "b2")]
    storage.store_batch(_batch("b2", second, sequence=2), second)

    assert storage.counts() == StorageCounts(batches=2, items=2, status_updates=0)
    assert storage.item("AAAAAAAA1").batch_id == "b1"


def test_the_same_code_from_two_kiosks_is_two_applications_each_answered_to_its_kiosk(storage):
    a = [_item("AAAAAAAA1", "d1", "b1", kiosk_id="kiosk-a")]
    b = [_item("AAAAAAAA1", "e1", "b2", kiosk_id="kiosk-b")]
    storage.store_batch(_batch("b1", a, kiosk_id="kiosk-a"), a)
    storage.store_batch(_batch("b2", b, kiosk_id="kiosk-b"), b)

    assert storage.counts().items == 2
    assert [i.kiosk_id for i in storage.items_with_reference("AAAAAAAA1")] == ["kiosk-a", "kiosk-b"]
    with pytest.raises(AmbiguousReference) as ambiguous:
        storage.add_status("AAAAAAAA1", "accepted", "", "2026-03-02T08:00:00Z")
    assert ambiguous.value.kiosks == ("kiosk-a", "kiosk-b")
    storage.add_status("AAAAAAAA1", "accepted", "", "2026-03-02T08:00:00Z", kiosk_id="kiosk-b")
    assert storage.status_updates_for_kiosk("kiosk-a") == []
    assert [u.status for u in storage.status_updates_for_kiosk("kiosk-b")] == ["accepted"]


def test_a_different_item_under_a_code_already_held_is_refused_not_stored_over_the_first(storage):
    first = [_item("AAAAAAAA1", "d1", "b1")]
    conflicting = [_item("AAAAAAAA1", "d2", "b2"), _item("AAAAAAAA3", "d3", "b2")]
    storage.store_batch(_batch("b1", first), first)
    stored = storage.store_batch(_batch("b2", conflicting, sequence=2), conflicting)

    assert stored.refused == (RefusedItem("d2", "reference_conflict"),)
    assert storage.find_batch("b2").refused == stored.refused  # the same ack when sent again
    assert storage.counts() == StorageCounts(batches=2, items=2, status_updates=0, refused=1)
    assert storage.item("AAAAAAAA1").digest == "d1" and storage.item("AAAAAAAA3").digest == "d3"


def test_two_items_under_one_code_in_one_batch_keep_the_first_and_refuse_the_second(storage):
    items = [_item("AAAAAAAA1", "d1", "b1"), _item("AAAAAAAA1", "d2", "b1")]
    stored = storage.store_batch(_batch("b1", items), items)

    assert stored.refused == (RefusedItem("d2", "reference_conflict"),)
    assert [i.digest for i in storage.items_with_reference("AAAAAAAA1")] == ["d1"]


def test_the_very_same_item_in_a_second_batch_is_held_once_and_not_refused(storage):
    first = [_item("AAAAAAAA1", "d1", "b1")]
    again = [_item("AAAAAAAA1", "d1", "b2")]
    storage.store_batch(_batch("b1", first), first)

    assert storage.store_batch(_batch("b2", again, sequence=2), again).refused == ()
    assert storage.counts() == StorageCounts(batches=2, items=1, status_updates=0)


def test_a_failure_half_way_leaves_nothing_of_the_batch(storage):
    good = _item("AAAAAAAA1", "d1", "b1")
    broken = _item("AAAAAAAA2", "d2", "no-such-batch")  # breaks the link to its batch
    with pytest.raises(INTEGRITY_ERRORS):
        storage.store_batch(_batch("b1", [good, broken]), [good, broken])

    assert storage.counts() == StorageCounts(batches=0, items=0, status_updates=0)
    # and the database is still usable afterwards
    assert storage.store_batch(_batch("b1", [good]), [good]) is not None


def test_stored_batches_survive_closing_and_reopening(tmp_path):
    items = [_item("AAAAAAAA1", "d1", "b1")]
    with open_storage(tmp_path) as first:
        first.store_batch(_batch("b1", items), items)
    with open_storage(tmp_path) as second:
        assert second.counts().items == 1
        mode = second._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert (tmp_path / "townhall.db").exists()


def test_a_database_that_cannot_be_opened_is_reported_plainly(tmp_path):
    (tmp_path / "townhall.db").write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError) as caught:
        open_storage(tmp_path)
    assert "townhall.db" in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_status_serials_increase_and_each_kiosk_sees_only_its_own(storage):
    a = [_item("AAAAAAAA1", "d1", "b1", kiosk_id="kiosk-a")]
    b = [_item("BBBBBBBB1", "e1", "b2", kiosk_id="kiosk-b")]
    storage.store_batch(_batch("b1", a, kiosk_id="kiosk-a"), a)
    storage.store_batch(_batch("b2", b, kiosk_id="kiosk-b"), b)

    first = storage.add_status("AAAAAAAA1", "in_progress", "", "2026-03-02T08:00:00Z")
    other = storage.add_status("BBBBBBBB1", "accepted", "", "2026-03-02T08:05:00Z")
    second = storage.add_status("AAAAAAAA1", "accepted", "Kommen Sie vorbei.", "2026-03-02T09:00:00Z")

    assert first.serial < other.serial < second.serial
    assert first.kiosk_id == "kiosk-a"
    assert [u.serial for u in storage.status_updates_for_kiosk("kiosk-a")] == [first.serial, second.serial]
    newer = storage.status_updates_for_kiosk("kiosk-a", since_serial=first.serial)
    assert [(u.reference, u.status, u.message) for u in newer] == [("AAAAAAAA1", "accepted", "Kommen Sie vorbei.")]
    assert storage.current_statuses()[("kiosk-a", "AAAAAAAA1")].status == "accepted"
    assert [u.status for u in storage.status_history("AAAAAAAA1")] == ["in_progress", "accepted"]


def test_kiosk_status_list_is_cut_to_the_limit_oldest_first(storage):
    items = [_item("AAAAAAAA1", "d1", "b1")]
    storage.store_batch(_batch("b1", items), items)
    serials = [storage.add_status("AAAAAAAA1", "in_progress", str(n), "2026-03-02T08:00:00Z").serial for n in range(5)]

    assert [u.serial for u in storage.status_updates_for_kiosk("kiosk-a", limit=2)] == serials[:2]


def test_a_status_for_an_unknown_reference_is_refused_and_not_stored(storage):
    with pytest.raises(KeyError):
        storage.add_status("ZZZZZZZZZ", "accepted", "", "2026-03-02T08:00:00Z")
    assert storage.counts().status_updates == 0


def test_opened_items_leave_the_new_list_and_keep_their_first_opening(storage):
    items = [_item("AAAAAAAA1", "d1", "b1"), _item("AAAAAAAA2", "d2", "b1", form_id="kita")]
    storage.store_batch(_batch("b1", items), items)

    storage.mark_opened([("kiosk-a", "AAAAAAAA1")], "2026-03-02T08:00:00Z")
    storage.mark_opened([("kiosk-a", "AAAAAAAA1")], "2026-03-03T08:00:00Z")

    assert [i.reference for i in storage.items(unopened_only=True)] == ["AAAAAAAA2"]
    assert storage.item("AAAAAAAA1").opened_at == "2026-03-02T08:00:00Z"
    assert [i.reference for i in storage.items(form_id="kita")] == ["AAAAAAAA2"]
    storage.mark_exported([("kiosk-a", "AAAAAAAA2")], "2026-03-04T08:00:00Z")
    assert storage.item("AAAAAAAA2").exported_at == "2026-03-04T08:00:00Z"


def test_batches_stored_from_many_threads_at_once_are_all_kept(storage):
    errors: list[BaseException] = []

    def send(n: int) -> None:
        items = [_item(f"AAAAAAA{n:02d}", f"d{n}", f"b{n}")]
        try:
            storage.store_batch(_batch(f"b{n}", items, sequence=n), items)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert storage.counts() == StorageCounts(batches=20, items=20, status_updates=0)
