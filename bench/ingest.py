"""``python -m bench ingest``: submissions per second the town-hall server verifies and stores.

The real server (``sync.server.app.create_app`` with ``sync.server.serving.server_config``, as
``rathaus server`` runs it) in ``--workers`` processes sharing one listening socket on 127.0.0.1,
fed signed batches of realistic sealed applications (``bench.answers``, sealed and signed by
enrolled kiosks before the clock starts: sealing is the kiosks' work) by client threads over
kept-alive connections, each kiosk's batches in order. Every batch must be answered 200 with an
acknowledgement, and the storage must hold every item at the end. Time: from the first request
to the last answer.

Baseline in the same run (once before and once after the server, averaged), with as many
processes: the bare cost of what the server cannot avoid, per submission one Ed25519
verification of the item's signature over its signed bytes and an insert of the same sealed
bytes into the same kind of database, one transaction per batch, with the product's durability
settings. Printed: both rates and their ratio (server / bare).

Another storage backend plugs in by a database URL: ``--database URL`` picks a ``Backend`` from
``BACKENDS`` by the URL's scheme; a backend is a factory for the product's ``Storage`` and one for
the bare writer of the baseline. ``sqlite:`` (the default, ``townhall.db`` in the town-hall
directory, or ``sqlite:////path/to/file.db``) is the shipped one.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import socket
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol
from urllib.parse import urlsplit

from bench.answers import samples
from kiosk.refcode import new_reference
from sync.server.storage import SqliteStorage, Storage

DEFAULT_SUBMISSIONS = 4000
DEFAULT_PER_BATCH = 50
DEFAULT_KIOSKS = 8
DEFAULT_WORKERS = 2
CLIENT_THREADS = 4


# -- storage backends --------------------------------------------------------------------------


class BareWriter(Protocol):
    """The baseline's storage: the same bytes into the same kind of database, nothing else."""

    def insert_batch(self, rows: list[tuple[str, str, bytes]]) -> None:
        """(kiosk id, reference, sealed bytes) of one batch, in one transaction."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Backend:
    """How to open the product's storage and the baseline's bare writer for a database URL."""

    storage: Callable[[str, Path], Storage]
    bare_writer: Callable[[str, Path, str], BareWriter]
    """``bare_writer(url, townhall_dir, label)``: a fresh, separate database per ``label``."""


def _sqlite_path(url: str, townhall_dir: Path, default_name: str) -> Path:
    path = urlsplit(url).path
    return Path(path) if path not in ("", "/") else townhall_dir / default_name


class _SqliteBare:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS items (kiosk_id TEXT, reference TEXT, sealed BLOB,"
            " PRIMARY KEY (kiosk_id, reference))"
        )

    def insert_batch(self, rows: list[tuple[str, str, bytes]]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany("INSERT INTO items VALUES (?, ?, ?)", rows)
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


BACKENDS: dict[str, Backend] = {
    "sqlite": Backend(
        storage=lambda url, townhall_dir: SqliteStorage(_sqlite_path(url, townhall_dir, "townhall.db")),
        bare_writer=lambda url, townhall_dir, label: _SqliteBare(
            _sqlite_path(url, townhall_dir, "townhall.db").with_name(f"bare-baseline-{label}.db")
        ),
    ),
}


def backend_for(url: str) -> Backend:
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme not in BACKENDS:
        raise SystemExit(f"no ingest backend for {url!r}; known: {', '.join(sorted(BACKENDS))}")
    return BACKENDS[scheme]


# -- the workload ------------------------------------------------------------------------------


@dataclass
class Workload:
    townhall_dir: Path
    batches: list[list[bytes]]  # per kiosk, its batches in order
    kiosk_of: list[str]
    items: list[list[list[tuple[str, str, bytes, bytes, bytes]]]]  # per kiosk, per batch: baseline rows
    submissions: int


def prepare(folder: Path, submissions: int, per_batch: int, kiosks: int) -> Workload:
    """Enrol ``kiosks`` kiosks and seal ``submissions`` realistic applications into signed batches."""
    from sync.allowlist import Allowlist
    from sync.envelope import ItemMeta, build_batch, seal_item
    from sync.envelope.items import _parse
    from sync.keys import (
        enrolment_request_path,
        init_kiosk,
        init_townhall,
        load_kiosk_keys,
        load_townhall_keys,
        townhall_public_keys_path,
    )

    townhall_dir = folder / "townhall"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    townhall = load_townhall_keys(townhall_dir, need_encryption=False)
    allowlist = Allowlist(townhall_dir)
    keys = []
    for number in range(kiosks):
        kiosk_dir = folder / f"kiosk-{number}"
        kiosk_id = f"kiosk-{number}"
        init_kiosk(kiosk_dir, kiosk_id=kiosk_id, townhall_public=townhall_public_keys_path(townhall_dir))
        allowlist.approve(enrolment_request_path(kiosk_dir, kiosk_id))
        keys.append(load_kiosk_keys(kiosk_dir))
    per_kiosk: list[list[bytes]] = [[] for _ in range(kiosks)]
    rows: list[list[list[tuple[str, str, bytes, bytes, bytes]]]] = [[] for _ in range(kiosks)]
    pending: list[list[tuple[str, bytes]]] = [[] for _ in range(kiosks)]
    for index, (form, answers) in enumerate(samples(submissions, seed=2027)):
        number = index % kiosks
        kiosk = keys[number]
        meta = ItemMeta(form.id, form.version, form.content_hash, kiosk.kiosk_id, new_reference(),
                        "2026-12-01T09:00:00Z")
        pending[number].append((meta.reference, seal_item(meta, answers, townhall.public.encryption, kiosk.signing)))
        if len(pending[number]) == per_batch or index >= submissions - kiosks:
            items = pending[number]
            per_kiosk[number].append(
                build_batch([sealed for _, sealed in items], kiosk_id=kiosk.kiosk_id,
                            sequence=len(per_kiosk[number]) + 1, signing_key=kiosk.signing,
                            recipient_key_id=townhall.public.encryption_key_id)
            )
            batch_rows = []
            for reference, sealed in items:
                parsed = _parse(sealed)
                batch_rows.append((kiosk.kiosk_id, reference, sealed, parsed.signed_part, parsed.signature))
            rows[number].append(batch_rows)
            pending[number] = []
    total = sum(len(items) for kiosk_rows in rows for items in kiosk_rows)
    return Workload(townhall_dir, per_kiosk, [k.kiosk_id for k in keys], rows, total)


# -- the server, in worker processes -----------------------------------------------------------


def _serve(townhall_dir: str, url: str, sock: socket.socket) -> None:
    import logging

    import uvicorn

    from sync.server.app import create_app
    from sync.server.serving import server_config

    logging.getLogger("rathaus").setLevel(logging.WARNING)
    storage = backend_for(url).storage(url, Path(townhall_dir))
    app = create_app(Path(townhall_dir), storage=storage)
    host, port = sock.getsockname()[:2]
    config = server_config(app, host=host, port=port, log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def start_servers(townhall_dir: Path, url: str, workers: int) -> tuple[int, list[multiprocessing.Process]]:
    # The schema is brought up to date once, here: workers opening a new database at the same
    # moment would race to create it (as ``rathaus server`` opens it once before it serves).
    backend_for(url).storage(url, townhall_dir).close()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_serve, args=(str(townhall_dir), url, sock), daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()
    sock.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                conn.close()
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the ingest server did not start")
        time.sleep(0.1)
    _all_alive(processes)
    return port, processes


def _all_alive(processes: list[multiprocessing.Process]) -> None:
    dead = [p for p in processes if not p.is_alive()]
    if dead:
        raise SystemExit(f"ingest: {len(dead)} of {len(processes)} server workers ended early")


def stop_servers(processes: list[multiprocessing.Process]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(10)


def send_all(port: int, workload: Workload, threads: int = CLIENT_THREADS) -> float:
    """Send every kiosk's batches in order over kept-alive connections; seconds taken."""
    failures: list[str] = []
    kiosk_numbers = list(range(len(workload.batches)))

    def client(numbers: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        # Kiosks interleave: one batch of each in turn, as many kiosks sending at once would.
        for round_ in range(max(len(workload.batches[n]) for n in numbers)):
            for number in numbers:
                if round_ >= len(workload.batches[number]):
                    continue
                body = workload.batches[number][round_]
                conn.request("POST", "/v1/batches", body=body,
                             headers={"Content-Type": "application/octet-stream"})
                response = conn.getresponse()
                answer = response.read()
                if response.status != 200 or not answer:
                    failures.append(f"{workload.kiosk_of[number]} batch {round_ + 1}: {response.status} {answer[:200]!r}")
        conn.close()

    groups = [kiosk_numbers[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=client, args=(group,)) for group in groups if group]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    took = time.perf_counter() - started
    if failures:
        raise SystemExit("ingest: batches refused: " + "; ".join(failures[:3]))
    return took


# -- the baseline ------------------------------------------------------------------------------


def _bare_worker(url: str, townhall_dir: str, label: str, rows: list[list[tuple[str, str, bytes, bytes, bytes]]],
                 public_keys: dict[str, bytes], start: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys = {kiosk: Ed25519PublicKey.from_public_bytes(raw) for kiosk, raw in public_keys.items()}
    writer = backend_for(url).bare_writer(url, Path(townhall_dir), label)
    start.wait()
    for batch in rows:
        for kiosk_id, _reference, _sealed, signed_part, signature in batch:
            keys[kiosk_id].verify(signature, signed_part)
        writer.insert_batch([(kiosk_id, reference, sealed) for kiosk_id, reference, sealed, _, _ in batch])
    writer.close()


def run_baseline(url: str, workload: Workload, workers: int, label: str) -> float:
    from cryptography.hazmat.primitives import serialization

    from sync.allowlist import Allowlist

    allowlist = Allowlist(workload.townhall_dir)
    public_keys = {
        kiosk_id: allowlist.public_key_for(kiosk_id).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        for kiosk_id in workload.kiosk_of
    }
    # A separate database (same kind, same settings), so the baseline meets no rows of the run.
    backend_for(url).bare_writer(url, workload.townhall_dir, label).close()
    all_batches = [batch for kiosk_rows in workload.items for batch in kiosk_rows]
    context = multiprocessing.get_context("fork")
    start = context.Event()
    processes = [
        context.Process(target=_bare_worker, args=(url, str(workload.townhall_dir), label, all_batches[i::workers], public_keys, start))
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    time.sleep(0.5)  # every worker has its keys and its database open
    started = time.perf_counter()
    start.set()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit("ingest: the baseline worker failed")
    return time.perf_counter() - started


# -- the run -----------------------------------------------------------------------------------


@dataclass
class Figures:
    submissions: int
    batches: int
    server_seconds: float
    bare_seconds: float

    @property
    def server_rate(self) -> float:
        return self.submissions / self.server_seconds

    @property
    def bare_rate(self) -> float:
        return self.submissions / self.bare_seconds


def measure(*, url: str, submissions: int, per_batch: int, kiosks: int, workers: int) -> Figures:
    with tempfile.TemporaryDirectory(prefix="rathaus-ingest-") as folder:
        workload = prepare(Path(folder), submissions, per_batch, kiosks)
        # The bare baseline before and after the server, averaged: load from elsewhere on the
        # machine then falls on both sides alike.
        bare_before = run_baseline(url, workload, workers, "before")
        port, processes = start_servers(workload.townhall_dir, url, workers)
        try:
            server_seconds = send_all(port, workload)
            _all_alive(processes)  # the figure is that of every worker, not of the survivors
        finally:
            stop_servers(processes)
        storage = backend_for(url).storage(url, workload.townhall_dir)
        try:
            held = storage.counts().items
        finally:
            storage.close()
        if held != workload.submissions:
            raise SystemExit(f"ingest: {held} items stored of {workload.submissions} sent")
        bare_seconds = (bare_before + run_baseline(url, workload, workers, "after")) / 2
    batches = sum(len(b) for b in workload.batches)
    return Figures(workload.submissions, batches, server_seconds, bare_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite://", help="storage backend by URL (default: sqlite://, townhall.db)")
    parser.add_argument("--submissions", type=int, default=DEFAULT_SUBMISSIONS)
    parser.add_argument("--per-batch", type=int, default=DEFAULT_PER_BATCH)
    parser.add_argument("--kiosks", type=int, default=DEFAULT_KIOSKS)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = parser.parse_args(argv)
    backend_for(args.database)
    figures = measure(url=args.database, submissions=args.submissions, per_batch=args.per_batch,
                      kiosks=args.kiosks, workers=args.workers)
    print(
        f"ingest: {figures.submissions} submissions in {figures.batches} batches from {args.kiosks} kiosks, "
        f"{args.workers} server workers, {urlsplit(args.database).scheme}: "
        f"server {figures.server_rate:,.0f}/s verified and stored; bare Ed25519 verify + insert "
        f"{figures.bare_rate:,.0f}/s; ratio {figures.server_rate / figures.bare_rate:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
