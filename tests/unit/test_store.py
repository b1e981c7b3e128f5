"""The kiosk's queue: what is stored stays stored, goes to the town hall once, and is forgotten
when the town hall has it."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from datetime import UTC, datetime

import pytest

from kiosk import refcode
from kiosk.errors import StoreError
from kiosk.store import OutboxState, StatusRecord, digest_of, open_store
from kiosk.store import database as store_database
from kiosk.store import outbox as store_outbox


def sealed_for(reference: str, captured_at: str) -> bytes:
    """Stand-in for a sealed item: depends on both arguments, several pages long."""
    return hashlib.sha256(f"{reference}|{captured_at}".encode()).digest() * 200


def join_batch(items: list[bytes], sequence: int, batch_id: str) -> bytes:
    return f"{sequence}:{batch_id}:".encode() + b"|".join(items)


def queue(store, form_id: str = "house-number", now: datetime | None = None):
    return store.queue_submission(
        form_id=form_id, form_version="3", form_hash="h" * 64, seal=sealed_for, now=now
    )


@pytest.fixture
def store(tmp_path):
    opened = open_store(tmp_path / "kiosk" / "kiosk.db")
    yield opened
    opened.close()


def all_files_bytes(folder) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_a_submission_gets_a_valid_receipt_code_and_waits(store):
    seen = []

    def seal(reference, captured_at):
        seen.append((reference, captured_at))
        return sealed_for(reference, captured_at)

    item = store.queue_submission(
        form_id="kita-refund",
        form_version="2",
        form_hash="abc",
        seal=seal,
        now=datetime(2026, 3, 1, 9, 30, 5, tzinfo=UTC),
    )
    assert seen == [(item.reference, "2026-03-01T09:30:05Z")]
    assert refcode.is_valid(item.reference)
    assert item.state is OutboxState.QUEUED
    view = store.lookup(item.reference)
    assert view.form_id == "kita-refund" and view.state is OutboxState.QUEUED
    assert view.status is None and view.captured_at == "2026-03-01T09:30:05Z"
    assert store.waiting_count() == 1
    assert store.counts()[OutboxState.QUEUED] == 1


def test_capture_time_is_utc_to_the_second(store):
    item = queue(store)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item.captured_at)
    local = datetime(2026, 7, 1, 14, 0, 0).astimezone()  # any zone, converted
    assert queue(store, now=local).captured_at == local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_failed_sealing_stores_nothing(store):
    def broken_seal(reference, captured_at):
        raise RuntimeError("no key")

    with pytest.raises(RuntimeError):
        store.queue_submission(form_id="f", form_version="1", form_hash="h", seal=broken_seal)
    assert store.waiting_count() == 0
    assert sum(store.counts().values()) == 0


def test_a_receipt_code_already_in_use_is_never_given_out_twice(store, monkeypatch):
    first = queue(store)
    fresh = refcode.new_reference()
    offered = iter([first.reference, first.reference, fresh])
    monkeypatch.setattr(store_outbox, "new_reference", lambda: next(offered))
    second = queue(store)
    assert second.reference == fresh
    assert store.lookup(first.reference).captured_at == first.captured_at


def test_nothing_to_send_gives_no_batch(store):
    calls = []
    assert store.take_batch(lambda *a: calls.append(a) or b"x") is None
    assert calls == []


def test_a_batch_carries_the_oldest_items_in_order_and_marks_them_sent(store):
    items = [queue(store) for _ in range(5)]
    received = {}

    def build(sealed, sequence, batch_id):
        received.update(sealed=sealed, sequence=sequence, batch_id=batch_id)
        return join_batch(sealed, sequence, batch_id)

    batch = store.take_batch(build, max_items=3)
    assert batch.references == tuple(i.reference for i in items[:3])
    assert received["sealed"] == [sealed_for(i.reference, i.captured_at) for i in items[:3]]
    assert batch.sequence == received["sequence"] == 1
    assert batch.batch_id == received["batch_id"] and len(batch.batch_id) >= 16
    assert batch.data == join_batch(received["sealed"], 1, batch.batch_id)
    assert [store.lookup(i.reference).state for i in items] == [OutboxState.SENT] * 3 + [
        OutboxState.QUEUED
    ] * 2
    assert store.waiting_count() == 5  # sent is not yet at the town hall


def test_after_a_lost_acknowledgement_the_same_batch_is_sent_again(store):
    first = [queue(store) for _ in range(2)]
    batch = store.take_batch(join_batch)
    later = queue(store)  # queued while the acknowledgement is missing
    again = store.take_batch(lambda *a: pytest.fail("must not build a second batch"))
    assert again == batch
    assert store.pending_batch() == batch
    assert store.lookup(later.reference).state is OutboxState.QUEUED
    assert store.mark_acknowledged(batch.batch_id) == 2
    follow_up = store.take_batch(join_batch)
    assert follow_up.sequence == 2 and follow_up.references == (later.reference,)
    assert follow_up.batch_id != batch.batch_id
    assert {i.reference for i in first}.isdisjoint(follow_up.references)


def test_failed_batch_building_leaves_items_queued(store):
    item = queue(store)

    def broken(*_):
        raise ValueError("signing key missing")

    with pytest.raises(ValueError):
        store.take_batch(broken)
    assert store.lookup(item.reference).state is OutboxState.QUEUED
    assert store.pending_batch() is None
    assert store.take_batch(join_batch).sequence == 1


def test_acknowledgement_moves_items_and_is_idempotent(store):
    items = [queue(store) for _ in range(3)]
    batch = store.take_batch(join_batch)
    assert store.mark_acknowledged(batch.batch_id, "2026-05-01T10:00:00Z") == 3
    assert store.mark_acknowledged(batch.batch_id) == 0
    assert store.mark_acknowledged("no-such-batch") == 0
    assert all(store.lookup(i.reference).state is OutboxState.ACKNOWLEDGED for i in items)
    assert store.waiting_count() == 0
    assert store.pending_batch() is None
    assert store.take_batch(join_batch) is None
    row = store.db.execute(
        "SELECT acknowledged_at, data FROM batches WHERE batch_id = ?", [batch.batch_id]
    ).fetchone()
    assert row == ("2026-05-01T10:00:00Z", None)


def test_acknowledged_sealed_bytes_are_gone_from_every_file_on_disk(tmp_path):
    folder = tmp_path / "kiosk"
    store = open_store(folder / "kiosk.db")
    try:
        marker = os.urandom(48)
        item = store.queue_submission(
            form_id="f", form_version="1", form_hash="h", seal=lambda r, c: marker * 100
        )
        batch = store.take_batch(join_batch)
        assert marker in all_files_bytes(folder)  # the check below can see it
        store.mark_acknowledged(batch.batch_id)
        assert marker not in all_files_bytes(folder)
        view = store.lookup(item.reference)
        assert view.state is OutboxState.ACKNOWLEDGED
        digest = store.db.execute(
            "SELECT item_digest FROM outbox WHERE reference = ?", [item.reference]
        ).fetchone()[0]
        assert digest == digest_of(marker * 100)
    finally:
        store.close()


def test_send_attempts_are_counted(store):
    queue(store)
    batch = store.take_batch(join_batch)
    store.record_attempt(batch.batch_id, "2026-05-01T10:00:00Z")
    store.record_attempt(batch.batch_id, "2026-05-01T10:05:00Z")
    row = store.db.execute(
        "SELECT sent_attempts, last_attempt_at FROM batches WHERE batch_id = ?", [batch.batch_id]
    ).fetchone()
    assert row == (2, "2026-05-01T10:05:00Z")


def status(reference, serial, status="done", message="Ihre Hausnummer ist 12a."):
    return StatusRecord(reference, status, message, f"2026-06-0{serial % 9 + 1}T08:00:00Z", serial)


def test_town_hall_answers_become_visible_and_newer_ones_win(store):
    a, b = queue(store), queue(store)
    store.mark_acknowledged(store.take_batch(join_batch).batch_id)
    assert store.apply_status([status(a.reference, 5, "in_progress", "Wird bearbeitet")]) == 1
    assert store.apply_status([status(a.reference, 7, "done", "Fertig"), status("ZZZZZZZZZ", 9)]) == 1
    assert store.apply_status([status(a.reference, 6, "in_progress", "alt")]) == 0  # older
    assert store.apply_status([status(a.reference, 7, "done", "Fertig")]) == 0  # again
    view = store.lookup(a.reference)
    assert (view.state, view.status, view.message) == (OutboxState.ANSWERED, "done", "Fertig")
    assert store.lookup(b.reference).state is OutboxState.ACKNOWLEDGED
    assert store.lookup("ZZZZZZZZZ") is None
    assert store.status_cursor() == 9  # highest serial seen, even of another kiosk's code
    store.apply_status([])
    assert store.status_cursor() == 9
    assert store.counts() == {
        OutboxState.QUEUED: 0,
        OutboxState.SENT: 0,
        OutboxState.ACKNOWLEDGED: 1,
        OutboxState.ANSWERED: 1,
    }


def test_an_answer_before_the_acknowledgement_is_kept_when_it_arrives(store):
    item = queue(store)
    batch = store.take_batch(join_batch)
    store.apply_status([status(item.reference, 1)])
    assert store.lookup(item.reference).state is OutboxState.ANSWERED
    assert store.waiting_count() == 0
    assert store.take_batch(join_batch) == batch  # the acknowledgement is still owed
    assert store.mark_acknowledged(batch.batch_id) == 1
    assert store.mark_acknowledged(batch.batch_id) == 0
    assert store.lookup(item.reference).state is OutboxState.ANSWERED
    sealed = store.db.execute(
        "SELECT sealed FROM outbox WHERE reference = ?", [item.reference]
    ).fetchone()[0]
    assert sealed is None


def test_a_status_for_an_item_still_waiting_keeps_it_in_the_queue(store):
    item = queue(store)
    store.apply_status([status(item.reference, 1, "received", "Eingegangen")])
    view = store.lookup(item.reference)
    assert view.state is OutboxState.QUEUED and view.status == "received"
    assert store.take_batch(join_batch).references == (item.reference,)


def test_everything_survives_closing_and_reopening(tmp_path):
    path = tmp_path / "kiosk.db"
    with open_store(path) as store:
        waiting = queue(store)
        store.record_sync("2026-04-01T12:00:00Z")
        store.apply_status([status("ZZZZZZZZZ", 4)])
    with open_store(path) as store:
        assert store.lookup(waiting.reference).state is OutboxState.QUEUED
        assert store.last_sync_at() == "2026-04-01T12:00:00Z"
        assert store.status_cursor() == 4
        store.record_sync()
        assert store.last_sync_at() > "2026-04-01T12:00:00Z"


def test_a_fresh_kiosk_has_never_synced(store):
    assert store.last_sync_at() is None
    assert store.status_cursor() == 0


def test_the_database_file_itself_refuses_inconsistent_rows(store):
    queue(store)
    with pytest.raises(sqlite3.IntegrityError):
        store.db.conn.execute("UPDATE outbox SET state = 'sent'")  # sent without a batch
    with pytest.raises(sqlite3.IntegrityError):
        store.db.conn.execute("UPDATE outbox SET sealed = NULL")  # queued without its content


def test_the_file_is_set_up_for_durability_and_overwriting_deleted_data(store):
    pragma = lambda name: store.db.conn.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("secure_delete") == 1
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") > 0


def test_a_file_that_is_not_a_database_is_refused_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    path = tmp_path / "kiosk.db"
    path.write_bytes(b"Dies ist keine Datenbank. " * 100)
    with pytest.raises(StoreError, match="not a kiosk database") as caught:
        open_store(path)
    assert "Traceback" not in caught.value.message
    assert path.read_bytes().startswith(b"Dies ist keine")  # left alone


def test_a_database_locked_by_another_program_is_reported_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    monkeypatch.setattr(store_database, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "kiosk.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="another program"):
            open_store(path)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_folder_that_cannot_be_created_is_reported_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot be created"):
        open_store(blocker / "kiosk.db")


def test_messages_are_german_by_default(tmp_path):
    path = tmp_path / "kiosk.db"
    path.write_bytes(b"kaputt" * 200)
    with pytest.raises(StoreError, match="keine Kiosk-Datenbank"):
        open_store(path)


def test_a_closed_store_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    store = open_store(tmp_path / "kiosk.db")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.waiting_count()


def test_the_screen_and_the_sync_worker_can_write_at_the_same_time(tmp_path):
    path = tmp_path / "kiosk.db"
    screen = open_store(path)
    worker = open_store(path)  # a second connection, as a separate sync process would have
    errors: list[BaseException] = []
    references: list[str] = []

    def submit(store, count):
        try:
            for _ in range(count):
                references.append(queue(store).reference)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def send(store):
        try:
            for _ in range(10):
                batch = store.take_batch(join_batch, max_items=3)
                if batch is not None:
                    store.mark_acknowledged(batch.batch_id)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [
        threading.Thread(target=submit, args=(screen, 15)),
        threading.Thread(target=submit, args=(screen, 15)),
        threading.Thread(target=send, args=(worker,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert len(set(references)) == 30
        counts = screen.counts()
        assert sum(counts.values()) == 30
        assert counts[OutboxState.SENT] + counts[OutboxState.QUEUED] == screen.waiting_count()
    finally:
        screen.close()
        worker.close()


def test_recent_receipts_are_newest_first_and_outlive_the_acknowledgement(store):
    """Staff reprint a receipt the citizen never saw, even after the town hall has the item."""
    first = queue(store, "house-number", now=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    second = queue(store, "message", now=datetime(2026, 3, 1, 9, 5, tzinfo=UTC))
    batch = store.take_batch(join_batch)
    store.mark_acknowledged(batch.batch_id)
    third = queue(store, "message", now=datetime(2026, 3, 1, 9, 10, tzinfo=UTC))

    receipts = store.recent_receipts()
    assert [r.reference for r in receipts] == [third.reference, second.reference, first.reference]
    assert (receipts[2].form_id, receipts[2].captured_at) == ("house-number", "2026-03-01T09:00:00Z")
    assert [r.reference for r in store.recent_receipts(limit=1)] == [third.reference]
