"""Signed downloads: the request and answer formats, the channel registry, and one kiosk taking
what the real town-hall code answers (status, a channel registered only here, paging)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import EnvelopeError
from kiosk.store import open_store
from sync import downloads as kiosk_downloads
from sync.allowlist import Allowlist
from sync.envelope import StatusUpdate, fields as f
from sync.envelope.downloads import (
    MAX_DOWNLOAD_BYTES,
    ChannelFormat,
    ChannelPart,
    build_download,
    build_download_request,
    parse_download_request,
    read_download,
    register_channel_format,
    unregister_channel_format,
    verify_download,
    verify_download_request,
)
from sync.keys import load_kiosk_keys, load_pinned_townhall, load_townhall_keys
from sync.outbox import OutboxClient, RetryPolicy
from sync.server import open_storage
from sync.server import downloads as townhall_downloads
from sync.server.downloads import answer_download_request

TOWNHALL = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)
KIOSK = Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone.utc)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(EnvelopeError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def update(serial: int, reference: str = "7KQM2X9TJ", message: str = "") -> StatusUpdate:
    return StatusUpdate(reference, "accepted", message, "2026-11-20T09:00:00Z", serial)


# -- formats -------------------------------------------------------------------------------------


def test_a_request_names_what_the_kiosk_holds_and_is_fresh_for_ten_minutes():
    data = build_download_request(
        kiosk_id="kiosk-lueder", channels={"status": 42, "keys": 1}, signing_key=KIOSK,
        created_at="2026-11-20T09:30:00Z",
    )
    assert data.startswith(b"rathaus-download-request/1\n")
    assert parse_download_request(data).kiosk_id == "kiosk-lueder"
    request = verify_download_request(data, KIOSK.public_key(), now=NOW)
    assert request.channels == {"status": 42, "keys": 1}
    assert code_of(verify_download_request, data, TOWNHALL.public_key(), now=NOW) == "bad_signature"
    later = NOW + dt.timedelta(minutes=11)
    assert code_of(verify_download_request, data, KIOSK.public_key(), now=later) == "stale"
    verify_download_request(data, KIOSK.public_key(), now=later, max_age_seconds=60 * 24 * 3600)


@pytest.mark.parametrize(
    "channels", [{}, {"Status": 1}, {"status": -1}, {"status": True}, {"status": 1.5}, {"../x": 1}]
)
def test_a_request_with_a_broken_channel_list_is_malformed(channels):
    with pytest.raises(EnvelopeError) as caught:
        build_download_request(kiosk_id="kiosk-lueder", channels=channels, signing_key=KIOSK)
    assert caught.value.code == "malformed"


def test_an_answer_is_bound_to_its_kiosk_and_to_the_town_halls_key():
    part = ChannelPart("status", "delta", 3, 5, "2026-11-20T09:30:00Z", (update(4), update(5)))
    data = build_download({"status": part}, kiosk_id="kiosk-lueder", signing_key=TOWNHALL)
    download = verify_download(data, TOWNHALL.public_key(), kiosk_id="kiosk-lueder")
    assert download.parts["status"] == part
    assert code_of(verify_download, data, TOWNHALL.public_key(), kiosk_id="kiosk-b") == "wrong_kiosk"
    assert code_of(verify_download, data, KIOSK.public_key(), kiosk_id="kiosk-lueder") == "bad_signature"
    flipped = data[:40] + bytes([data[40] ^ 1]) + data[41:]
    assert code_of(verify_download, flipped, TOWNHALL.public_key(), kiosk_id="kiosk-lueder") in {
        "bad_signature",
        "malformed",
    }


@pytest.mark.parametrize(
    "part, why",
    [
        (ChannelPart("status", "delta", 5, 4, "2026-11-20T09:30:00Z", ()), "a delta going back"),
        (ChannelPart("status", "delta", 5, 5, "2026-11-20T09:30:00Z", (update(5),)), "entries, same version"),
        (ChannelPart("status", "snapshot", 0, 5, "2026-11-20T09:30:00Z", ()), "status is a delta channel"),
        (ChannelPart("nonsense", "delta", 0, 1, "2026-11-20T09:30:00Z", ()), "a channel nobody registered"),
    ],
)
def test_an_answer_that_breaks_the_channel_rules_is_malformed(part, why):
    with pytest.raises((EnvelopeError, KeyError)) as caught:
        build_download({part.channel: part}, kiosk_id="kiosk-lueder", signing_key=TOWNHALL)
    if isinstance(caught.value, EnvelopeError):
        assert caught.value.code == "malformed", why


def test_an_answer_over_one_mebibyte_is_refused_before_it_is_read():
    assert code_of(read_download, b"rathaus-download/1\n" + b"\0" * MAX_DOWNLOAD_BYTES) == "too_large"
    assert code_of(read_download, b"rathaus-download/2\n" + b"\0" * 80) == "unsupported_version"


# -- a channel registered by a later feature -----------------------------------------------------


def _notice(value: object, position: int) -> dict:
    fields = f.Fields(value, "The notice", frozenset({"text"}), where=f"notice {position}")
    return {"text": fields.free_text("text", 200)}


@pytest.fixture
def notices():
    """A snapshot channel "test-notices" on both sides, as a later issue would add warnings."""
    held = {"version": 0, "entries": []}
    register_channel_format(
        ChannelFormat("test-notices", "snapshot", _notice, lambda entry: entry, max_entries=5)
    )

    def part(context, version):
        return ChannelPart(
            "test-notices", "snapshot", version, held["version"], context.as_of, tuple(held["entries"])
        )

    townhall_downloads.register_source(townhall_downloads.ChannelSource("test-notices", part))
    kiosk_downloads.register_sink(kiosk_downloads.snapshot_sink("test-notices"))
    yield held
    kiosk_downloads.unregister_sink("test-notices")
    townhall_downloads.unregister_source("test-notices")
    unregister_channel_format("test-notices")


class Link:
    """The real town-hall code behind an in-memory link; ``fail_uploads`` breaks everything else."""

    def __init__(self, world, *, fail_uploads: str | None = None) -> None:
        self.world = world
        self.fail_uploads = fail_uploads
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        w = self.world
        if request.url.path == "/v1/downloads":
            body = answer_download_request(
                w["storage"], w["allowlist"], request.content, townhall=w["townhall"], townhall_dir=w["townhall_dir"]
            )
            return httpx.Response(200, content=body)
        if self.fail_uploads == "503":
            return httpx.Response(503, json={"error": "server_error"})
        raise httpx.ReadTimeout("the upload stalls on a slow link")


@pytest.fixture
def world(enrol):
    kiosk_dir, townhall_dir = enrol("kiosk-1")
    store = open_store(kiosk_dir / "kiosk.db")
    storage = open_storage(townhall_dir)
    yield {
        "store": store,
        "storage": storage,
        "kiosk_dir": kiosk_dir,
        "townhall_dir": townhall_dir,
        "kiosk": load_kiosk_keys(kiosk_dir),
        "pinned": load_pinned_townhall(kiosk_dir),
        "townhall": load_townhall_keys(townhall_dir, need_encryption=False),
        "allowlist": Allowlist(townhall_dir),
    }
    store.close()
    storage.close()


def client(world, link) -> OutboxClient:
    return OutboxClient(
        world["store"], kiosk=world["kiosk"], townhall=world["pinned"], server_url="http://127.0.0.1:9",
        transport=httpx.MockTransport(link), policy=RetryPolicy(attempts=2), sleep=lambda s: None,
        lang="en", kiosk_dir=world["kiosk_dir"],
    )


def queue_one(world) -> str:
    from sync.envelope import ItemMeta, seal_item

    def seal(reference, captured_at):
        meta = ItemMeta("nachricht", "1.0", "ab" * 32, "kiosk-1", reference, captured_at)
        return seal_item(meta, {"message": "Hallo"}, world["pinned"].encryption)

    store = world["store"]
    return store.queue_submission(form_id="nachricht", form_version="1.0", form_hash="ab" * 32, seal=seal).reference


def deliver(world, reference: str) -> None:
    """The item reaches the town hall by another way (a stick), so staff can answer it."""
    from sync.intake import receive_batch
    from sync.outbox import batch_builder

    batch = world["store"].take_batch(batch_builder(world["kiosk"], world["pinned"]))
    result = receive_batch(world["storage"], world["allowlist"], batch.data, townhall=world["townhall"])
    world["store"].mark_acknowledged(result.batch_id)


def test_a_registered_channel_travels_to_the_kiosk_and_replaces_what_it_held(world, notices):
    notices.update(version=1, entries=[{"text": "Die Bibliothek ist am Freitag geschlossen."}])
    report = client(world, Link(world)).sync_once()
    assert report.ok
    store = world["store"]
    assert store.channel_entries("test-notices") == [{"text": "Die Bibliothek ist am Freitag geschlossen."}]
    assert store.channel_state("test-notices").version == 1
    assert store.channel_state("test-notices").as_of is not None

    notices.update(version=2, entries=[])
    client(world, Link(world)).sync_once()
    assert store.channel_entries("test-notices") == []
    assert store.channel_state("test-notices").version == 2


def test_the_download_is_applied_even_when_the_upload_after_it_fails_or_stalls(world):
    reference = queue_one(world)
    deliver(world, reference)
    world["storage"].add_status(reference, "accepted", "Der Bescheid liegt bereit.", "2026-11-20T09:00:00Z")
    queue_one(world)  # waits to go up; the link will not take it
    for failure in ("503", "stall"):
        link = Link(world, fail_uploads=failure)
        report = client(world, link).sync_once()
        assert not report.ok and world["store"].waiting_count() == 1
        assert link.paths[0] == "/v1/downloads"  # asked first, before the upload
        assert "/v1/batches" in link.paths
    view = world["store"].lookup(reference)
    assert view.status == "accepted" and view.message == "Der Bescheid liegt bereit."
    assert world["store"].channel_state("status").as_of is not None


def test_many_answers_come_in_pages_and_the_kiosk_asks_again_until_it_has_all(world):
    reference = queue_one(world)
    deliver(world, reference)
    for number in range(450):
        world["storage"].add_status(reference, "in_progress", f"Schritt {number}", "2026-11-20T09:00:00Z")
    link = Link(world)
    client(world, link).sync_once()
    assert link.paths.count("/v1/downloads") == 3  # 200 + 200 + 50
    assert world["store"].lookup(reference).message == "Schritt 449"
    assert world["store"].channel_state("status").version == world["storage"].counts().status_updates


def test_an_answer_too_large_for_one_download_is_cut_and_marked_more(world, monkeypatch):
    reference = queue_one(world)
    deliver(world, reference)
    for _ in range(200):
        world["storage"].add_status(reference, "in_progress", "ä" * 500, "2026-11-20T09:00:00Z")
    monkeypatch.setattr(townhall_downloads, "MAX_DOWNLOAD_BYTES", 100_000)
    request = kiosk_downloads.download_request(world["store"], world["kiosk"])
    answer = answer_download_request(
        world["storage"], world["allowlist"], request, townhall=world["townhall"]
    )
    assert len(answer) <= 100_000
    part = read_download(answer).parts["status"]
    assert part.more and 0 < len(part.entries) < 200 and part.version == part.entries[-1].serial


def test_an_old_answer_replayed_later_changes_nothing(world):
    reference = queue_one(world)
    deliver(world, reference)
    world["storage"].add_status(reference, "received", "", "2026-11-20T09:00:00Z")
    request = kiosk_downloads.download_request(world["store"], world["kiosk"])
    old = answer_download_request(world["storage"], world["allowlist"], request, townhall=world["townhall"])
    world["storage"].add_status(reference, "accepted", "Genehmigt.", "2026-11-21T09:00:00Z")
    client(world, Link(world)).sync_once()
    held = world["store"].channel_state("status")

    kiosk_downloads.apply_download(
        old, store=world["store"], kiosk=world["kiosk"], kiosk_dir=world["kiosk_dir"]
    )
    assert world["store"].lookup(reference).status == "accepted"
    assert world["store"].channel_state("status") == held


def test_an_answer_signed_by_someone_else_is_refused_and_nothing_is_applied(world):
    part = ChannelPart("status", "delta", 0, 9, "2026-11-20T09:30:00Z", (update(9),))
    forged = build_download({"status": part}, kiosk_id="kiosk-1", signing_key=TOWNHALL)
    link = lambda request: httpx.Response(200, content=forged)  # noqa: E731
    report = client(world, link).sync_once()
    assert not report.ok and "could not be verified" in report.error
    assert world["store"].channel_state("status").version == 0


def test_a_kiosk_updated_from_an_older_version_keeps_its_status_cursor(tmp_path):
    from kiosk.store.database import connect
    from kiosk.store.migrations import migrate

    path = Path(tmp_path) / "kiosk.db"
    db = connect(path)
    migrate(db, stop_before="0004_download_channels")
    db.execute("INSERT INTO settings (key, value) VALUES ('status_cursor', '17')")
    db.conn.close()
    with open_store(path) as store:
        assert store.status_cursor() == 17
        assert store.channel_state("status").version == 17
        assert store.channel_state("status").as_of is None


def test_a_town_hall_before_downloads_still_sends_its_answers_as_a_status_bundle(world):
    from sync.intake import status_updates_for

    reference = queue_one(world)
    deliver(world, reference)
    world["storage"].add_status(reference, "accepted", "Genehmigt.", "2026-11-20T09:00:00Z")

    def older(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/status":
            body = status_updates_for(world["storage"], world["allowlist"], request.content, townhall=world["townhall"])
            return httpx.Response(200, content=body)
        return httpx.Response(404, json={"error": "not_found"})

    report = client(world, older).sync_once()
    assert report.ok and report.statuses == 1
    assert world["store"].lookup(reference).message == "Genehmigt."
