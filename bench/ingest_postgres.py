"""``python -m bench ingest-postgres``: how many submissions a district server verifies and stores
per second on PostgreSQL with two workers, beside the same run on SQLite.

The harness is the same for both backends: a throwaway town hall with ``KIOSKS`` enrolled kiosks,
batches sealed and signed beforehand (sealing is the kiosk's cost, not the server's), the real
``rathaus server --workers 2`` started as a child process on 127.0.0.1, and one client thread per
kiosk sending its batches one after the other as a kiosk's outbox does, all kiosks at once. The
clock runs from the first request to the last acknowledgement; every answer must be a 200 and
afterwards the database must hold every item, so the figure counts submissions verified (size,
structure, enrolment, signature, recipient) and durably stored. PostgreSQL runs with ``fsync`` on
(a throwaway server from Debian's postgresql package, ``bench.postgres_server``), SQLite with its
``synchronous=FULL``: both acknowledge only what survives a power cut.

``measure_postgres_ingest()`` gives the PostgreSQL figure alone, for a caller that prints it beside
its own SQLite figure; ``measure_ingest("sqlite")`` is the same harness on SQLite.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

KIOSKS = 8
WORKERS = 2
ANSWERS = {
    "name": "Erika Mustermann",
    "birth_date": "1941-03-08",
    "address": {"street": "Lindenstraße", "number": "7", "postcode": "39517", "town": "Tangerhütte"},
    "message": "Bitte rufen Sie mich wegen des Termins zurück. " * 8,
}


@dataclass(frozen=True)
class IngestFigure:
    """One run: ``submissions`` items in ``batches`` batches, verified and stored in ``seconds``."""

    backend: str
    workers: int
    kiosks: int
    batches: int
    submissions: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.submissions / self.seconds

    def line(self) -> str:
        return (
            f"ingest  {self.backend:<10} {self.workers} workers  {self.kiosks} kiosks  "
            f"{self.submissions} submissions in {self.batches} batches  {self.seconds:6.2f} s  "
            f"{self.per_second:8.1f} submissions/s"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare(folder: Path, *, kiosks: int, batches_per_kiosk: int, items_per_batch: int) -> tuple[Path, list[list[bytes]]]:
    """A town hall with enrolled kiosks, and each kiosk's batches ready to send."""
    from kiosk.refcode import new_reference
    from sync.allowlist import Allowlist
    from sync.envelope import ItemMeta, build_batch, seal_item
    from sync.keys import (
        enrolment_request_path,
        init_kiosk,
        init_townhall,
        load_kiosk_keys,
        load_townhall_keys,
        townhall_public_keys_path,
    )

    townhall_dir = folder / "townhall"
    init_townhall(townhall_dir, name="Landkreis Stendal")
    townhall = load_townhall_keys(townhall_dir, need_encryption=False)
    per_kiosk: list[list[bytes]] = []
    for number in range(kiosks):
        kiosk_id = f"kiosk-{number}"
        kiosk_dir = folder / kiosk_id
        init_kiosk(kiosk_dir, kiosk_id=kiosk_id, townhall_public=townhall_public_keys_path(townhall_dir))
        Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, kiosk_id))
        kiosk = load_kiosk_keys(kiosk_dir)
        batches = []
        for sequence in range(1, batches_per_kiosk + 1):
            items = [
                seal_item(
                    ItemMeta("nachricht", "1", "ab" * 32, kiosk_id, new_reference(), "2026-03-02T09:15:00Z"),
                    ANSWERS,
                    townhall.public.encryption,
                    kiosk.signing,
                )
                for _ in range(items_per_batch)
            ]
            batches.append(
                build_batch(items, kiosk_id=kiosk_id, sequence=sequence, signing_key=kiosk.signing,
                            recipient_key_id=townhall.public.encryption_key_id)
            )
        per_kiosk.append(batches)
    return townhall_dir, per_kiosk


def _start_server(townhall_dir: Path, workers: int, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "server", "--port", str(port), "--workers", str(workers),
         "--data-dir", str(townhall_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**env, "RATHAUS_LOG_LEVEL": "WARNING"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/v1/ready", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the server did not start: {process.stderr.read() if process.stderr else ''}")
            time.sleep(0.1)


def _send_all(url: str, per_kiosk: list[list[bytes]]) -> float:
    """Every kiosk's batches in order, all kiosks at once; seconds from first request to last ack."""
    failures: list[str] = []
    barrier = threading.Barrier(len(per_kiosk) + 1)

    def kiosk_outbox(batches: list[bytes]) -> None:
        with httpx.Client(base_url=url, timeout=60, headers={"Content-Type": "application/octet-stream"}) as client:
            barrier.wait()
            for data in batches:
                answer = client.post("/v1/batches", content=data)
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=kiosk_outbox, args=(batches,)) for batches in per_kiosk]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} batches not acknowledged, e.g. {failures[0]}")
    return seconds


def measure_ingest(
    backend: str = "postgresql",
    *,
    workers: int = WORKERS,
    kiosks: int = KIOSKS,
    batches_per_kiosk: int = 10,
    items_per_batch: int = 10,
    database_url: str | None = None,
) -> IngestFigure:
    """One ingest run on ``backend`` (``postgresql``: a throwaway server unless ``database_url``)."""
    from bench.postgres_server import ThrowawayPostgres
    from sync.server.database import DATABASE_ENV, TOWN_ENV, close_pools
    from sync.server.storage import open_storage

    env = {k: v for k, v in os.environ.items() if k not in (DATABASE_ENV, TOWN_ENV)}
    postgres = None
    saved = {k: os.environ.get(k) for k in (DATABASE_ENV, TOWN_ENV)}
    try:
        if backend == "postgresql":
            if database_url is None:
                postgres = ThrowawayPostgres.start(fsync=True)
                database_url = postgres.create_database("ingest")
            env[DATABASE_ENV] = database_url
            env[TOWN_ENV] = "t-" + secrets.token_hex(4)
        elif backend != "sqlite":
            raise ValueError(f"unknown backend {backend!r}")
        for key in (DATABASE_ENV, TOWN_ENV):  # this process prepares the same town
            if key in env:
                os.environ[key] = env[key]
            else:
                os.environ.pop(key, None)
        with tempfile.TemporaryDirectory(prefix="rathaus-ingest-") as folder:
            townhall_dir, per_kiosk = _prepare(
                Path(folder), kiosks=kiosks, batches_per_kiosk=batches_per_kiosk, items_per_batch=items_per_batch
            )
            process, url = _start_server(townhall_dir, workers, env)
            try:
                seconds = _send_all(url, per_kiosk)
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    process.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()
            expected = kiosks * batches_per_kiosk * items_per_batch
            with open_storage(townhall_dir) as storage:
                held = storage.counts().items
            if held != expected:
                raise RuntimeError(f"{held} submissions stored, {expected} sent")
    finally:
        close_pools()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if postgres is not None:
            postgres.stop()
    return IngestFigure(backend, workers, kiosks, kiosks * batches_per_kiosk, expected, seconds)


def measure_postgres_ingest(**options: object) -> IngestFigure:
    """The PostgreSQL figure with two workers (for ``make bench`` beside the SQLite figure)."""
    return measure_ingest("postgresql", **options)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ingest-postgres", description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10, help="batches per kiosk (default 10)")
    parser.add_argument("--items", type=int, default=10, help="submissions per batch (default 10)")
    args = parser.parse_args(argv)
    options = dict(batches_per_kiosk=args.batches, items_per_batch=args.items)
    from bench.postgres_server import PostgresUnavailable

    baseline = measure_ingest("sqlite", **options)
    print(baseline.line())
    try:
        figure = measure_postgres_ingest(**options)
    except PostgresUnavailable as exc:
        print(f"ingest  postgresql skipped: {exc}")
        return 0
    print(figure.line())
    print(f"ingest  ratio postgresql/sqlite {figure.per_second / baseline.per_second:5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
