"""Request bodies are held once and let go: a batch is read in place over one buffer, nothing
keeps a view of it after its request, and all bodies together stay within a budget (beyond it a
request is answered 503 at once, so memory stays bounded however many large bodies arrive).
The memory of 16 concurrent forged 8 MiB batches is measured by ``python -m bench.server_memory``."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import EnvelopeError
from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, build_batch, seal_item
from sync.intake import receive_batch
from sync.keys import enrolment_request_path, init_kiosk, init_townhall, load_kiosk_keys, load_townhall_keys, townhall_public_keys_path
from sync.server.app import _answer_and_let_go, create_app
from sync.server.storage import open_storage


@pytest.fixture
def town(tmp_path):
    townhall_dir = tmp_path / "townhall"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(tmp_path / "kiosk", kiosk_id="kiosk-a", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(tmp_path / "kiosk", "kiosk-a"))
    kiosk, townhall = load_kiosk_keys(tmp_path / "kiosk"), load_townhall_keys(townhall_dir, need_encryption=False)

    def batch(signing_key=None, references=("7KQM2X9TD", "A1B2C3D4E")) -> bytes:
        items = [
            seal_item(ItemMeta("hausnummer", "1", "a" * 64, "kiosk-a", ref, "2026-03-02T09:15:00Z"), {"n": ref}, townhall.public.encryption)
            for ref in references
        ]
        return build_batch(items, kiosk_id="kiosk-a", sequence=1, signing_key=signing_key or kiosk.signing,
                           recipient_key_id=townhall.public.encryption_key_id)

    with open_storage(townhall_dir) as storage:
        yield townhall_dir, townhall, storage, batch


def _let_go_of(buffer: bytearray) -> None:
    """Resizing a bytearray fails while any view of it is alive: so this proves none is."""
    buffer += b"\0"


def test_a_batch_is_checked_and_stored_from_a_view_of_the_receive_buffer_and_then_let_go(town):
    townhall_dir, townhall, storage, batch = town
    buffer = bytearray(batch())
    view = memoryview(buffer).toreadonly()

    result = receive_batch(storage, Allowlist(townhall_dir), view, townhall=townhall)

    view.release()
    _let_go_of(buffer)
    assert result.new and storage.counts().items == 2
    assert storage.item("7KQM2X9TD").sealed  # stored as real bytes, not a view


def test_a_refused_body_is_let_go_too_even_through_the_worker_threads_last_exception(town):
    townhall_dir, townhall, storage, batch = town
    buffer = bytearray(batch(signing_key=Ed25519PrivateKey.generate()))
    box = [memoryview(buffer).toreadonly()]

    def answer(data):
        return receive_batch(storage, Allowlist(townhall_dir), data, townhall=townhall).ack

    with pytest.raises(EnvelopeError) as refused:
        _answer_and_let_go(answer, box)
    kept = refused.value  # as the worker thread keeps it until its next job

    assert box == [] and kept.code == "bad_signature"
    _let_go_of(buffer)  # the exception kept holds no frame with the body in it


async def test_bodies_beyond_the_memory_budget_are_answered_503_at_once_and_the_budget_comes_back(town):
    townhall_dir, _townhall, storage, batch = town
    data = batch()
    app = create_app(townhall_dir, storage=storage, max_body=len(data) + 10, max_buffered=len(data) + 10)
    release_first = asyncio.Event()

    def scope():
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": "/v1/batches", "raw_path": b"/v1/batches", "query_string": b"", "root_path": "",
            "headers": [(b"content-length", str(len(data)).encode())],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
        }

    async def run(messages):
        sent = []

        async def receive():
            message = messages.pop(0)
            if message is None:
                await release_first.wait()
                message = messages.pop(0)
            return message

        async def send(message):
            sent.append(message)

        await app(scope(), receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")

    half = len(data) // 2
    first = asyncio.create_task(run([
        {"type": "http.request", "body": data[:half], "more_body": True},
        None,  # the first sender stops half-way: its half is held
        {"type": "http.request", "body": data[half:], "more_body": False},
    ]))
    await asyncio.sleep(0.05)
    second = await run([{"type": "http.request", "body": data, "more_body": False}])
    release_first.set()
    first_status, _headers, _body = await first
    third = await run([{"type": "http.request", "body": data, "more_body": False}])

    status, headers, body = second
    assert status == 503 and b'"busy"' in body
    assert headers[b"retry-after"] == b"30"
    assert first_status == 200 and third[0] == 200  # the budget was given back
