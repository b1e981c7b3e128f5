"""The real town-hall server under concurrent requests: a batch sent several times at once (a
kiosk retrying over a flaky link, or two sync rounds overlapping) is stored once and every copy
gets the same signed acknowledgement."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from sync.allowlist import Allowlist
from sync.embedded import start_embedded_server
from sync.envelope import ItemMeta, build_batch, parse_batch, seal_item, verify_ack
from sync.envelope.acks import batch_digest
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_townhall_keys,
    townhall_public_keys_path,
)
from sync.server.app import create_app
from sync.server.storage import StorageCounts, open_storage

SENDERS = 8


@pytest.fixture
def world(tmp_path):
    townhall_dir = tmp_path / "townhall"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    kiosk_dir = tmp_path / "kiosk"
    init_kiosk(kiosk_dir, kiosk_id="kiosk-a", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "kiosk-a"))
    return townhall_dir, load_kiosk_keys(kiosk_dir), load_townhall_keys(townhall_dir, need_encryption=False)


def _batch(kiosk, townhall, references: tuple[str, ...]) -> bytes:
    items = [
        seal_item(
            ItemMeta("nachricht", "1", "sha256:" + "0" * 64, kiosk.kiosk_id, reference, "2026-03-02T09:15:00Z"),
            {"message": "Hallo"},
            townhall.public.encryption,
        )
        for reference in references
    ]
    return build_batch(
        items,
        kiosk_id=kiosk.kiosk_id,
        sequence=1,
        signing_key=kiosk.signing,
        recipient_key_id=townhall.public.encryption_key_id,
    )


@pytest.mark.slow
def test_the_same_batch_sent_many_times_at_once_is_stored_once_with_one_ack(world):
    townhall_dir, kiosk, townhall = world
    data = _batch(kiosk, townhall, ("7KQM2X9TD", "A1B2C3D4E", "ZZZZ12345"))
    batch_id = parse_batch(data).header.batch_id
    with start_embedded_server(create_app(townhall_dir)) as server:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            with ThreadPoolExecutor(SENDERS) as pool:
                answers = list(pool.map(lambda _: http.post("/v1/batches", content=data), range(SENDERS)))
    assert [answer.status_code for answer in answers] == [200] * SENDERS
    assert len({answer.content for answer in answers}) == 1
    ack = verify_ack(answers[0].content, townhall.signing_public, batch_id=batch_id, kiosk_id="kiosk-a")
    assert (ack.item_count, ack.refused, ack.batch_digest) == (3, (), batch_digest(data))
    with open_storage(townhall_dir) as storage:
        assert storage.counts() == StorageCounts(batches=1, items=3, status_updates=0)
