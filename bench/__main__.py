"""``make bench``: what sealing, queueing and batching cost compared with what they rest on.

Each benchmark times the product's operation and a baseline doing the bare minimum of the same work
in the same run, on the same machine, and prints the ratio. Ratios, not seconds, are comparable
between machines and runs.

- seal: ``sync.envelope.seal_item`` vs a bare HPKE encryption of the same JSON.
- queue: ``Store.queue_submission`` (WAL, synchronous=FULL, one transaction) vs a bare SQLite
  insert with the same durability settings.
- batch: building and verifying a signed batch of 200 items vs bare Ed25519 sign + verify over the
  same bytes.

``python -m bench compression`` measures the codecs for sealed answers instead (``bench.compression``).
``make bench`` then runs, each printing its figure beside a baseline measured in the same run:

- ``python -m bench queue``: submit and queue listing with 100,000 items queued against 100
  (``bench.queue_scale``);
- ``python -m bench coldstart``: the kiosk's cold start and memory against a bare Textual app
  (``bench.coldstart``);
- ``python -m bench ingest``: submissions per second the server verifies and stores, two worker
  processes, against bare Ed25519 verification and insert of the same bytes (``bench.ingest``);
- ``python -m bench warning``: a warning snapshot's way to a kiosk on the window link with 200
  applications waiting, against an empty queue (``bench.warning_latency``);
- ``python -m bench rural``: our sync against one POST per submission over a simulated rural link
  (``bench.rural``);
- ``python -m bench ingest-postgres``: the town-hall server's ingest with two workers on PostgreSQL
  beside SQLite in the same run (``bench.ingest_postgres``).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.refcode import new_reference
from kiosk.store import open_store, utc_timestamp
from sync.envelope import ItemMeta, build_batch, key_id, seal_item, verify_batch

ANSWERS = {
    "name": "Erika Mustermann",
    "birth_date": "1941-03-08",
    "address": {"street": "Lindenstraße", "number": "7", "postcode": "39517", "town": "Tangerhütte"},
    "iban": "DE89370400440532013000",
    "message": "Bitte rufen Sie mich wegen des Termins zurück. " * 8,
}


def best_of(fn: Callable[[], None], *, repeat: int = 5, number: int = 50) -> float:
    """Seconds per call, the median of ``repeat`` rounds of ``number`` calls."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def report(name: str, product: float, baseline: float) -> None:
    print(f"{name:<8} product {product * 1e6:10.1f} µs   baseline {baseline * 1e6:10.1f} µs   ratio {product / baseline:5.2f}x")


def bench_seal() -> None:
    private = X25519PrivateKey.generate()
    public = private.public_key()
    meta = ItemMeta("nachricht", "1.0", "ab" * 32, "kiosk-1", new_reference(), utc_timestamp())
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
    plain = json.dumps(ANSWERS, sort_keys=True, separators=(",", ":")).encode()
    signing = Ed25519PrivateKey.generate()
    product = best_of(lambda: seal_item(meta, ANSWERS, public, signing), number=200)
    baseline = best_of(lambda: suite.encrypt(plain, public, info=b"x" * 200), number=200)
    report("seal", product, baseline)


def bench_queue(folder: Path) -> None:
    sealed = seal_item(
        ItemMeta("nachricht", "1.0", "ab" * 32, "kiosk-1", new_reference(), utc_timestamp()),
        ANSWERS,
        X25519PrivateKey.generate().public_key(),
    )
    store = open_store(folder / "kiosk.db")
    conn = sqlite3.connect(folder / "bare.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (reference TEXT PRIMARY KEY, sealed BLOB, state TEXT)")

    def product() -> None:
        store.queue_submission(form_id="nachricht", form_version="1.0", form_hash="ab" * 32, seal=lambda r, c: sealed)

    def baseline() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?, 'queued')", (new_reference(), sealed))
        conn.execute("COMMIT")

    report("queue", best_of(product, number=40), best_of(baseline, number=40))
    store.close()
    conn.close()


def bench_batch() -> None:
    signing = Ed25519PrivateKey.generate()
    public = signing.public_key()
    recipient = X25519PrivateKey.generate().public_key()
    items = [
        seal_item(ItemMeta("nachricht", "1.0", "ab" * 32, "kiosk-1", new_reference(), utc_timestamp()), ANSWERS, recipient, signing)
        for _ in range(200)
    ]
    body = b"".join(items)

    def product() -> None:
        data = build_batch(items, kiosk_id="kiosk-1", sequence=1, signing_key=signing, recipient_key_id=key_id(recipient))
        verify_batch(data, public)

    def baseline() -> None:
        public.verify(signing.sign(body), body)

    report("batch", best_of(product, number=10), best_of(baseline, number=10))


def main() -> None:
    if sys.argv[1:] == ["compression"]:
        from bench.compression import main as compression_main

        compression_main()
        return
    if sys.argv[1:] == ["coldstart"]:
        from bench.coldstart import main as coldstart_main

        coldstart_main()
        return
    if sys.argv[1:] == ["queue"]:
        from bench.queue_scale import main as queue_main

        queue_main()
        return
    if sys.argv[1:2] == ["ingest"]:
        from bench.ingest import main as ingest_main

        raise SystemExit(ingest_main(sys.argv[2:]))
    if sys.argv[1:2] == ["warning"]:
        from bench.warning_latency import main as warning_main

        raise SystemExit(warning_main(sys.argv[2:]))
    if sys.argv[1:2] == ["ingest-postgres"]:
        from bench.ingest_postgres import main as ingest_postgres_main

        raise SystemExit(ingest_postgres_main(sys.argv[2:]))
    if sys.argv[1:2] == ["rural"]:
        from bench.rural import main as rural_main

        raise SystemExit(rural_main(sys.argv[2:]))
    print(__doc__.strip().splitlines()[0])
    bench_seal()
    with tempfile.TemporaryDirectory() as folder:
        bench_queue(Path(folder))
    bench_batch()
    from bench.coldstart import main as coldstart_main
    from bench.ingest import main as ingest_main
    from bench.queue_scale import main as queue_main
    from bench.rural import main as rural_main
    from bench.warning_latency import main as warning_main

    queue_main()
    coldstart_main()
    ingest_main([])
    warning_main([])
    rural_main([])
    from bench.ingest_postgres import main as ingest_postgres_main

    ingest_postgres_main([])


if __name__ == "__main__":
    main()
