"""A district server on PostgreSQL: several server processes, each with two workers, share one
database. The same batch sent by many clients at once is stored exactly once (by the database's
constraints, no lock in any process); a revocation reaches every worker with the next request;
and the server's database role cannot enrol a kiosk."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from kiosk.errors import StoreError
from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, build_batch, parse_batch, seal_item, verify_ack
from sync.envelope.uploads import build_upload_ticket
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_townhall_keys,
    townhall_public_keys_path,
)
from sync.server.database import DATABASE_ENV, TOWN_ENV
from sync.server.storage import open_storage

pytestmark = pytest.mark.slow

CLIENTS = 16
ROLES_SQL = Path(__file__).resolve().parents[2] / "deploy" / "server" / "roles.sql"


@pytest.fixture(scope="module")
def district(postgres_url, tmp_path_factory):
    """One town on the shared PostgreSQL database, with three enrolled kiosks (one per test)."""
    tmp_path = tmp_path_factory.mktemp("district")
    town = "t-" + secrets.token_hex(6)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DATABASE_ENV, postgres_url)
        patch.setenv(TOWN_ENV, town)
        townhall_dir = tmp_path / "townhall"
        init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
        kiosks = {}
        for kiosk_id in ("kiosk-a", "kiosk-b", "kiosk-c"):
            kiosk_dir = tmp_path / kiosk_id
            init_kiosk(kiosk_dir, kiosk_id=kiosk_id, townhall_public=townhall_public_keys_path(townhall_dir))
            Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, kiosk_id))
            kiosks[kiosk_id] = load_kiosk_keys(kiosk_dir)
    return townhall_dir, kiosks, load_townhall_keys(townhall_dir, need_encryption=False), town


@pytest.fixture(autouse=True)
def _in_the_district(district, postgres_url, monkeypatch):
    """This process reads and changes the same town's records as the servers."""
    monkeypatch.setenv(DATABASE_ENV, postgres_url)
    monkeypatch.setenv(TOWN_ENV, district[3])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def servers(district, postgres_url):
    """Two ``rathaus server --workers 2`` processes on the same database: four workers."""
    townhall_dir, town = district[0], district[3]
    started = []
    for _ in range(2):
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "server", "--port", str(port), "--workers", "2",
             "--data-dir", str(townhall_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "RATHAUS_LOG_LEVEL": "WARNING", DATABASE_ENV: postgres_url, TOWN_ENV: town},
        )
        started.append((process, f"http://127.0.0.1:{port}"))
    try:
        for process, url in started:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{url}/v1/health", timeout=1)
                    break
                except httpx.TransportError:
                    assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
                    time.sleep(0.1)
        yield [url for _process, url in started]
    finally:
        for process, _url in started:
            process.send_signal(signal.SIGTERM)
        for process, _url in started:
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def _batch(kiosk, townhall, count: int, *, first: int = 0, size: int = 8) -> bytes:
    items = [
        seal_item(
            ItemMeta("nachricht", "1", "sha256:" + "0" * 64, kiosk.kiosk_id, f"7KQM2X{n:03d}", "2026-03-02T09:15:00Z"),
            {"message": secrets.token_hex(size)},  # does not compress: the batch keeps its size
            townhall.public.encryption,
        )
        for n in range(count)
    ]
    return build_batch(
        items, kiosk_id=kiosk.kiosk_id, sequence=1, signing_key=kiosk.signing,
        recipient_key_id=townhall.public.encryption_key_id,
    )


def _all_at_once(work, count: int) -> list:
    """Run ``work(n)`` in ``count`` threads released together."""
    barrier = threading.Barrier(count)

    def run(n: int):
        barrier.wait()
        return work(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_the_same_batch_from_many_clients_at_once_to_four_workers_is_stored_once(district, servers):
    townhall_dir, kiosks, townhall, _town = district
    data = _batch(kiosks["kiosk-a"], townhall, 3)
    with open_storage(townhall_dir) as storage:
        before = storage.counts()

    def send(n: int) -> httpx.Response:
        with httpx.Client(base_url=servers[n % 2], timeout=30) as client:  # a connection of its own
            return client.post("/v1/batches", content=data)

    answers = _all_at_once(send, CLIENTS)

    assert [a.status_code for a in answers] == [200] * CLIENTS, [a.text for a in answers if a.status_code != 200]
    assert len({a.content for a in answers}) == 1  # one stored record, one acknowledgement
    header = parse_batch(data).header
    verify_ack(answers[0].content, townhall.signing_public, batch_id=header.batch_id, kiosk_id="kiosk-a")
    with open_storage(townhall_dir) as storage:
        after = storage.counts()
    assert (after.batches - before.batches, after.items - before.items) == (1, 3)


def test_the_same_chunked_upload_retried_from_many_clients_at_once_is_stored_once(district, servers):
    import hashlib

    townhall_dir, kiosks, townhall, _town = district
    kiosk = kiosks["kiosk-b"]
    data = _batch(kiosk, townhall, 40, size=300)
    assert len(data) > 3 * 8192
    header = parse_batch(data).header
    ticket = build_upload_ticket(
        kiosk_id=kiosk.kiosk_id, batch_id=header.batch_id, batch_digest=hashlib.sha256(data).hexdigest(),
        length=len(data), signing_key=kiosk.signing,
    )

    def upload(n: int) -> bytes:
        """What a kiosk's uploader does, with every retry at once: open, send from the server's
        offset, after a 409 go on from where the server says, after a 404 open again."""
        with httpx.Client(base_url=servers[n % 2], timeout=30) as client:
            for _attempt in range(200):
                opened = client.post("/v1/uploads", content=ticket, headers={"Content-Type": "application/octet-stream"})
                if opened.status_code == 200:
                    return opened.content  # taken in already: the acknowledgement at once
                assert opened.status_code == 201, opened.text
                upload_id, offset = opened.json()["upload_id"], opened.json()["offset"]
                while True:
                    answer = client.patch(
                        f"/v1/uploads/{upload_id}",
                        content=data[offset : offset + 8192],
                        headers={"Upload-Kiosk": kiosk.kiosk_id, "Upload-Offset": str(offset),
                                 "Content-Type": "application/offset+octet-stream"},
                    )
                    if answer.status_code == 200:
                        return answer.content
                    if answer.status_code in (204, 409):
                        offset = int(answer.headers["Upload-Offset"])
                        continue
                    assert answer.status_code == 404, answer.text  # finished by another: open again
                    break
        raise AssertionError("the upload never finished")

    acks = _all_at_once(upload, CLIENTS // 2)

    for ack in set(acks):
        assert verify_ack(ack, townhall.signing_public, batch_id=header.batch_id, kiosk_id="kiosk-b").item_count == 40
    with open_storage(townhall_dir) as storage:
        assert storage.find_batch(header.batch_id).item_count == 40
        assert len([i for i in storage.items() if i.kiosk_id == "kiosk-b"]) == 40


def test_a_revocation_takes_effect_in_every_worker_with_the_next_request(district, servers):
    townhall_dir, kiosks, townhall, _town = district
    first = _batch(kiosks["kiosk-c"], townhall, 1)

    def send(data: bytes):
        def one(n: int) -> int:
            with httpx.Client(base_url=servers[n % 2], timeout=30) as client:
                return client.post("/v1/batches", content=data).status_code

        return one

    assert set(_all_at_once(send(first), 8)) == {200}  # every worker has served kiosk-a

    Allowlist(townhall_dir).revoke("kiosk-c", "stolen")
    after = _batch(kiosks["kiosk-c"], townhall, 2, first=10)

    assert set(_all_at_once(send(after), 8)) == {403}  # no worker kept the old list
    with open_storage(townhall_dir) as storage:
        assert storage.find_batch(parse_batch(after).header.batch_id) is None


def test_the_servers_database_role_cannot_enrol_a_kiosk_or_lift_a_revocation(district, postgres_url, tmp_path, monkeypatch):
    """The database's counterpart of keys/ being read-only to the server (deploy/server/roles.sql)."""
    import psycopg

    import datetime as dt

    from sync.envelope import utc_timestamp
    from sync.server.upload_store import open_upload_store

    townhall_dir = district[0]
    open_upload_store(townhall_dir).close()  # roles.sql comes after `rathaus database migrate`
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(ROLES_SQL.read_text(encoding="utf-8"))
    server_url = postgres_url.replace("postgresql://postgres@", "postgresql://rathaus_server@")
    monkeypatch.setenv(DATABASE_ENV, server_url)
    intruder_dir = tmp_path / "intruder"
    init_kiosk(intruder_dir, kiosk_id="kiosk-x", townhall_public=townhall_public_keys_path(townhall_dir))

    as_server = Allowlist(townhall_dir)
    assert [e.kiosk_id for e in as_server.list()] == ["kiosk-a", "kiosk-b", "kiosk-c"]  # it may read them
    with pytest.raises(StoreError, match="darf hier nur die IT") as refused:
        as_server.approve(enrolment_request_path(intruder_dir, "kiosk-x"))
    assert isinstance(refused.value.__cause__, psycopg.errors.InsufficientPrivilege)
    Allowlist(townhall_dir).public_key_for("kiosk-b")
    with psycopg.connect(server_url, autocommit=True) as db:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("UPDATE kiosk_approvals SET revoked_at = NULL")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("DELETE FROM items")
    # The server's own work still goes through that role: reading and answering.
    with open_storage(townhall_dir) as storage:
        held = storage.items()
        storage.add_status(held[0].reference, "in_progress", "", "2026-03-03T08:00:00Z", kiosk_id=held[0].kiosk_id)
        later = utc_timestamp(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))  # after every batch
        storage.record_kiosk_contact("kiosk-b", later, "download")  # for the staff workplace
        assert (storage.kiosk_contacts()["kiosk-b"].last_seen_at, storage.kiosk_contacts()["kiosk-b"].last_kind) == (later, "download")
    monkeypatch.setenv(DATABASE_ENV, postgres_url)
    assert "kiosk-x" not in [e.kiosk_id for e in Allowlist(townhall_dir).list()]
