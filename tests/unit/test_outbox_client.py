"""The outbox over a bad rural link: retries with backoff, a lost acknowledgement, refusals."""

from __future__ import annotations

import random

import httpx
import pytest

from kiosk.store import OutboxState, open_store
from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, seal_item
from sync.intake import receive_batch, status_updates_for
from sync.keys import load_kiosk_keys, load_pinned_townhall, load_townhall_keys
from sync.outbox import OutboxClient, RetryPolicy
from sync.server import open_storage
from sync.server.downloads import answer_download_request


@pytest.fixture
def world(enrol):
    kiosk_dir, townhall_dir = enrol("kiosk-1")
    store = open_store(kiosk_dir / "kiosk.db")
    storage = open_storage(townhall_dir)
    yield {
        "store": store,
        "storage": storage,
        "kiosk": load_kiosk_keys(kiosk_dir),
        "pinned": load_pinned_townhall(kiosk_dir),
        "townhall": load_townhall_keys(townhall_dir, need_encryption=False),
        "allowlist": Allowlist(townhall_dir),
    }
    store.close()
    storage.close()


def queue(world, n=1):
    refs = []
    for _ in range(n):
        def seal(reference, captured_at):
            meta = ItemMeta("nachricht", "1.0", "ab" * 32, "kiosk-1", reference, captured_at)
            return seal_item(meta, {"message": "Hallo"}, world["pinned"].encryption)

        refs.append(world["store"].queue_submission(form_id="nachricht", form_version="1.0", form_hash="ab" * 32, seal=seal).reference)
    return refs


class TownHall:
    """The real intake behind a scripted link: each entry in ``script`` decides one request."""

    def __init__(self, world, script=()):
        self.world = world
        self.script = list(script)
        self.calls = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        step = self.script.pop(0) if self.script else "ok"
        self.calls.append((request.url.path, step))
        if step == "drop-before":
            raise httpx.ConnectError("no route to host")
        if step == "timeout":
            raise httpx.ReadTimeout("link stalled")
        if step == "503":
            return httpx.Response(503, json={"error": "server_error"})
        if step == "403":
            return httpx.Response(403, json={"error": "revoked_kiosk", "message": "gesperrt"})
        w = self.world
        if request.url.path == "/v1/batches":
            result = receive_batch(w["storage"], w["allowlist"], request.content, townhall=w["townhall"])
            body = result.ack
        elif request.url.path == "/v1/downloads":
            body = answer_download_request(w["storage"], w["allowlist"], request.content, townhall=w["townhall"])
        else:
            body = status_updates_for(w["storage"], w["allowlist"], request.content, townhall=w["townhall"])
        if step == "drop-after":  # the town hall stored it, the answer is lost on the way back
            raise httpx.ReadError("connection reset")
        return httpx.Response(200, content=body)


def client(world, town_hall, attempts=4):
    waits = []
    c = OutboxClient(
        world["store"],
        kiosk=world["kiosk"],
        townhall=world["pinned"],
        server_url="http://127.0.0.1:9",
        transport=httpx.MockTransport(town_hall),
        policy=RetryPolicy(attempts=attempts, base_delay=1.0, max_delay=8.0),
        sleep=waits.append,
        rng=random.Random(7),
        lang="en",
    )
    return c, waits


def test_transient_failures_are_retried_with_growing_jittered_waits(world):
    refs = queue(world, 3)
    town_hall = TownHall(world, ["drop-before", "503", "timeout"])
    c, waits = client(world, town_hall)
    report = c.sync_once()
    assert report.ok and report.sent == 3
    assert len(waits) == 3 and all(0 <= w <= 8.0 for w in waits)
    assert world["store"].waiting_count() == 0
    assert all(world["store"].lookup(r).state is OutboxState.ACKNOWLEDGED for r in refs)


def test_a_lost_acknowledgement_resends_the_same_batch_and_the_town_hall_stores_it_once(world):
    queue(world, 2)
    # The download comes through; every attempt of the batch loses the answer: the items stay
    # "sent", nothing is lost.
    c, _ = client(world, TownHall(world, ["ok"] + ["drop-after"] * 2), attempts=2)
    report = c.sync_once()
    assert not report.ok and world["store"].waiting_count() == 2
    assert world["storage"].counts().items == 2 and world["storage"].counts().batches == 1
    # The link comes back: the same batch goes again, is acknowledged, and still stored once.
    c2, _ = client(world, TownHall(world))
    assert c2.sync_once().sent == 2
    assert world["store"].waiting_count() == 0
    assert world["storage"].counts().items == 2 and world["storage"].counts().batches == 1


def test_no_link_at_all_is_reported_calmly_and_keeps_everything(world):
    queue(world)
    c, waits = client(world, TownHall(world, ["drop-before"] * 4))
    report = c.sync_once()
    assert report.error and "wait safely" in report.error and not report.refused
    assert world["store"].waiting_count() == 1
    assert world["store"].last_sync_at() is None


def test_a_refusal_is_not_retried_and_says_what_to_do(world):
    queue(world)
    town_hall = TownHall(world, ["403"])
    c, waits = client(world, town_hall)
    report = c.sync_once()
    assert report.refused and "town hall staff" in report.error
    assert waits == [] and len(town_hall.calls) == 1
    assert world["store"].waiting_count() == 1


@pytest.mark.parametrize(
    "forgery", ["garbage", "stranger's key", "kiosk's own key", "another batch", "other batch bytes", "other items"]
)
def test_a_forged_acknowledgement_is_not_believed(world, forgery):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync.envelope import build_ack, parse_batch

    queue(world)
    signers = {
        "stranger's key": Ed25519PrivateKey.generate(),
        "kiosk's own key": world["kiosk"].signing,
        "another batch": world["townhall"].signing,
        "other batch bytes": world["townhall"].signing,
        "other items": world["townhall"].signing,
    }

    def forger(request):
        if forgery == "garbage":
            return httpx.Response(200, content=b"rathaus-ack/1\n" + b"\x00" * 80)
        header = parse_batch(request.content).header
        if forgery in ("other batch bytes", "other items"):  # version 2, signed by the real town hall
            from sync.envelope.acks import RefusedItem, batch_digest

            ack = build_ack(
                batch_id=header.batch_id,
                kiosk_id=header.kiosk_id,
                batch_digest=batch_digest(request.content + (b"!" if forgery == "other batch bytes" else b"")),
                item_count=len(header.item_digests) + (1 if forgery == "other items" else 0),
                refused=[],
                received_at=header.created_at,
                signing_key=signers[forgery],
            )
            return httpx.Response(200, content=ack)
        ack = build_ack(
            batch_id="f" * 32 if forgery == "another batch" else header.batch_id,
            kiosk_id=header.kiosk_id,
            item_digests=header.item_digests,
            received_at=header.created_at,
            signing_key=signers[forgery],
        )
        return httpx.Response(200, content=ack)

    c = OutboxClient(
        world["store"], kiosk=world["kiosk"], townhall=world["pinned"], server_url="http://127.0.0.1:9",
        transport=httpx.MockTransport(forger), sleep=lambda s: None, lang="en",
    )
    report = c.sync_once()
    assert report.error and "could not be verified" in report.error
    assert world["store"].waiting_count() == 1


def test_an_acknowledgement_of_version_1_from_a_town_hall_not_yet_updated_still_settles(world):
    from sync.envelope import build_ack, parse_batch

    refs = queue(world, 2)

    def old_town_hall(request):
        if request.url.path != "/v1/batches":
            return TownHall(world)(request)
        header = parse_batch(request.content).header
        ack = build_ack(
            batch_id=header.batch_id,
            kiosk_id=header.kiosk_id,
            item_digests=header.item_digests[:1],  # holds only the first: the second must stay
            received_at=header.created_at,
            signing_key=world["townhall"].signing,
        )
        return httpx.Response(200, content=ack)

    c = OutboxClient(
        world["store"], kiosk=world["kiosk"], townhall=world["pinned"], server_url="http://127.0.0.1:9",
        transport=httpx.MockTransport(old_town_hall), sleep=lambda s: None, lang="en",
    )
    report = c.sync_once()
    assert (report.sent, report.needing_attention) == (1, 1)
    assert world["store"].lookup(refs[0]).state is OutboxState.ACKNOWLEDGED
    assert world["store"].lookup(refs[1]).state is OutboxState.QUEUED
