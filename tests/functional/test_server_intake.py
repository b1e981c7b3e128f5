"""The town hall's server: a batch is checked completely before anything is stored, stored once,
and every refusal has the right status and a stable error code."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.allowlist import Allowlist
from sync.envelope import (
    ItemMeta,
    build_batch,
    build_status_request,
    key_id,
    seal_item,
    utc_timestamp,
    verify_ack,
    verify_status_bundle,
)
from sync.intake import receive_batch
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_townhall_keys,
    townhall_public_keys_path,
)
from sync.server.app import create_app
from sync.server.storage import SqliteStorage, StorageCounts, open_storage

pytestmark = pytest.mark.usefixtures("server_database")  # on SQLite and on PostgreSQL

NOTHING = StorageCounts(batches=0, items=0, status_updates=0)
SECRET_ANSWER = "Erika Mustermann, Lindenweg 7"


@pytest.fixture
def townhall_dir(tmp_path) -> Path:
    directory = tmp_path / "townhall"
    init_townhall(directory, name="Einheitsgemeinde Tangerhütte")
    return directory


def _enrol(townhall_dir: Path, kiosk_dir: Path, kiosk_id: str, *, approve: bool = True):
    init_kiosk(kiosk_dir, kiosk_id=kiosk_id, townhall_public=townhall_public_keys_path(townhall_dir))
    if approve:
        Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, kiosk_id))
    return load_kiosk_keys(kiosk_dir)


@pytest.fixture
def kiosk(townhall_dir, tmp_path):
    return _enrol(townhall_dir, tmp_path / "kiosk-a", "kiosk-a")


@pytest.fixture
def townhall(townhall_dir):
    return load_townhall_keys(townhall_dir, need_encryption=False)


@pytest.fixture
def storage(townhall_dir):
    with open_storage(townhall_dir) as opened:
        yield opened


@pytest.fixture
def client(townhall_dir, storage):
    app = create_app(townhall_dir, storage=storage)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://townhall")


def _sealed(kiosk_id: str, reference: str, recipient, answers=None) -> bytes:
    meta = ItemMeta(
        form_id="hausnummer",
        form_version="1",
        form_hash="a" * 64,
        kiosk_id=kiosk_id,
        reference=reference,
        captured_at="2026-03-02T09:15:00Z",
    )
    return seal_item(meta, answers or {"name": SECRET_ANSWER}, recipient)


def _batch(kiosk, townhall, references=("7KQM2X9TD", "A1B2C3D4E"), sequence=1) -> bytes:
    recipient = townhall.public.encryption
    items = [_sealed(kiosk.kiosk_id, ref, recipient) for ref in references]
    return build_batch(
        items,
        kiosk_id=kiosk.kiosk_id,
        sequence=sequence,
        signing_key=kiosk.signing,
        recipient_key_id=townhall.public.encryption_key_id,
    )


def _batch_id(data: bytes) -> str:
    from sync.envelope import parse_batch

    return parse_batch(data).header.batch_id


async def test_a_good_batch_is_stored_and_acknowledged_with_a_signed_ack(client, kiosk, townhall, storage):
    data = _batch(kiosk, townhall)
    response = await client.post("/v1/batches", content=data, headers={"content-type": "application/octet-stream"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    ack = verify_ack(response.content, townhall.signing_public, batch_id=_batch_id(data), kiosk_id="kiosk-a")
    assert (ack.version, ack.item_count, ack.refused) == (2, 2, ())
    assert storage.counts() == StorageCounts(batches=1, items=2, status_updates=0)
    assert storage.item("7KQM2X9TD").form_id == "hausnummer"
    assert SECRET_ANSWER.encode() not in storage.item("7KQM2X9TD").sealed


async def test_a_retry_after_a_lost_ack_gets_the_same_ack_and_is_stored_once(client, kiosk, townhall, storage):
    data = _batch(kiosk, townhall)
    first = await client.post("/v1/batches", content=data)
    second = await client.post("/v1/batches", content=data)

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert storage.counts() == StorageCounts(batches=1, items=2, status_updates=0)


async def test_an_old_batch_replayed_after_newer_ones_changes_nothing(client, kiosk, townhall, storage):
    old = _batch(kiosk, townhall, references=("7KQM2X9TD",), sequence=1)
    newer = _batch(kiosk, townhall, references=("A1B2C3D4E",), sequence=2)
    await client.post("/v1/batches", content=old)
    await client.post("/v1/batches", content=newer)
    storage.add_status("7KQM2X9TD", "accepted", "", utc_timestamp())

    replay = await client.post("/v1/batches", content=old)

    assert replay.status_code == 200
    assert storage.counts() == StorageCounts(batches=2, items=2, status_updates=1)


async def test_a_changed_byte_anywhere_in_a_batch_is_refused_and_nothing_is_stored(client, kiosk, townhall, storage):
    data = _batch(kiosk, townhall)
    positions = sorted({0, 5, 16, 20, 40, 80, 200, len(data) // 2, len(data) - 70, len(data) - 1} | set(range(0, len(data), 97)))
    for position in positions:
        tampered = bytearray(data)
        tampered[position] ^= 0x01
        response = await client.post("/v1/batches", content=bytes(tampered))
        assert response.status_code in (400, 403), position
        assert response.json()["error"] in {
            "malformed",
            "refused",
            "digest_mismatch",
            "unsupported_version",
            "too_large",
        }, position
        assert response.json()["message"]
    assert storage.counts() == NOTHING


async def test_a_changed_signature_is_answered_forbidden(client, kiosk, townhall, storage):
    data = bytearray(_batch(kiosk, townhall))
    data[-1] ^= 0x80
    response = await client.post("/v1/batches", content=bytes(data))

    assert response.status_code == 403
    assert response.json()["error"] == "refused"
    assert storage.counts() == NOTHING


async def test_a_batch_sealed_for_another_town_hall_is_refused(client, kiosk, storage):
    stranger = X25519PrivateKey.generate().public_key()
    items = [_sealed("kiosk-a", "7KQM2X9TD", stranger)]
    data = build_batch(items, kiosk_id="kiosk-a", sequence=1, signing_key=kiosk.signing, recipient_key_id=key_id(stranger))

    response = await client.post("/v1/batches", content=data)

    assert response.status_code == 400
    assert response.json()["error"] == "wrong_recipient"
    assert storage.counts() == NOTHING


async def test_a_kiosk_that_was_never_enrolled_is_refused(client, townhall_dir, townhall, tmp_path, storage):
    stranger = _enrol(townhall_dir, tmp_path / "kiosk-x", "kiosk-x", approve=False)
    response = await client.post("/v1/batches", content=_batch(stranger, townhall))

    assert response.status_code == 403
    assert response.json()["error"] == "refused"
    assert storage.counts() == NOTHING


async def test_a_revoked_kiosk_is_refused_without_restarting_the_server(client, townhall_dir, kiosk, townhall, storage):
    accepted = await client.post("/v1/batches", content=_batch(kiosk, townhall, references=("7KQM2X9TD",)))
    assert accepted.status_code == 200

    Allowlist(townhall_dir).revoke("kiosk-a", reason="stolen")
    response = await client.post("/v1/batches", content=_batch(kiosk, townhall, references=("A1B2C3D4E",), sequence=2))

    assert response.status_code == 403
    assert response.json()["error"] == "refused"
    assert storage.counts() == StorageCounts(batches=1, items=1, status_updates=0)


async def test_an_empty_body_is_refused_as_malformed(client, storage):
    response = await client.post("/v1/batches", content=b"")

    assert response.status_code == 400
    assert response.json()["error"] == "malformed"
    assert storage.counts() == NOTHING


async def test_too_large_a_body_is_refused_by_its_declared_length_and_while_reading(townhall_dir, kiosk, townhall, storage):
    data = _batch(kiosk, townhall)
    app = create_app(townhall_dir, storage=storage, max_body=len(data) - 1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://townhall") as small:
        declared = await small.post("/v1/batches", content=data)

        async def chunks():
            for start in range(0, len(data), 1000):
                yield data[start : start + 1000]

        streamed = await small.post("/v1/batches", content=chunks())

    assert "content-length" not in streamed.request.headers
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["error"] == "too_large"
    assert storage.counts() == NOTHING


def test_intake_refuses_a_batch_over_the_format_limit_before_parsing_it(townhall_dir, townhall, storage):
    from kiosk.errors import EnvelopeError
    from sync.envelope import MAX_BATCH_BYTES

    with pytest.raises(EnvelopeError) as refused:
        receive_batch(storage, Allowlist(townhall_dir), b"x" * (MAX_BATCH_BYTES + 1), townhall=townhall)
    assert refused.value.code == "too_large"
    assert storage.counts() == NOTHING


class _FailingStorage(SqliteStorage):
    """The disk fails in the middle of storing a batch."""

    def store_batch(self, batch, items):
        with self._write():
            self._db.execute(
                "INSERT INTO batches (batch_id, kiosk_id, sequence, created_at, received_at, item_count, item_digests) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [batch.batch_id, batch.kiosk_id, batch.sequence, batch.created_at, batch.received_at, 0, "[]"],
            )
            raise sqlite3.OperationalError("disk I/O error")


async def test_an_unexpected_failure_is_a_503_with_nothing_stored_and_no_contents_logged(
    townhall_dir, kiosk, townhall, tmp_path, caplog
):
    with _FailingStorage(tmp_path / "failing.db") as failing:
        app = create_app(townhall_dir, storage=failing)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://townhall") as c:
            with caplog.at_level(logging.DEBUG):
                response = await c.post("/v1/batches", content=_batch(kiosk, townhall))
        assert response.status_code == 503
        assert response.json() == {"error": "server_error"}
        assert failing.counts() == NOTHING
    assert "disk I/O error" in caplog.text
    assert SECRET_ANSWER not in caplog.text


async def test_log_lines_name_batch_kiosk_count_and_outcome_only(client, kiosk, townhall, caplog):
    data = _batch(kiosk, townhall)
    with caplog.at_level(logging.INFO, logger="rathaus"):
        await client.post("/v1/batches", content=data)
    line = next(r.getMessage() for r in caplog.records if r.name == "rathaus.intake")
    assert _batch_id(data) in line and "kiosk-a" in line and "2 items" in line and "stored" in line
    assert "7KQM2X9TD" not in caplog.text and SECRET_ANSWER not in caplog.text


async def test_health_says_ok_and_nothing_else(client):
    response = await client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


async def test_unknown_paths_and_methods_answer_json(client):
    missing = await client.get("/v1/nothing")
    wrong_method = await client.get("/v1/batches")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["error"]) == (405, "method_not_allowed")


async def test_a_kiosk_gets_its_own_status_updates_after_its_cursor(client, townhall_dir, kiosk, townhall, storage, tmp_path):
    other = _enrol(townhall_dir, tmp_path / "kiosk-b", "kiosk-b")
    await client.post("/v1/batches", content=_batch(kiosk, townhall, references=("7KQM2X9TD",)))
    await client.post("/v1/batches", content=_batch(other, townhall, references=("A1B2C3D4E",)))
    first = storage.add_status("7KQM2X9TD", "in_progress", "", utc_timestamp())
    storage.add_status("A1B2C3D4E", "accepted", "", utc_timestamp())
    storage.add_status("7KQM2X9TD", "appointment_confirmed", "Dienstag, 14. April, 10:30 Uhr", utc_timestamp())

    request = build_status_request(kiosk_id="kiosk-a", since_serial=first.serial, signing_key=kiosk.signing)
    response = await client.post("/v1/status", content=request)

    assert response.status_code == 200
    updates = verify_status_bundle(response.content, townhall.signing_public, kiosk_id="kiosk-a")
    assert [(u.reference, u.status, u.message) for u in updates] == [
        ("7KQM2X9TD", "appointment_confirmed", "Dienstag, 14. April, 10:30 Uhr")
    ]


async def test_status_requests_from_strangers_or_old_ones_are_refused(client, townhall_dir, kiosk, tmp_path):
    stranger = _enrol(townhall_dir, tmp_path / "kiosk-x", "kiosk-x", approve=False)
    unknown = await client.post(
        "/v1/status", content=build_status_request(kiosk_id="kiosk-x", since_serial=0, signing_key=stranger.signing)
    )
    long_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stale = await client.post(
        "/v1/status",
        content=build_status_request(kiosk_id="kiosk-a", since_serial=0, signing_key=kiosk.signing, created_at=long_ago),
    )
    empty = await client.post("/v1/status", content=b"")

    assert (unknown.status_code, unknown.json()["error"]) == (403, "refused")
    assert (stale.status_code, stale.json()["error"]) == (400, "stale")
    assert (empty.status_code, empty.json()["error"]) == (400, "malformed")


def _free_port_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.mark.slow
def test_the_real_server_over_http_on_loopback(townhall_dir, kiosk, townhall):
    sock = _free_port_socket()
    port = sock.getsockname()[1]
    app = create_app(townhall_dir, max_body=64 * 1024)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        data = _batch(kiosk, townhall)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            assert http.get("/v1/health").json() == {"ok": True}
            accepted = http.post("/v1/batches", content=data)
            again = http.post("/v1/batches", content=data)
            too_large = http.post("/v1/batches", content=b"\0" * (64 * 1024 + 1))
    finally:
        server.should_exit = True
        thread.join(15)
    assert not thread.is_alive()
    assert accepted.status_code == again.status_code == 200
    verify_ack(accepted.content, townhall.signing_public, batch_id=_batch_id(data), kiosk_id="kiosk-a")
    assert (too_large.status_code, too_large.json()["error"]) == (413, "too_large")
    with open_storage(townhall_dir) as reopened:
        assert reopened.counts() == StorageCounts(batches=1, items=2, status_updates=0)


def test_rathaus_server_refuses_to_start_without_town_hall_keys(tmp_path, capsys):
    from kiosk.cli import main

    assert main(["server", "--data-dir", str(tmp_path / "empty")]) == 1
    err = capsys.readouterr().err
    assert "rathaus keys init-townhall" in err and "Traceback" not in err


@pytest.mark.slow
def test_rathaus_server_command_serves_and_stops_on_sigterm(townhall_dir):
    import signal
    import subprocess
    import sys

    with _free_port_socket() as probe:
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "server", "--port", str(port), "--data-dir", str(townhall_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
                time.sleep(0.1)
        assert health.json() == {"ok": True}
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    # uvicorn finishes its shutdown, then lets the signal end the process as systemd expects
    assert process.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete" in err
    assert f"127.0.0.1:{port}" in out


async def test_a_link_that_drops_mid_body_stores_nothing_and_is_no_server_error(townhall_dir, kiosk, townhall, storage, caplog):
    data = _batch(kiosk, townhall)
    app = create_app(townhall_dir, storage=storage)
    sent: list[dict] = []
    messages = iter(
        [
            {"type": "http.request", "body": data[:100], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/batches",
        "raw_path": b"/v1/batches",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-length", str(len(data)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    with caplog.at_level(logging.INFO, logger="rathaus"):
        await app(scope, receive, send)

    assert storage.counts() == NOTHING
    assert "unexpected failure" not in caplog.text
    assert "before its body was complete" in caplog.text
    assert sent[0]["status"] != 503
