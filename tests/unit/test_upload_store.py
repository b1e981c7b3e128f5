"""The town hall's spool of half-finished uploads: resumable, bounded, expiring, durable."""

from __future__ import annotations

import pytest

from sync.envelope.uploads import UploadTicket
from sync.server.upload_store import OffsetMismatch, UploadGone, UploadsFull, UploadStore, open_upload_store


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def ticket(kiosk: str = "kiosk-a", batch: str = "ab", *, digest: str = "cd", length: int = 20_000) -> UploadTicket:
    return UploadTicket(kiosk, batch * 16, digest * 32, length, "2026-03-23T09:30:00Z")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def spool(tmp_path, clock, server_database):
    """The spool as the server opens it, on SQLite and on PostgreSQL."""
    store = open_upload_store(tmp_path, clock=clock, max_total_bytes=100_000)
    yield store
    store.close()


def test_the_same_batch_resumes_where_it_stood_even_after_a_restart(tmp_path, spool, clock):
    first = spool.open(ticket())
    assert first.offset == 0 and len(first.upload_id) == 32
    assert spool.append(first, 0, b"x" * 8192) == 8192
    spool.close()
    reopened = open_upload_store(tmp_path, clock=clock)  # the server restarted
    again = reopened.open(ticket())
    assert again.upload_id == first.upload_id and again.offset == 8192
    assert reopened.assemble(again, b"y") == b"x" * 8192 + b"y"
    reopened.close()


def test_a_chunk_at_the_wrong_offset_is_not_stored(spool):
    record = spool.open(ticket())
    spool.append(record, 0, b"x" * 4096)
    with pytest.raises(OffsetMismatch) as caught:
        spool.append(record, 0, b"x" * 4096)  # the same chunk again
    assert caught.value.offset == 4096
    assert spool.usage() == (1, 4096)


def test_another_digest_for_the_same_batch_starts_afresh(spool):
    old = spool.open(ticket())
    spool.append(old, 0, b"x" * 4096)
    new = spool.open(ticket(digest="ef"))
    assert new.upload_id != old.upload_id and new.offset == 0
    with pytest.raises(UploadGone):
        spool.find(old.upload_id, "kiosk-a")


def test_another_kiosks_upload_cannot_be_found_under_its_id(spool):
    record = spool.open(ticket())
    with pytest.raises(UploadGone):
        spool.find(record.upload_id, "kiosk-b")
    assert spool.find(record.upload_id, "kiosk-a").upload_id == record.upload_id


def test_half_uploads_expire_48_hours_after_their_last_chunk(spool, clock):
    record = spool.open(ticket())
    clock.now += 47 * 3600
    spool.append(record, 0, b"x" * 4096)  # a chunk moves the expiry on
    clock.now += 47 * 3600
    assert spool.find(record.upload_id, "kiosk-a").offset == 4096
    clock.now += 2 * 3600
    with pytest.raises(UploadGone):
        spool.find(record.upload_id, "kiosk-a")
    assert spool.usage() == (0, 0)  # the chunks went with it


def test_one_kiosk_holds_at_most_four_and_its_oldest_makes_room(spool, clock):
    opened = []
    for n in range(5):
        clock.now += 1
        opened.append(spool.open(ticket(batch=f"{n:02x}", length=1000)))
    other = spool.open(ticket("kiosk-b", length=1000))
    with pytest.raises(UploadGone):
        spool.find(opened[0].upload_id, "kiosk-a")
    for record in opened[1:]:
        assert spool.find(record.upload_id, "kiosk-a")
    assert spool.find(other.upload_id, "kiosk-b")


def test_all_half_uploads_together_reserve_a_bounded_number_of_bytes(spool):
    spool.open(ticket("kiosk-a", length=60_000))
    with pytest.raises(UploadsFull):
        spool.open(ticket("kiosk-b", length=60_000))  # refused before a single byte arrived
    assert spool.usage()[0] == 1


def test_a_finished_upload_keeps_only_its_acknowledgement(spool, clock):
    record = spool.open(ticket())
    spool.append(record, 0, b"x" * 4096)
    spool.finish(record, b"rathaus-ack/2 ...")
    assert spool.usage() == (0, 0)
    assert spool.finished_ack(ticket()) == b"rathaus-ack/2 ..."
    assert spool.finished_ack(ticket(digest="ef")) is None  # only for the very same bytes
    assert spool.finished_ack(ticket("kiosk-b")) is None
    clock.now += 31 * 24 * 3600
    spool.purge_expired()
    assert spool.finished_ack(ticket()) is None


def test_a_last_chunk_racing_a_finished_copy_never_assembles_from_chunks_let_go(spool):
    """Two copies of the last chunk (a kiosk retrying, perhaps at another worker): once one was
    taken in, the other finds the upload gone and gets the stored acknowledgement, never a batch
    assembled from nothing."""
    record = spool.open(ticket(length=8192 + 10))
    spool.append(record, 0, b"x" * 8192)
    at_the_end = spool.find(record.upload_id, "kiosk-a")
    with pytest.raises(OffsetMismatch):
        spool.assemble(record, b"z")  # a copy that still thinks the upload stands at 0
    assert spool.assemble(at_the_end, b"y" * 10) == b"x" * 8192 + b"y" * 10
    spool.finish(at_the_end, b"ack")
    with pytest.raises(UploadGone):
        spool.assemble(at_the_end, b"y" * 10)
    assert spool.finished_ack(at_the_end) == b"ack"
