"""The kiosk's chunked upload without a network: chunk sizes, older town halls, progress words."""

from __future__ import annotations

import io
import random
import secrets

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import SyncError
from kiosk.store import open_store
from sync.allowlist import Allowlist
from sync.cli_sync import ProgressLine
from sync.envelope import ItemMeta, seal_item
from sync.intake import receive_batch
from sync.keys import load_kiosk_keys, load_pinned_townhall, load_townhall_keys
from sync.outbox import OutboxClient, RetryPolicy, batch_builder
from sync.progress import ProgressTracker, UploadProgress, describe_progress
from sync.server import open_storage
from sync.uploader import CHUNK_SECONDS, MAX_CHUNK, MIN_CHUNK, ChunkedUploader, ChunkSizer


def test_chunks_halve_after_a_drop_and_grow_after_successes_up_to_a_few_seconds_of_the_link():
    sizer = ChunkSizer(first=16 * 1024, seconds=3.0)
    sizer.dropped()
    assert sizer.size == 8 * 1024
    for _ in range(5):
        sizer.dropped()
    assert sizer.size == MIN_CHUNK  # never below the smallest chunk the town hall takes
    # 6,250 bytes/s (50 kbit/s): growth stops at about 3 s worth of the link.
    for _ in range(20):
        sizer.succeeded(sizer.size, sizer.size / 6250)
    assert 16 * 1024 <= sizer.size <= 3 * 6250
    # A fast link lets chunks grow to the largest allowed, and the town hall's bounds hold.
    for _ in range(40):
        sizer.succeeded(sizer.size, sizer.size / 10_000_000)
    assert sizer.size == MAX_CHUNK
    sizer.limit(MIN_CHUNK, 64 * 1024)
    assert sizer.size == 64 * 1024


def test_the_round_trip_each_chunk_waits_is_not_taken_for_a_slow_link():
    """On a 400 ms link every chunk also waits 0.4 s for its answer; counting that as sending
    time kept chunks at their first size on the edge link. With it taken out they grow to about
    ``CHUNK_SECONDS`` of the link."""
    sizer = ChunkSizer(first=16 * 1024, seconds=CHUNK_SECONDS)
    for _ in range(10):
        sizer.succeeded(sizer.size, sizer.size / 6250 + 0.4, round_trip=0.4)
    assert (CHUNK_SECONDS - 1) * 6250 <= sizer.size <= CHUNK_SECONDS * 6250
    # without the round trip taken out, the same link looks slower and chunks stay smaller
    naive = ChunkSizer(first=16 * 1024, seconds=CHUNK_SECONDS)
    for _ in range(10):
        naive.succeeded(naive.size, naive.size / 6250 + 0.4)
    assert naive.size < sizer.size


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


def _queue_large(world, count: int) -> None:
    for _ in range(count):
        def seal(reference, captured_at):
            meta = ItemMeta("nachricht", "1.0", "ab" * 32, "kiosk-1", reference, captured_at)
            # Random text does not compress: each item stays several KiB after sealing.
            return seal_item(meta, {"message": secrets.token_hex(4000)}, world["pinned"].encryption)

        world["store"].queue_submission(form_id="nachricht", form_version="1.0", form_hash="ab" * 32, seal=seal)


def test_an_older_town_hall_without_uploads_gets_the_batch_in_one_piece(world):
    _queue_large(world, 6)
    calls = []

    def older_town_hall(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path))
        if request.url.path == "/v1/batches":
            result = receive_batch(world["storage"], world["allowlist"], request.content, townhall=world["townhall"])
            return httpx.Response(200, content=result.ack)
        if request.url.path == "/v1/status":
            from sync.intake import status_updates_for

            body = status_updates_for(world["storage"], world["allowlist"], request.content, townhall=world["townhall"])
            return httpx.Response(200, content=body)
        return httpx.Response(404, json={"error": "not_found"})

    with OutboxClient(
        world["store"],
        kiosk=world["kiosk"],
        townhall=world["pinned"],
        server_url="https://rathaus.example",
        transport=httpx.MockTransport(older_town_hall),
        policy=RetryPolicy(attempts=1),
        sleep=lambda s: None,
    ) as client:
        report = client.sync_once()
    assert report.error is None and report.sent == 6
    # downloads first; the older town hall has none, so its status bundle is asked for instead
    assert calls[:4] == [
        ("POST", "/v1/downloads"), ("POST", "/v1/status"), ("POST", "/v1/uploads"), ("POST", "/v1/batches")
    ]
    assert world["storage"].counts().items == 6


def test_a_refused_upload_keeps_the_applications_and_says_why(world):
    _queue_large(world, 6)

    def refusing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": "revoked_kiosk", "message": "gesperrt"})

    with OutboxClient(
        world["store"],
        kiosk=world["kiosk"],
        townhall=world["pinned"],
        server_url="https://rathaus.example",
        transport=httpx.MockTransport(refusing),
        lang="en",
    ) as client:
        report = client.sync_once()
    assert report.refused and "does not accept this kiosk" in report.error
    assert world["store"].waiting_count() == 6


def test_batches_are_bounded_by_bytes_as_well_as_by_count(world):
    _queue_large(world, 6)
    build = batch_builder(world["kiosk"], world["pinned"])
    first = world["store"].take_batch(build, max_items=200, max_bytes=12_000)
    assert 1 < len(first.references) < 6 and len(first.data) <= 12_000 + 1024
    world["store"].mark_acknowledged(first.batch_id)
    single = world["store"].take_batch(build, max_items=200, max_bytes=10)
    assert len(single.references) == 1  # one item always goes, however small the bound


def test_progress_counts_confirmed_bytes_and_estimates_the_time_left():
    seen: list[UploadProgress] = []
    now = [100.0]
    tracker = ProgressTracker(seen.append, items_total=200, bytes_total=120_000, clock=lambda: now[0])
    tracker.batch_offset(20_000, 120_000)  # resumed: 20 KB were there before this round
    now[0] += 10
    tracker.batch_offset(70_000, 120_000)  # 50 KB in 10 s
    assert seen[-1].bytes_sent == 70_000 and seen[-1].seconds_left == pytest.approx(10.0)
    tracker.batch_done(120_000, 200)
    assert seen[-1].items_sent == 200 and seen[-1].bytes_sent == seen[-1].bytes_total == 120_000

    assert describe_progress(seen[1], "en") == (
        "Sending: 0 of 200 applications, 68 KB of 117 KB, about 10 seconds left"
    )
    assert describe_progress(UploadProgress(3, 200, 1000, 900_000, 130.0), "de") == (
        "Übertragung: 3 von 200 Anträgen, 1000 B von 878 KB, noch etwa 3 Minuten"
    )
    assert describe_progress(UploadProgress(0, 1, 0, 20_000, None), "de") == (
        "Übertragung: 0 von 1 Antrag, 0 B von 19 KB"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rathaus_sync_rewrites_one_line_on_a_terminal_and_stays_quiet_in_a_log():
    terminal = _Terminal()
    line = ProgressLine(terminal, "en")
    line(UploadProgress(0, 2, 0, 40_000, None))
    line(UploadProgress(1, 2, 20_000, 40_000, 3.0))
    line.finish()
    assert terminal.getvalue().count("\r") == 2 and terminal.getvalue().endswith("left\n")
    log = io.StringIO()
    quiet = ProgressLine(log, "en", every=3600)
    quiet(UploadProgress(1, 2, 20_000, 40_000, 3.0))
    quiet.finish()
    assert log.getvalue() == ""  # a quick round prints nothing into a log


class FakeTownHall:
    """The upload protocol in memory, behind a scripted link: each entry decides one request."""

    def __init__(self, length: int, script=()):
        self.length = length
        self.held = bytearray()
        self.script = list(script)
        self.calls: list[tuple[str, str]] = []
        self.patched = 0
        self.cut: list[int] = []  # sizes of the chunks cut on their way

    def __call__(self, request: httpx.Request) -> httpx.Response:
        step = self.script.pop(0) if self.script else "ok"
        self.calls.append((request.method, step))
        if step == "down":
            raise httpx.ConnectError("no route to host")
        if request.method == "POST":
            opened = {"upload_id": "a" * 32, "offset": len(self.held), "min_chunk": MIN_CHUNK, "max_chunk": MAX_CHUNK}
            return httpx.Response(201, json=opened)
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Upload-Offset": str(len(self.held))})
        chunk = request.read()
        self.patched += len(chunk)
        if step == "drop-sending":  # cut before the chunk arrived whole: nothing kept
            self.cut.append(len(chunk))
            raise httpx.WriteError("connection reset")
        if int(request.headers["Upload-Offset"]) != len(self.held):
            return httpx.Response(409, headers={"Upload-Offset": str(len(self.held))})
        self.held += chunk
        if step == "drop-answer":  # kept, but the answer is lost on the way back
            raise httpx.ReadError("connection reset")
        if len(self.held) == self.length:
            return httpx.Response(200, content=b"ACK")
        return httpx.Response(204, headers={"Upload-Offset": str(len(self.held))})


class _Kiosk:
    kiosk_id = "kiosk-1"

    def __init__(self):
        self.signing = Ed25519PrivateKey.generate()


def _uploader(town_hall, attempts=3):
    waits: list[float] = []
    client = httpx.Client(base_url="https://rathaus.example", transport=httpx.MockTransport(town_hall))
    uploader = ChunkedUploader(
        client, _Kiosk(), attempts=attempts, delay=lambda n, rng: float(n), sleep=waits.append, rng=random.Random(1)
    )
    return uploader, waits


BATCH = bytes(range(256)) * 400  # 100 KiB: seven chunks of 16 KiB


def test_a_drop_after_progress_goes_on_at_once_from_the_town_halls_offset():
    town_hall = FakeTownHall(len(BATCH), ["ok", "ok", "drop-sending", "ok", "ok", "drop-answer"])
    uploader, waits = _uploader(town_hall, attempts=1)  # even with a single attempt per round
    assert uploader.upload("ab" * 16, BATCH) == b"ACK"
    assert bytes(town_hall.held) == BATCH
    assert waits == []  # each connection got a chunk through: no waiting
    assert [method for method, _ in town_hall.calls].count("HEAD") == 2  # one question per drop
    # The chunk cut on its way is sent again; the one whose answer was lost is not.
    assert len(town_hall.cut) == 1
    assert town_hall.patched == len(BATCH) + town_hall.cut[0]
    assert uploader.stats.drops == 2


def test_a_link_that_stays_down_is_left_for_the_next_round_after_its_attempts():
    town_hall = FakeTownHall(len(BATCH), ["down"] * 10)
    uploader, waits = _uploader(town_hall, attempts=3)
    with pytest.raises(SyncError) as caught:
        uploader.upload("ab" * 16, BATCH)
    assert caught.value.transient
    assert len(town_hall.calls) == 3 and waits == [1.0, 2.0]  # backing off between tries
