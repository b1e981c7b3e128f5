"""Resumable upload over links that keep dropping, against the real server on 127.0.0.1.

The link is ``bench.linksim`` between the kiosk's outbox and a uvicorn server on loopback. What a
person would notice: every application queued at the kiosk arrives at the town hall exactly once,
however often the link breaks, and a drop costs at most the chunk that was on the way.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from bench.linksim import EDGE, drop_after, running_link
from kiosk.config import KioskConfig, save_config
from kiosk.runtime import open_runtime
from sync.embedded import start_embedded_server
from sync.outbox import MAX_BATCH_SEND_BYTES, OutboxClient, RetryPolicy, batch_builder
from sync.server import create_app, open_storage
from sync.uploader import CHUNK_SECONDS, ChunkSizer

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("server_database")]

TYPED = {
    "topic": "strassen",
    "message": "Der Gehweg in der Lindenstraße 7 ist seit dem Sturm gesperrt; bitte sehen Sie es sich an. " * 4,
    "name": "Erika Mustermann",
    "wants_reply": False,
}
REQUEST_OVERHEAD = 700
"""Generous bytes of request line and headers per HTTP request (a ticket is about 330 bytes)."""


@pytest.fixture
def kiosk_with_queue(enrol, fill):
    """A kiosk with 200 applications queued, its town hall's folder and the receipt codes."""
    kiosk_dir, townhall_dir = enrol("bibliothek-1")
    with open_runtime(kiosk_dir) as runtime:
        form = runtime.form("nachricht")
        answers = fill(form, TYPED)
        references = [runtime.submit(form, answers).reference for _ in range(200)]
    return kiosk_dir, townhall_dir, references


def _batch_of_everything(runtime) -> bytes:
    """Build the batch now, as the outbox would; the outbox then sends exactly these bytes."""
    build = batch_builder(runtime.kiosk_keys, runtime.townhall)
    batch = runtime.store.take_batch(build, max_items=200, max_bytes=MAX_BATCH_SEND_BYTES)
    assert batch is not None and len(batch.references) == 200
    return batch.data


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _townhall_holds(townhall_dir) -> tuple[list[str], int]:
    """The receipt codes of every item the town hall stored, and how many batches."""
    storage = open_storage(townhall_dir)
    try:
        return [item.reference for item in storage.items()], storage.counts().batches
    finally:
        storage.close()


def test_a_cut_in_the_middle_of_every_chunk_resumes_from_the_servers_offset(kiosk_with_queue):
    """Every connection is cut once the kiosk has sent 20,000 bytes over it, which is always
    inside a chunk (chunks are 4–16 KiB here). The kiosk asks the town hall how far it got and
    sends only the rest: all it sends beyond the batch is at most one chunk per drop."""
    kiosk_dir, townhall_dir, references = kiosk_with_queue
    with start_embedded_server(create_app(townhall_dir)) as server:
        with running_link(drop_after(20_000), upstream_port=_port(server.url), seed=3) as link:
            with open_runtime(kiosk_dir) as runtime:
                batch = _batch_of_everything(runtime)
                with OutboxClient(
                    runtime.store,
                    kiosk=runtime.kiosk_keys,
                    townhall=runtime.townhall,
                    server_url=link.url,
                    policy=RetryPolicy(attempts=3, base_delay=0.01),
                    lang="en",
                ) as client:
                    report = client.sync_once()
                stats = client.uploader.stats
                assert report.error is None, report.error
                assert report.sent == 200 and runtime.waiting_count() == 0

    held, batches = _townhall_holds(townhall_dir)
    assert sorted(held) == sorted(references) and batches == 1

    drops = link.stats.drops
    assert drops >= 4, "the link must really have been cut, several times"
    assert stats.drops == drops  # every cut hit a chunk on its way (or the answer to one)
    assert len(batch) > 5 * stats.largest_chunk  # a large batch: many chunks
    # Payload: every chunk sent, the lost ones included, is the batch plus at most one per drop.
    assert stats.chunk_bytes <= len(batch) + drops * stats.largest_chunk
    # On the wire, the same bound plus the requests' own lines and headers.
    assert link.stats.bytes_up <= len(batch) + drops * stats.largest_chunk + stats.requests * REQUEST_OVERHEAD


SCALE = 0.05


def test_b_all_applications_arrive_once_over_a_link_that_drops_every_7_to_22_seconds(kiosk_with_queue):
    """EDGE (50 kbit/s, 400 ms round trip, stalls) with a drop every 7.5–22.5 s, run twenty times
    faster: ``EDGE.scaled(0.05)`` multiplies every time by 0.05 and every bandwidth by 20 (so the
    link carries the same bytes between two drops as the real one), the kiosk's waits between
    tries and its target time per chunk are scaled the same way. The kiosk runs rounds as
    ``rathaus sync --watch`` does until nothing waits."""
    kiosk_dir, townhall_dir, references = kiosk_with_queue
    profile = replace(EDGE, drop_every=(7.5, 22.5)).scaled(SCALE)
    sizer = _SizerCountingLostChunks(seconds=CHUNK_SECONDS * SCALE)
    policy = RetryPolicy(attempts=4, base_delay=2.0 * SCALE, max_delay=60.0 * SCALE)
    with start_embedded_server(create_app(townhall_dir)) as server:
        with running_link(profile, upstream_port=_port(server.url), seed=7) as link:
            save_config(kiosk_dir, KioskConfig(server_url=link.url))
            with open_runtime(kiosk_dir) as runtime:
                batch = _batch_of_everything(runtime)
                deadline = time.monotonic() + 45
                rounds = 0
                while runtime.waiting_count() and time.monotonic() < deadline:
                    rounds += 1
                    runtime.sync_now(lang="en", policy=policy, sizer=sizer)
                    if runtime.waiting_count():
                        time.sleep(60 * SCALE)  # the kiosk's next round
                assert runtime.waiting_count() == 0

    held, batches = _townhall_holds(townhall_dir)
    assert sorted(held) == sorted(references)  # all 200, each once
    assert batches == 1
    assert link.stats.drops >= 1, "the link must have dropped during the upload"
    on_the_wire = link.stats.bytes_up + link.stats.bytes_down
    # What a drop costs is at most the chunk under way (never the batch from the start); beyond
    # that only each round's requests and answers (ticket, offset, downloads, acknowledgement).
    resent = on_the_wire - len(batch)
    assert resent <= sum(sizer.lost) + 8192 * rounds, (
        f"{resent} bytes beyond the batch of {len(batch)}; chunks cut by drops: {sizer.lost}, {rounds} rounds"
    )
    assert on_the_wire < 2 * len(batch), f"{on_the_wire} bytes for a batch of {len(batch)}"


class _SizerCountingLostChunks(ChunkSizer):
    """The kiosk's chunk sizer, noting the size of every chunk a drop cut short."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.lost: list[int] = []

    def dropped(self) -> None:
        self.lost.append(self.size)
        super().dropped()


def test_progress_reports_applications_bytes_and_time_left_while_a_long_upload_runs(kiosk_with_queue):
    kiosk_dir, townhall_dir, _references = kiosk_with_queue
    seen = []
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url))
        with open_runtime(kiosk_dir) as runtime:
            report = runtime.sync_now(lang="en", progress=seen.append)
    assert report.error is None and report.sent == 200
    assert len(seen) > 3  # one report per confirmed chunk
    assert [p.bytes_sent for p in seen] == sorted(p.bytes_sent for p in seen)
    assert all(p.items_total == 200 for p in seen)
    assert any(p.seconds_left is not None for p in seen)
    last = seen[-1]
    assert last.items_sent == 200 and last.bytes_sent == last.bytes_total


class PowerCut(Exception):
    """The kiosk loses power in the middle of an upload."""


def test_a_kiosk_restarted_halfway_through_an_upload_sends_only_the_rest(kiosk_with_queue):
    """The kiosk keeps nothing about an upload on its disk: after a restart its new ticket finds
    the upload the town hall holds, at the offset it reached."""
    kiosk_dir, townhall_dir, references = kiosk_with_queue
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url))
        held = []
        with open_runtime(kiosk_dir) as runtime:
            batch = _batch_of_everything(runtime)

            def power_cut_halfway(progress):
                if progress.bytes_sent > len(batch) // 2:
                    held.append(progress.bytes_sent)
                    raise PowerCut()

            with pytest.raises(PowerCut):
                runtime.sync_now(lang="en", progress=power_cut_halfway)
            assert runtime.waiting_count() == 200
        with open_runtime(kiosk_dir) as runtime:  # started again
            with OutboxClient(
                runtime.store, kiosk=runtime.kiosk_keys, townhall=runtime.townhall, server_url=server.url
            ) as client:
                report = client.sync_once()
            assert report.error is None and report.sent == 200
            assert client.uploader.stats.chunk_bytes == len(batch) - held[0]
    held_refs, batches = _townhall_holds(townhall_dir)
    assert sorted(held_refs) == sorted(references) and batches == 1
