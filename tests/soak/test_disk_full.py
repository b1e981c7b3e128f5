"""A full disk while an application is being saved: a plain message, and nothing queued is lost.

SQLite reports a full disk as SQLITE_FULL whether the file system is out of space or the database
reached its size limit; ``PRAGMA max_page_count`` is that limit, so the test fills the "disk" at
an exact point without root rights or a file-system image.
"""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from kiosk.errors import StoreError, StoreFullError
from kiosk.store import OutboxState, digest_of, open_store


def sealed_for(reference: str, captured_at: str) -> bytes:
    return hashlib.sha256(f"{reference}|{captured_at}".encode()).digest() * 200


def fill_disk(store) -> None:
    """From now on the database cannot grow by a single page."""
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages}")


def make_room(store) -> None:
    store.db.conn.execute("PRAGMA max_page_count = 1073741823")


def queue(store, seal=sealed_for):
    return store.queue_submission(form_id="f", form_version="1", form_hash="h", seal=seal)


def test_a_full_disk_refuses_the_new_application_in_plain_words_and_keeps_the_queued_ones(tmp_path):
    path = tmp_path / "kiosk.db"
    with open_store(path) as store:
        before = [queue(store).reference for _ in range(3)]
        fill_disk(store)
        with pytest.raises(StoreFullError) as refused:
            queue(store, seal=lambda reference, at: b"\x01" * 50_000)
        assert isinstance(refused.value, StoreError)
        citizen = refused.value.citizen_message
        assert "Speicher des Kiosks ist voll" in citizen and "Ihre Angaben sind noch da" in citizen
        assert str(path) not in citizen and "SQLITE" not in citizen.upper().replace(" ", "")
        staff = refused.value.message  # what a command (usb export, sync) prints
        assert "Datenträger des Kiosks ist voll" in staff and "Platz" in staff
        assert "full" in refused.value.detail

        assert store.waiting_count() == 3
        make_room(store)  # a batch needs room too; once staff made some, the queue goes out whole
        batch = store.take_batch(lambda items, seq, bid: b"".join(items))
        assert batch.references == tuple(before)

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "SELECT reference, captured_at, sealed, item_digest FROM outbox ORDER BY position"
        ).fetchall()
    finally:
        conn.close()
    assert [r[0] for r in rows] == before
    for reference, captured_at, sealed, digest in rows:
        assert sealed == sealed_for(reference, captured_at) and digest == digest_of(sealed)


def test_after_staff_make_room_the_kiosk_saves_again(tmp_path):
    with open_store(tmp_path / "kiosk.db") as store:
        queue(store)
        fill_disk(store)
        with pytest.raises(StoreFullError):
            queue(store, seal=lambda reference, at: b"\x01" * 50_000)
        make_room(store)
        queue(store, seal=lambda reference, at: b"\x01" * 50_000)
        assert store.counts()[OutboxState.QUEUED] == 2


def test_a_full_disk_in_english(tmp_path, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    with open_store(tmp_path / "kiosk.db") as store:
        fill_disk(store)
        with pytest.raises(StoreFullError) as refused:
            queue(store, seal=lambda reference, at: b"\x01" * 50_000)
    assert refused.value.citizen_message.startswith("The kiosk's storage is full")
    assert refused.value.message.startswith("The kiosk's disk is full")
