"""A kiosk that stays offline for months keeps a long queue: what the status line and the staff
screen read, and what submit does, must not walk the whole queue (so neither grows slower with it),
and the running tally they read must always agree with the queue itself.

Timing is measured in ``bench/queue_scale.py``; here SQLite's own query plans show that no statement
run for submit or the listing scans the outbox table.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3

import pytest

from kiosk.store import OutboxState, open_store
from kiosk.store.database import connect
from kiosk.store.migrations import migrate


def sealed_for(reference: str, captured_at: str) -> bytes:
    return hashlib.sha256(f"{reference}|{captured_at}".encode()).digest() * 10


def queue(store) -> str:
    return store.queue_submission(
        form_id="house-number", form_version="3", form_hash="h" * 64, seal=sealed_for
    ).reference


def fill(store) -> None:
    """Items in every state, one of them refused by the town hall."""
    for _ in range(6):
        queue(store)
    first = store.take_batch(lambda items, seq, bid: b"b" + bytes(seq), max_items=2)
    store.apply_ack(first.batch_id, {})
    second = store.take_batch(lambda items, seq, bid: b"b" + bytes(seq), max_items=2)
    digest = store.db.execute(
        "SELECT item_digest FROM outbox WHERE reference = ?", [second.references[0]]
    ).fetchone()[0]
    store.apply_ack(second.batch_id, {digest: "reference_conflict"})
    store.take_batch(lambda items, seq, bid: b"b" + bytes(seq), max_items=1)


def plans_of(store, action) -> list[tuple[str, str]]:
    """(statement, plan line) for every SELECT the store runs while doing ``action``."""
    statements: list[str] = []
    conn: sqlite3.Connection = store.db.conn
    conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    plans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql):
            plans.append((sql, str(row[3])))
    return plans


def whole_queue_scans(plans: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Plan lines that read every row of the outbox. Not one: a scan of the small refused-items
    index (it holds only what staff must sort out), and a walk along an index that a LIMIT
    without any condition stops after that many rows (the latest receipts)."""
    found = []
    for sql, line in plans:
        if not re.match(r"SCAN outbox\b(?!_)", line):
            continue
        if "INDEX outbox_needing_attention" in line:
            continue
        if "USING" in line and " WHERE " not in sql and re.search(r"LIMIT \S+$", sql.strip()):
            continue
        found.append((sql, line))
    return found


def test_the_listing_staff_and_status_line_read_never_scans_the_queue(tmp_path):
    with open_store(tmp_path / "kiosk.db") as store:
        fill(store)

        def listing() -> None:
            store.counts()
            store.waiting_count()
            store.waiting_bytes()
            store.recent_receipts()
            store.needing_attention()

        plans = plans_of(store, listing)
        assert len({sql for sql, _ in plans}) >= 5
        assert whole_queue_scans(plans) == []


def test_submit_never_scans_the_queue(tmp_path):
    with open_store(tmp_path / "kiosk.db") as store:
        fill(store)
        plans = plans_of(store, lambda: queue(store))
        assert plans and whole_queue_scans(plans) == []


def test_the_tally_agrees_with_the_queue_through_every_step(tmp_path):
    with open_store(tmp_path / "kiosk.db") as store:
        fill(store)
        rows = store.db.execute("SELECT state, refused_code, sealed FROM outbox").fetchall()
        expected = {state: 0 for state in OutboxState}
        for state, _, _ in rows:
            expected[OutboxState(state)] += 1
        assert store.counts() == expected
        assert store.waiting_count() == expected[OutboxState.QUEUED] + expected[OutboxState.SENT]
        assert store.waiting_bytes() == sum(
            len(sealed) for state, refused, sealed in rows if state in ("queued", "sent") and refused is None
        )
        assert len(store.needing_attention()) == 1
        assert store.waiting_bytes() > 0 and expected[OutboxState.ACKNOWLEDGED] == 3


def test_an_upgraded_kiosk_counts_the_items_it_already_had(tmp_path):
    """A kiosk updated with items waiting: the tally starts from what is in the queue."""
    path = tmp_path / "kiosk.db"
    db = connect(path)
    migrate(db, stop_before="0006_queue_indexes")
    db.execute(
        "INSERT INTO batches (batch_id, sequence, created_at, data, state)"
        " VALUES ('b1', 1, '2026-01-02T08:00:00Z', x'0102', 'pending')"
    )
    for reference, position, state, batch, refused in (
        ("7KQM2X9TD", 1, "sent", "b1", None),
        ("AB1CD2EF3", 2, "queued", None, None),
        ("CD3EF4GH5", 3, "queued", None, "reference_conflict"),
    ):
        db.execute(
            "INSERT INTO outbox (reference, position, form_id, form_version, form_hash,"
            " captured_at, state, sealed, item_digest, batch_id, refused_code)"
            " VALUES (?, ?, 'house-number', '1', 'h', '2026-01-02T07:00:00Z', ?, x'00ff00', 'd', ?, ?)",
            [reference, position, state, batch, refused],
        )
    db.close()
    with open_store(path) as store:
        assert store.counts()[OutboxState.QUEUED] == 2
        assert store.waiting_count() == 3
        assert store.waiting_bytes() == 6
        assert store.needing_attention() == [("CD3EF4GH5", "reference_conflict")]
        store.mark_acknowledged("b1")
        assert store.waiting_count() == 2 and store.waiting_bytes() == 3
        assert store.counts()[OutboxState.ACKNOWLEDGED] == 1


def test_a_power_cut_mid_submit_leaves_the_tally_as_it_was(tmp_path):
    """The tally changes in the same transaction as the queue: a failed submit changes neither."""
    count = 3
    with open_store(tmp_path / "kiosk.db") as store:
        for _ in range(count):
            queue(store)

        def failing_seal(reference: str, captured_at: str) -> bytes:
            raise OSError("power cut")

        with pytest.raises(OSError):
            store.queue_submission(form_id="x", form_version="1", form_hash="h", seal=failing_seal)
        assert store.waiting_count() == count
        assert store.waiting_bytes() == count * len(sealed_for("A", "B"))
