"""A kiosk switched off in the middle of storing or sending never has half an application.

Each test runs the store in a separate process, stops it hard (SIGKILL, as a power cut stops the
program) at a chosen moment inside a transaction, and then opens the file again: it must open
cleanly and hold either the whole change or none of it.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kiosk.store import OutboxState, digest_of, open_store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"),
]

REPO_ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import hashlib, sys, time
    from pathlib import Path
    from kiosk.store import open_store

    path, action, pause_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

    def pause(where):
        if where == pause_at:
            print("PAUSED " + where, flush=True)
            time.sleep(600)

    def sealed_for(reference, captured_at):
        pause("seal")
        return hashlib.sha256(f"{reference}|{captured_at}".encode()).digest() * 200

    def build(items, sequence, batch_id):
        pause("build")
        return b"batch:" + b"".join(items)

    store = open_store(path)

    def trace(sql):
        if sql.strip().upper().startswith("COMMIT"):
            pause("commit")

    store.db.conn.set_trace_callback(trace)
    print("OPEN", flush=True)
    if action == "queue":
        store.queue_submission(form_id="f", form_version="1", form_hash="h", seal=sealed_for)
    elif action == "queue-forever":
        while True:
            store.queue_submission(form_id="f", form_version="1", form_hash="h", seal=sealed_for)
    elif action == "batch":
        store.take_batch(build)
    elif action == "ack":
        store.mark_acknowledged(store.pending_batch().batch_id)
    pause("done")
    """
)


def sealed_for(reference: str, captured_at: str) -> bytes:
    return hashlib.sha256(f"{reference}|{captured_at}".encode()).digest() * 200


def start(path: Path, action: str, pause_at: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), action, pause_at],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )


def wait_for(child: subprocess.Popen, line: str) -> None:
    got = child.stdout.readline().strip()
    if got != line:
        child.kill()
        raise AssertionError(f"child said {got!r}, expected {line!r}: {child.stderr.read()}")


def power_cut(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    child.stderr.close()


def kill_at(path: Path, action: str, pause_at: str) -> None:
    child = start(path, action, pause_at)
    wait_for(child, "OPEN")
    wait_for(child, f"PAUSED {pause_at}")
    power_cut(child)


def check_file(path: Path) -> list[tuple]:
    """The file opens, passes SQLite's own check, every row is whole and the tally matches."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = conn.execute(
            "SELECT reference, form_id, form_version, form_hash, captured_at, state, sealed,"
            " item_digest, batch_id FROM outbox ORDER BY position"
        ).fetchall()
        # the counts staff and the status line read agree with the rows, whatever moment the cut hit
        counted = conn.execute(
            "SELECT state, refused_code IS NOT NULL, COUNT(*), COALESCE(SUM(LENGTH(sealed)), 0)"
            " FROM outbox GROUP BY 1, 2"
        ).fetchall()
        tally = conn.execute(
            "SELECT state, refused, items, sealed_bytes FROM outbox_tally WHERE items OR sealed_bytes"
        ).fetchall()
        assert sorted(counted) == sorted(tally)
    finally:
        conn.close()
    for reference, form_id, version, form_hash, captured_at, state, sealed, digest, _ in rows:
        assert (form_id, version, form_hash) == ("f", "1", "h")
        if state in ("queued", "sent"):
            assert sealed == sealed_for(reference, captured_at)
            assert digest == digest_of(sealed)
    return rows


def prepare(path: Path, queued: int) -> list[str]:
    with open_store(path) as store:
        return [
            store.queue_submission(
                form_id="f", form_version="1", form_hash="h", seal=sealed_for
            ).reference
            for _ in range(queued)
        ]


@pytest.mark.parametrize("moment", ["seal", "commit"])
def test_cut_while_storing_leaves_no_trace(tmp_path, moment):
    path = tmp_path / "kiosk.db"
    prepare(path, 1)
    kill_at(path, "queue", moment)
    assert len(check_file(path)) == 1
    with open_store(path) as store:
        assert store.waiting_count() == 1


def test_cut_right_after_storing_keeps_the_whole_application(tmp_path):
    path = tmp_path / "kiosk.db"
    kill_at(path, "queue", "done")
    rows = check_file(path)
    assert len(rows) == 1 and rows[0][5] == "queued"


def test_cuts_at_random_moments_while_storing_never_leave_half_rows(tmp_path):
    path = tmp_path / "kiosk.db"
    prepare(path, 1)
    rng = random.Random(20260)
    for _ in range(4):
        child = start(path, "queue-forever", "never")
        wait_for(child, "OPEN")
        time.sleep(rng.uniform(0.01, 0.25))
        power_cut(child)
        rows = check_file(path)
        assert all(row[5] == "queued" for row in rows)
    with open_store(path) as store:
        batch = store.take_batch(lambda items, seq, bid: b"".join(items), max_items=100_000)
        assert batch.references == tuple(row[0] for row in rows)


@pytest.mark.parametrize("moment", ["build", "commit"])
def test_cut_while_taking_a_batch_leaves_all_items_queued_and_no_batch(tmp_path, moment):
    path = tmp_path / "kiosk.db"
    references = prepare(path, 3)
    kill_at(path, "batch", moment)
    rows = check_file(path)
    assert [(r[0], r[5], r[8]) for r in rows] == [(ref, "queued", None) for ref in references]
    with open_store(path) as store:
        assert store.pending_batch() is None
        assert store.take_batch(lambda items, seq, bid: b"".join(items)).sequence == 1


def test_cut_right_after_taking_a_batch_keeps_all_items_sent_with_their_batch(tmp_path):
    path = tmp_path / "kiosk.db"
    references = prepare(path, 3)
    kill_at(path, "batch", "done")
    rows = check_file(path)
    assert {r[5] for r in rows} == {"sent"} and len({r[8] for r in rows}) == 1
    with open_store(path) as store:
        batch = store.pending_batch()
        assert batch.references == tuple(references)
        assert batch.data == b"batch:" + b"".join(
            sealed_for(r[0], r[4]) for r in rows
        )


def test_cut_while_recording_an_acknowledgement_keeps_the_batch_to_send_again(tmp_path):
    path = tmp_path / "kiosk.db"
    prepare(path, 2)
    with open_store(path) as store:
        batch = store.take_batch(lambda items, seq, bid: b"".join(items))
    kill_at(path, "ack", "commit")
    rows = check_file(path)
    assert {r[5] for r in rows} == {"sent"}
    with open_store(path) as store:
        assert store.pending_batch() == batch
        assert store.mark_acknowledged(batch.batch_id) == 2
        assert store.counts()[OutboxState.ACKNOWLEDGED] == 2
