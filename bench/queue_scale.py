"""``python -m bench queue``: submit and the staff's queue listing with 100,000 items queued vs 100.

A kiosk that cannot reach the town hall for months keeps queueing; what it does per citizen and
what staff open must not slow down as the queue grows. Two stores in the same run: one with 100
queued items, one with 100,000 (100 queued by ``Store.queue_submission``, the rest copies of one of
them under fresh receipt codes, inserted in bulk to save the minutes a real kiosk would spend). On
each it times ``queue_submission`` (the store's part of submit: one durable transaction; sealing
costs the same at any queue size and is left out) and the listing the staff screen and the status
line read (``counts``, ``waiting_count``, ``waiting_bytes``, ``recent_receipts``,
``needing_attention``), the two stores taking turns, and prints the medians and the ratio
large / small (1.0 = no growth).
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.refcode import new_reference
from kiosk.store import Store, open_store, utc_timestamp
from sync.envelope import ItemMeta, seal_item

SMALL, LARGE = 100, 100_000


def _fill(path: Path, count: int, sealed: bytes) -> Store:
    store = open_store(path)
    for _ in range(min(count, SMALL)):
        store.queue_submission(form_id="nachricht", form_version="1.1", form_hash="ab" * 32, seal=lambda r, c: sealed)
    if count > SMALL:
        store.close()
        conn = sqlite3.connect(path)
        columns = [row[1] for row in conn.execute("PRAGMA table_info(outbox)")]
        template = dict(zip(columns, conn.execute("SELECT * FROM outbox LIMIT 1").fetchone()))
        start = conn.execute("SELECT MAX(position) FROM outbox").fetchone()[0]
        used = {row[0] for row in conn.execute("SELECT reference FROM outbox")}
        rows = []
        for position in range(start + 1, start + 1 + count - SMALL):
            reference = new_reference()
            while reference in used:
                reference = new_reference()
            used.add(reference)
            row = {**template, "reference": reference, "position": position, "item_digest": f"{position:064x}"}
            rows.append([row[c] for c in columns])
        with conn:
            conn.executemany(f"INSERT INTO outbox VALUES ({','.join('?' * len(columns))})", rows)
        conn.close()
        store = open_store(path)
    return store


def _median_ms(fn: Callable[[], object], runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _listing(store: Store) -> None:
    store.counts()
    store.waiting_count()
    store.waiting_bytes()
    store.recent_receipts()
    store.needing_attention()


def main() -> None:
    """Build both stores, time both operations on each, print the ratios."""
    sealed = seal_item(
        ItemMeta("nachricht", "1.1", "ab" * 32, "kiosk-1", new_reference(), utc_timestamp()),
        {"message": "Bitte rufen Sie mich zurück. " * 8, "name": "Erika Mustermann"},
        X25519PrivateKey.generate().public_key(),
    )
    with tempfile.TemporaryDirectory(prefix="rathaus-queue-") as folder:
        stores = {count: _fill(Path(folder) / f"kiosk-{count}.db", count, sealed) for count in (SMALL, LARGE)}
        submits: dict[int, list[float]] = {SMALL: [], LARGE: []}
        listings: dict[int, list[float]] = {SMALL: [], LARGE: []}
        # Small and large take turns, so a burst of disk load from elsewhere (a submit is one
        # fsync) falls on both alike instead of on whichever store happened to be measured then.
        for _ in range(30):
            for count, store in stores.items():
                submits[count].append(_median_ms(
                    lambda: store.queue_submission(
                        form_id="nachricht", form_version="1.1", form_hash="ab" * 32, seal=lambda r, c: sealed
                    ),
                    runs=1,
                ))
                listings[count].append(_median_ms(lambda: _listing(store), runs=1))
        figures = {
            count: (statistics.median(submits[count]), statistics.median(listings[count]), store.waiting_count())
            for count, store in stores.items()
        }
        parts = {
            count: {
                name: _median_ms(getattr(store, name), runs=10)
                for name in ("counts", "waiting_count", "waiting_bytes", "recent_receipts", "needing_attention")
            }
            for count, store in stores.items()
        }
        for store in stores.values():
            store.close()
    (s_submit, s_list, s_n), (l_submit, l_list, l_n) = figures[SMALL], figures[LARGE]
    print(
        f"queue: submit {l_submit:.2f} ms with {l_n} waiting vs {s_submit:.2f} ms with {s_n} "
        f"(ratio {l_submit / s_submit:.2f}x); listing {l_list:.2f} ms vs {s_list:.2f} ms "
        f"(ratio {l_list / s_list:.2f}x)"
    )
    print("queue: listing by call, large vs small: " + ", ".join(
        f"{name} {parts[LARGE][name]:.2f}/{parts[SMALL][name]:.2f} ms" for name in parts[LARGE]
    ))
