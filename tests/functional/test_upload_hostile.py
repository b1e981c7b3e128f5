"""Hostile or broken chunked uploads against the real server on 127.0.0.1: each gets a 4xx with a
plain error code, nothing is stored as a batch, and the server never answers 500."""

from __future__ import annotations

import hashlib
import sqlite3

import httpx
import pytest

from sync.allowlist import Allowlist
from sync.embedded import start_embedded_server
from sync.envelope import ItemMeta, build_batch, seal_item
from sync.envelope.uploads import build_upload_ticket
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    load_kiosk_keys,
    load_townhall_keys,
    townhall_public_keys_path,
)
from sync.server import create_app, open_storage
from sync.server.database import database_config
from sync.server.upload_store import UPLOADS_DB_NAME

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("server_database")]
CHUNK = "application/offset+octet-stream"


@pytest.fixture
def town(enrol, tmp_path):
    """A running town hall with two enrolled kiosks, and a 40 KiB batch from the first."""
    kiosk_dir, townhall_dir = enrol("kiosk-a")
    other_dir = tmp_path / "kiosk-b"
    init_kiosk(other_dir, kiosk_id="kiosk-b", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(other_dir, "kiosk-b"))
    kiosk, other = load_kiosk_keys(kiosk_dir), load_kiosk_keys(other_dir)
    townhall = load_townhall_keys(townhall_dir, need_encryption=False)
    items = [
        seal_item(
            ItemMeta("nachricht", "1", "0" * 64, "kiosk-a", f"7KQM2X{n:03d}", "2026-03-02T09:15:00Z"),
            {"message": "Hallo " * 60 + str(n)},
            townhall.public.encryption,
        )
        for n in range(60)
    ]
    batch = build_batch(
        items, kiosk_id="kiosk-a", sequence=1, signing_key=kiosk.signing,
        recipient_key_id=townhall.public.encryption_key_id,
    )
    assert len(batch) > 3 * 4096
    with start_embedded_server(create_app(townhall_dir)) as server:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield client, townhall_dir, kiosk, other, batch


def _ticket(keys, batch: bytes, *, kiosk_id: str | None = None, batch_id: str | None = None, **extra) -> bytes:
    from sync.envelope import parse_batch

    header = parse_batch(batch).header
    fields = dict(
        kiosk_id=kiosk_id or keys.kiosk_id,
        batch_id=batch_id or header.batch_id,
        batch_digest=hashlib.sha256(batch).hexdigest(),
        length=len(batch),
        signing_key=keys.signing,
    )
    fields.update(extra)
    return build_upload_ticket(**fields)


def _open(client, ticket: bytes) -> httpx.Response:
    return client.post("/v1/uploads", content=ticket, headers={"Content-Type": "application/octet-stream"})


def _patch(client, upload_id: str, offset: int, chunk: bytes, *, kiosk: str = "kiosk-a", **headers) -> httpx.Response:
    return client.patch(
        f"/v1/uploads/{upload_id}",
        content=chunk,
        headers={"Upload-Kiosk": kiosk, "Upload-Offset": str(offset), "Content-Type": CHUNK, **headers},
    )


def _head(client, upload_id: str, kiosk: str = "kiosk-a") -> httpx.Response:
    return client.head(f"/v1/uploads/{upload_id}", headers={"Upload-Kiosk": kiosk})


def _nothing_stored(townhall_dir) -> None:
    storage = open_storage(townhall_dir)
    try:
        counts = storage.counts()
    finally:
        storage.close()
    assert counts.batches == 0 and counts.items == 0


def _refused(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"] == code


def test_the_honest_path_still_works_in_chunks(town):
    client, townhall_dir, kiosk, _other, batch = town
    opened = _open(client, _ticket(kiosk, batch))
    assert opened.status_code == 201
    upload_id = opened.json()["upload_id"]
    assert opened.headers["Upload-Offset"] == "0" and opened.headers["Location"].endswith(upload_id)
    offset = 0
    while offset < len(batch):
        answer = _patch(client, upload_id, offset, batch[offset : offset + 8192])
        if answer.status_code == 200:
            break
        assert answer.status_code == 204
        offset = int(answer.headers["Upload-Offset"])
        assert int(_head(client, upload_id).headers["Upload-Offset"]) == offset
    assert answer.status_code == 200 and answer.content.startswith(b"rathaus-ack/")
    # A ticket for the stored batch gets the acknowledgement at once, nothing to send again.
    again = _open(client, _ticket(kiosk, batch))
    assert again.status_code == 200 and again.content.startswith(b"rathaus-ack/")


def test_patch_without_a_valid_ticket_is_refused(town):
    client, townhall_dir, kiosk, other, batch = town
    # No upload was ever opened under this id.
    _refused(_patch(client, "0" * 32, 0, batch[:8192]), 404, "unknown_upload")
    _refused(_patch(client, "../../townhall.db", 0, batch[:8192]), 404)
    # Tickets that do not hold: signed by another kiosk's key, damaged, stale, garbage, too long.
    _refused(_open(client, _ticket(other, batch, kiosk_id="kiosk-a")), 403, "refused")
    forged = bytearray(_ticket(kiosk, batch))
    forged[30] ^= 1
    assert _open(client, bytes(forged)).status_code in (400, 403)
    _refused(_open(client, _ticket(kiosk, batch, created_at="2020-01-01T00:00:00Z")), 400, "stale")
    _refused(_open(client, b"rathaus-upload/1\nnonsense"), 400, "malformed")
    _refused(_open(client, b""), 400)
    _refused(_open(client, b"x" * 5000), 413, "too_large")
    unknown = _ticket(other, batch, kiosk_id="kiosk-zz")
    _refused(_open(client, unknown), 403, "refused")
    _nothing_stored(townhall_dir)


def test_wrong_offset_overlong_and_misshapen_chunks_are_refused(town):
    client, townhall_dir, kiosk, _other, batch = town
    upload_id = _open(client, _ticket(kiosk, batch)).json()["upload_id"]
    assert _patch(client, upload_id, 0, batch[:8192]).status_code == 204

    wrong = _patch(client, upload_id, 4096, batch[4096:12288])
    _refused(wrong, 409, "offset_mismatch")
    assert wrong.headers["Upload-Offset"] == "8192"
    _refused(_patch(client, upload_id, 0, batch[:8192]), 409, "offset_mismatch")  # sent twice
    # Longer than what is left of the batch, longer than a chunk may be, shorter than a chunk
    # must be, empty, not a number, the wrong media type.
    _refused(_patch(client, upload_id, 8192, batch[8192:] + b"more"), 413, "too_large")
    _refused(_patch(client, upload_id, 8192, b"\0" * (300 * 1024)), 413, "too_large")
    _refused(_patch(client, upload_id, 8192, batch[8192:9000]), 400, "malformed")
    _refused(_patch(client, upload_id, 8192, b""), 400)
    _refused(_patch(client, upload_id, 8192, batch[8192:16384], **{"Upload-Offset": "-1"}), 400)
    _refused(_patch(client, upload_id, 8192, batch[8192:16384], **{"Content-Type": "text/plain"}), 415)
    streamed = client.patch(
        f"/v1/uploads/{upload_id}",
        content=iter([batch[8192:16384]]),  # no Content-Length
        headers={"Upload-Kiosk": "kiosk-a", "Upload-Offset": "8192", "Content-Type": CHUNK},
    )
    _refused(streamed, 411, "length_required")
    # None of it moved the upload.
    assert _head(client, upload_id).headers["Upload-Offset"] == "8192"
    _nothing_stored(townhall_dir)


def test_another_kiosks_upload_id_looks_like_none_at_all(town):
    client, townhall_dir, kiosk, other, batch = town
    upload_id = _open(client, _ticket(kiosk, batch)).json()["upload_id"]
    assert _patch(client, upload_id, 0, batch[:8192]).status_code == 204

    _refused(_patch(client, upload_id, 8192, batch[8192:16384], kiosk="kiosk-b"), 404, "unknown_upload")
    assert _head(client, upload_id, kiosk="kiosk-b").status_code == 404
    _refused(_patch(client, upload_id, 8192, batch[8192:16384], kiosk=""), 404)
    # The owner's upload is untouched.
    assert _head(client, upload_id).headers["Upload-Offset"] == "8192"
    _nothing_stored(townhall_dir)


def _spool_sql(townhall_dir, sql: str):
    """Run one statement on the upload spool behind the server's back; its first value, if any."""
    config = database_config(townhall_dir)
    if config.is_postgres:
        import psycopg

        with psycopg.connect(config.url, autocommit=True) as db:
            cursor = db.execute(sql)
            return cursor.fetchone()[0] if cursor.description else None
    with sqlite3.connect(townhall_dir / UPLOADS_DB_NAME) as db:
        row = db.execute(sql).fetchone()
        return row[0] if row else None


def test_an_expired_upload_is_gone(town):
    client, townhall_dir, kiosk, _other, batch = town
    upload_id = _open(client, _ticket(kiosk, batch)).json()["upload_id"]
    assert _patch(client, upload_id, 0, batch[:8192]).status_code == 204
    # 49 hours pass without a chunk (the spool: an SQLite file beside townhall.db, or tables in
    # the town hall's PostgreSQL database).
    _spool_sql(townhall_dir, f"UPDATE uploads SET touched_at = touched_at - 49 * 3600 WHERE upload_id = '{upload_id}'")
    _refused(_patch(client, upload_id, 8192, batch[8192:16384]), 404, "unknown_upload")
    assert _head(client, upload_id).status_code == 404
    assert _spool_sql(townhall_dir, f"SELECT COUNT(*) FROM upload_chunks WHERE upload_id = '{upload_id}'") == 0
    # A new ticket starts afresh at 0.
    assert _open(client, _ticket(kiosk, batch)).json()["offset"] == 0
    _nothing_stored(townhall_dir)


def test_final_bytes_that_do_not_match_the_signed_digest_are_not_taken_in(town):
    client, townhall_dir, kiosk, _other, batch = town
    upload_id = _open(client, _ticket(kiosk, batch)).json()["upload_id"]
    changed = bytearray(batch)
    changed[len(batch) // 2] ^= 0x40  # one flipped bit in an item
    offset = 0
    while offset + 8192 < len(batch):
        offset = int(_patch(client, upload_id, offset, bytes(changed[offset : offset + 8192])).headers["Upload-Offset"])
    _refused(_patch(client, upload_id, offset, bytes(changed[offset:])), 400, "digest_mismatch")
    assert _head(client, upload_id).status_code == 404  # discarded: the kiosk starts again
    _nothing_stored(townhall_dir)


def test_a_signed_ticket_for_a_batch_the_intake_refuses_stores_nothing(town):
    """The kiosk's ticket and digest agree, but the bytes are no batch of this kiosk."""
    client, townhall_dir, kiosk, other, _batch = town
    not_a_batch = b"rathaus-batch/1\n" + b"\0" * 9000
    ticket = build_upload_ticket(
        kiosk_id="kiosk-a",
        batch_id="ab" * 16,
        batch_digest=hashlib.sha256(not_a_batch).hexdigest(),
        length=len(not_a_batch),
        signing_key=kiosk.signing,
    )
    upload_id = _open(client, ticket).json()["upload_id"]
    assert _patch(client, upload_id, 0, not_a_batch[:4096]).status_code == 204
    answer = _patch(client, upload_id, 4096, not_a_batch[4096:])
    assert 400 <= answer.status_code < 500
    _nothing_stored(townhall_dir)


def test_a_batch_sent_under_a_ticket_for_another_batch_is_not_taken_in(town):
    client, townhall_dir, kiosk, _other, batch = town
    upload_id = _open(client, _ticket(kiosk, batch, batch_id="ef" * 16)).json()["upload_id"]
    offset = 0
    while offset + 8192 < len(batch):
        offset = int(_patch(client, upload_id, offset, batch[offset : offset + 8192]).headers["Upload-Offset"])
    _refused(_patch(client, upload_id, offset, batch[offset:]), 400, "malformed")
    _nothing_stored(townhall_dir)


def test_a_chunk_held_open_short_of_its_length_is_dropped_in_bounded_time(enrol, tmp_path):
    """The same endpoints, with a one-second chunk deadline instead of two minutes."""
    import socket
    import time

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse

    from sync.keys import load_townhall_keys
    from sync.server.upload_store import open_upload_store
    from sync.server.uploads import UploadEndpoints

    kiosk_dir, townhall_dir = enrol("kiosk-a")
    kiosk = load_kiosk_keys(kiosk_dir)
    storage = open_storage(townhall_dir)
    endpoints = UploadEndpoints(
        open_upload_store(townhall_dir),
        storage,
        Allowlist(townhall_dir),
        load_townhall_keys(townhall_dir, need_encryption=False),
        max_batch_bytes=8 * 1024 * 1024,
        refusal=lambda exc, status: JSONResponse({"error": exc.code}, status_code=status or 400),
        read_seconds=1.0,
    )
    batch = b"rathaus-batch/1\n" + b"\0" * 20_000
    try:
        with start_embedded_server(Starlette(routes=endpoints.routes)) as server:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                ticket = build_upload_ticket(
                    kiosk_id="kiosk-a",
                    batch_id="ab" * 16,
                    batch_digest=hashlib.sha256(batch).hexdigest(),
                    length=len(batch),
                    signing_key=kiosk.signing,
                )
                upload_id = _open(client, ticket).json()["upload_id"]
            host, port = server.url.removeprefix("http://").split(":")
            started = time.monotonic()
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(
                    f"PATCH /v1/uploads/{upload_id} HTTP/1.1\r\nHost: x\r\nUpload-Kiosk: kiosk-a\r\n"
                    f"Upload-Offset: 0\r\nContent-Type: {CHUNK}\r\nContent-Length: 8192\r\n\r\n".encode()
                    + b"\0" * 4000  # and then nothing more
                )
                answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 8
            with httpx.Client(base_url=server.url, timeout=10) as client:
                assert _head(client, upload_id).headers["Upload-Offset"] == "0"  # nothing of it kept
    finally:
        endpoints.close()
        storage.close()
