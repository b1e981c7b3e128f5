"""A kiosk database damaged on disk (a failing SD card) is found at start, the kiosk names the
command that saves what is left, and after ``rathaus recover`` every application that can still be
read is queued again and reaches the town hall once."""

from __future__ import annotations

import dataclasses
import logging
import random
import sqlite3
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import KioskConfig, save_config
from kiosk.errors import StoreCorruptError
from kiosk.runtime import open_runtime
from kiosk.store import DB_NAME, OutboxState, open_store
from kiosk.store import database as store_database
from sync.embedded import start_embedded_server
from sync.inbox import Inbox
from sync.outbox import batch_builder
from sync.server import create_app, open_storage

pytestmark = pytest.mark.slow

ANSWERS = {"topic": "lob", "wants_reply": False}


def _message(number: int) -> str:
    return f"Nachricht {number:03d}: " + "Die Bank am Teich ist schön. " * 10


def _leaf_pages(path: Path, table: str) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [
            row[0]
            for row in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", [table]
            )
        ]
    finally:
        conn.close()


def _damage_page(path: Path, page: int) -> None:
    """What a failing card does: one page of the file becomes noise."""
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as file:
        file.seek((page - 1) * size)
        file.write(random.Random(page).randbytes(size))


@pytest.fixture
def kiosk_and_townhall(enrol):
    kiosk_dir, townhall_dir = enrol("bibliothek-1")
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url))
        yield kiosk_dir, townhall_dir


def _fill_queue(kiosk_dir: Path) -> tuple[list[str], list[str]]:
    """Ten applications already at the town hall, thirty waiting (five of them in a batch)."""
    with open_runtime(kiosk_dir) as runtime:
        form = runtime.form("nachricht")
        arrived = [runtime.submit(form, {**ANSWERS, "message": _message(n)}).reference for n in range(10)]
        assert runtime.sync_now().sent == 10
        waiting = [runtime.submit(form, {**ANSWERS, "message": _message(n)}).reference for n in range(10, 40)]
        batch = runtime.store.take_batch(batch_builder(runtime.kiosk_keys, runtime.townhall), max_items=5)
        assert len(batch.references) == 5
    return arrived, waiting


def test_a_damaged_queue_is_refused_at_start_and_recovered_without_losing_what_is_readable(
    kiosk_and_townhall, capsys
):
    kiosk_dir, townhall_dir = kiosk_and_townhall
    arrived, waiting = _fill_queue(kiosk_dir)
    path = kiosk_dir / DB_NAME
    leaves = _leaf_pages(path, "outbox")
    assert len(leaves) >= 6
    _damage_page(path, leaves[len(leaves) * 2 // 3])  # a page of waiting applications

    with pytest.raises(StoreCorruptError) as refused:
        open_runtime(kiosk_dir)
    assert "beschädigt" in refused.value.message and "rathaus recover" in refused.value.message
    assert "Bitte löschen Sie sie nicht" in refused.value.message
    assert main(["sync", "--data-dir", str(kiosk_dir)]) == 1  # staff at the command line read the same
    err = capsys.readouterr().err
    assert "rathaus recover" in err and "Traceback" not in err

    damaged = path.read_bytes()
    assert main(["recover", "--data-dir", str(kiosk_dir)]) == 0
    said = capsys.readouterr().out
    assert "Gerettet:" in said and "Bitte sagen Sie dem Rathaus Bescheid" in said
    kept = sorted(kiosk_dir.glob("damaged-*/kiosk.db"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged  # the damaged file, as it was

    with open_runtime(kiosk_dir) as runtime:
        counts = runtime.store.counts()
        assert counts[OutboxState.SENT] == 0  # the batch on its way is built anew
        still_waiting = [ref for ref in waiting if runtime.store.lookup(ref) is not None]
        assert 20 <= len(still_waiting) < len(waiting)  # one page of them was lost, the rest kept
        assert counts[OutboxState.QUEUED] == len(still_waiting)
        assert {runtime.store.lookup(ref).state for ref in still_waiting} == {OutboxState.QUEUED}
        finished = [ref for ref in arrived if runtime.store.lookup(ref) is not None]
        assert {runtime.store.lookup(ref).state for ref in finished} == {OutboxState.ACKNOWLEDGED}
        assert f"Nicht lesbar: {len(waiting) - len(still_waiting) + len(arrived) - len(finished)}." in said

        report = runtime.sync_now()
        assert report.error is None and report.sent == len(still_waiting)
        assert runtime.waiting_count() == 0

    with Inbox(townhall_dir) as inbox:
        held = [opened.meta.reference.replace("-", "") for opened in inbox.submissions("nachricht")]
    assert sorted(held) == sorted(arrived + still_waiting)  # each once, the old ones not again


def test_the_recovered_database_passes_sqlites_own_checks(kiosk_and_townhall):
    kiosk_dir, _ = kiosk_and_townhall
    _fill_queue(kiosk_dir)
    path = kiosk_dir / DB_NAME
    _damage_page(path, _leaf_pages(path, "outbox")[1])
    assert main(["recover", "--data-dir", str(kiosk_dir)]) == 0
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_recover_leaves_a_healthy_database_alone(kiosk_and_townhall, capsys):
    kiosk_dir, _ = kiosk_and_townhall
    _fill_queue(kiosk_dir)
    path = kiosk_dir / DB_NAME
    before = path.read_bytes()
    assert main(["recover", "--data-dir", str(kiosk_dir)]) == 0
    assert "nicht beschädigt" in capsys.readouterr().out
    assert path.read_bytes() == before and not list(kiosk_dir.glob("damaged-*"))


def test_recover_says_so_when_there_is_no_database(tmp_path, capsys):
    assert main(["recover", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "keine Kiosk-Datenbank" in err and "Traceback" not in err


def test_a_slow_integrity_check_is_cut_off_and_the_kiosk_starts(tmp_path, monkeypatch, caplog):
    path = tmp_path / "kiosk.db"
    open_store(path).close()
    monkeypatch.setattr(store_database, "INTEGRITY_CHECK_SECONDS", -1.0)  # out of time at once
    monkeypatch.setattr(store_database, "_CLOCK_EVERY", 1)
    with caplog.at_level(logging.WARNING):
        store = open_store(path)
    assert store.waiting_count() == 0  # opened and usable
    store.close()
    assert "integrity check" in caplog.text and "stopped" in caplog.text


def _sealed_for(reference: str, captured_at: str) -> bytes:
    import hashlib

    return hashlib.sha256(f"{reference}|{captured_at}".encode()).digest() * 60


def test_whichever_page_is_damaged_recovery_keeps_only_whole_applications_or_refuses_plainly(tmp_path):
    """Each page of a queue in turn becomes noise; the recovery never crashes, keeps only rows it
    can trust, and the fresh file passes SQLite's checks (or nothing is readable and it says so)."""
    from kiosk.store.recovery import recover_store

    template = tmp_path / "template.db"
    with open_store(template) as store:
        references = [
            store.queue_submission(form_id="f", form_version="1", form_hash="h", seal=_sealed_for).reference
            for _ in range(30)
        ]
        store.mark_acknowledged(store.take_batch(lambda items, seq, bid: b"".join(items), max_items=8).batch_id)
        store.take_batch(lambda items, seq, bid: b"".join(items), max_items=5)
    pages = template.stat().st_size // sqlite3.connect(template).execute("PRAGMA page_size").fetchone()[0]
    refusals = 0
    for page in range(1, pages + 1):
        folder = tmp_path / f"page-{page}"
        folder.mkdir()
        path = folder / DB_NAME
        path.write_bytes(template.read_bytes())
        _damage_page(path, page)
        try:
            report = recover_store(path)
        except StoreCorruptError as refused:
            refusals += 1
            assert "Nothing at all can be read" in refused.message or "gar nichts" in refused.message
            continue
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", page
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == [], page
            rows = conn.execute("SELECT reference, captured_at, state, sealed FROM outbox").fetchall()
        finally:
            conn.close()
        assert {row[0] for row in rows} <= set(references), page
        waiting = [row for row in rows if row[2] == "queued"]
        assert all(sealed == _sealed_for(ref, at) for ref, at, _, sealed in waiting), page
        assert report.waiting == len(waiting) and report.waiting + report.finished == len(rows)
        assert len(rows) + report.unreadable >= 1
    assert refusals < pages // 2  # most single damaged pages leave most of the queue readable


def test_recovering_a_readable_file_keeps_every_row_as_the_kiosk_knew_it(tmp_path):
    """Refused items stay refused (not sent again by themselves), answers, the status cursor and
    the staff PIN lock-out survive; only the batch on its way is built anew."""
    from kiosk.store import StatusRecord
    from kiosk.store.recovery import recover_store

    path = tmp_path / DB_NAME
    build = lambda items, seq, bid: b"".join(items)  # noqa: E731
    with open_store(path) as store:
        refs = [
            store.queue_submission(form_id="f", form_version="1", form_hash="h", seal=_sealed_for).reference
            for _ in range(5)
        ]
        first = store.take_batch(build, max_items=3)
        digests = dict(sqlite3.connect(path).execute("SELECT reference, item_digest FROM outbox").fetchall())
        store.apply_ack(first.batch_id, {digests[refs[1]]: "reference_conflict"})
        store.apply_status([StatusRecord(refs[0], "accepted", "Bitte abholen.", "2026-03-02T10:00:00Z", 7)])
        store.take_batch(build, max_items=1)
        store.record_pin_failure(lambda count: 4_000_000_000.0)
        attention = store.needing_attention()
        before = {ref: store.lookup(ref) for ref in refs}

    report = recover_store(path)

    with open_store(path) as store:
        assert store.needing_attention() == attention
        assert {ref: store.lookup(ref) for ref in refs} == {
            ref: (view if ref != refs[3] else dataclasses.replace(view, state=OutboxState.QUEUED))
            for ref, view in before.items()
        }
        assert store.status_cursor() == 7
        assert store.pin_failures().count == 1
        assert store.pending_batch() is None
    assert (report.waiting, report.finished, report.unreadable) == (3, 2, 0)
