"""Attacks carried on a USB stick, generated, at both ends: whatever file lies on the stick, the
import names it as refused in the report and nothing is stored (town hall) or acknowledged
(kiosk). Never an exception.

Only the public transfer functions are used: the kiosk writes the stick with ``kiosk_export``, the
town hall answers with ``townhall_import``, and the test then damages the files it finds there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.store import open_store
from sync.allowlist import Allowlist
from sync.keys import townhall_public_keys_path
from sync.server.storage import SqliteStorage
from sync.usb import kiosk_collect_replies, kiosk_export, townhall_import
from tests.fuzz.support import fuzz_settings


def _flip(data: bytes, bits: set[int]) -> bytes:
    damaged = bytearray(data)
    for bit in bits:
        damaged[bit // 8] ^= 1 << (bit % 8)
    return bytes(damaged)


def _damage(data, original: bytes) -> bytes:
    how = data.draw(st.sampled_from(["flip", "cut", "append", "garbage", "empty"]))
    if how == "flip":
        return _flip(original, data.draw(st.sets(st.integers(0, len(original) * 8 - 1), min_size=1, max_size=6)))
    if how == "cut":
        return original[: data.draw(st.integers(0, len(original) - 1))]
    if how == "append":
        return original + data.draw(st.binary(min_size=1, max_size=100))
    if how == "garbage":
        return original[: original.index(b"\n") + 1] + data.draw(st.binary(max_size=400))
    return b""


class Kiosk:
    """One kiosk's queue with three real sealed applications and a stick it exported to."""

    def __init__(self, town, folder: Path, keys, references: tuple[str, ...]) -> None:
        self.town, self.keys = town, keys
        # like every kiosk's data directory, the queue lies beside the pinned town-hall keys
        (folder / "keys").mkdir(exist_ok=True)
        shutil.copyfile(townhall_public_keys_path(town.townhall_dir), folder / "keys" / "townhall.json")
        self.store = open_store(folder / "kiosk.db")
        for reference in references:
            self.store.queue_submission(
                form_id="nachricht", form_version="1.0", form_hash="a" * 64,
                seal=lambda ref, at, kiosk_id=keys.kiosk_id: town.sealed(kiosk_id, ref),
            )

    def export(self, stick: Path):
        return kiosk_export(stick, self.store, kiosk=self.keys, townhall=self.town.townhall.public)

    def collect(self, stick: Path):
        return kiosk_collect_replies(stick, self.store, kiosk=self.keys, townhall=self.town.townhall.public)


@pytest.fixture
def sticks(tmp_path):
    counter = iter(range(10**6))

    def fresh() -> Path:
        stick = tmp_path / f"stick-{next(counter)}"
        stick.mkdir()
        return stick

    return fresh


def _import(town, stick: Path, storage):
    return townhall_import(stick, storage, Allowlist(town.townhall_dir), townhall=town.townhall)


@pytest.fixture(scope="module")
def written(town, tmp_path_factory):
    """A stick as kiosks a and b left it (each one batch and a download request), kept as a template."""
    root = tmp_path_factory.mktemp("written")
    stick = root / "stick"
    stick.mkdir()
    for name, refs in (("a", ("7KQM2X9TD", "A1B2C3D4E")), ("b", ("HX3V9K2MQ",))):
        (root / name).mkdir()
        kiosk = Kiosk(town, root / name, getattr(town, name), refs)
        kiosk.export(stick)
        kiosk.store.close()
    return stick


def _batch_files(stick: Path, kiosk_id: str) -> list[Path]:
    return sorted(p for p in stick.rglob("*.batch") if kiosk_id in p.parts)


@fuzz_settings(40)
@given(st.data())
def test_a_damaged_batch_on_the_stick_is_refused_by_name_and_nothing_is_stored(town, written, sticks, tmp_path, data):
    stick = sticks()
    shutil.copytree(written, stick, dirs_exist_ok=True)
    target = _batch_files(stick, "kiosk-a")[0]
    target.write_bytes(_damage(data, target.read_bytes()))
    for other in _batch_files(stick, "kiosk-b"):
        other.unlink()
    with SqliteStorage(tmp_path / f"{stick.name}.db") as storage:
        report = _import(town, stick, storage)
        counts = storage.counts()
    assert (counts.batches, counts.items) == (0, 0)
    assert any(target.name in problem for problem in report.problems), report.problems
    assert not list(stick.rglob("*.ack"))


@fuzz_settings(30)
@given(st.data())
def test_moved_swapped_replayed_or_revoked_batches_on_the_stick(town, written, sticks, tmp_path, data):
    """Files moved between kiosks' folders, one kiosk's batch bytes under the other's name, the same
    batch twice, or a batch from a revoked kiosk: each is stored once or refused, never twice."""
    stick = sticks()
    shutil.copytree(written, stick, dirs_exist_ok=True)
    a, b = _batch_files(stick, "kiosk-a")[0], _batch_files(stick, "kiosk-b")[0]
    case = data.draw(st.sampled_from(["swap-bytes", "move-folder", "replay-copy", "revoked"]))
    if case == "swap-bytes":  # each file now holds the other's bytes: still signed, still whole
        a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
        a.write_bytes(b_bytes)
        b.write_bytes(a_bytes)
    elif case == "move-folder":
        b.rename(a.parent / b.name)
    elif case == "replay-copy":
        shutil.copy(a, a.parent / ("00000099-" + a.name.split("-", 1)[1]))
    else:
        (tmp_path / f"{stick.name}-r").mkdir()
        revoked_kiosk = Kiosk(town, tmp_path / f"{stick.name}-r", town.r, ("M4N5B6V7C",))
        revoked_kiosk.export(stick)
        revoked_kiosk.store.close()
    with SqliteStorage(tmp_path / f"{stick.name}.db") as storage:
        report = _import(town, stick, storage)
        first = storage.counts()
        again = _import(town, stick, storage)  # the same stick imported twice
        counts = storage.counts()
    assert counts == first and again.batches_received == 0  # nothing is ever stored twice
    # Each of the two real batches is stored whole, or refused by name; nothing else gets in.
    assert (counts.batches, counts.items) in {(2, 3), (1, 2), (1, 1), (0, 0)}
    if counts.items < 3:
        assert report.problems
    if case == "revoked":
        assert any("revoked_kiosk" in problem for problem in report.problems), report.problems


@fuzz_settings(25)
@given(st.data())
def test_damaged_or_foreign_replies_on_the_stick_acknowledge_nothing_at_the_kiosk(town, sticks, tmp_path, data):
    stick = sticks()
    folder = tmp_path / f"{stick.name}-kiosks"
    folder.mkdir()
    (folder / "b").mkdir()
    kiosk = Kiosk(town, folder, town.a, ("7KQM2X9TD", "A1B2C3D4E"))
    other = Kiosk(town, folder / "b", town.b, ("HX3V9K2MQ",))
    try:
        kiosk.export(stick)
        other.export(stick)
        with SqliteStorage(folder / "townhall.db") as storage:
            _import(town, stick, storage)
        acks = {p.parent.name: p for p in stick.rglob("*.ack")}
        answers = {p.parent.name: p for p in stick.rglob("download-*.answer")}
        assert set(acks) == {"kiosk-a", "kiosk-b"}
        mine, theirs = acks["kiosk-a"], acks["kiosk-b"]
        case = data.draw(st.sampled_from(["damage-ack", "their-ack-under-my-name", "damage-answer",
                                          "their-answer"]))
        if case == "damage-ack":
            mine.write_bytes(_damage(data, mine.read_bytes()))
        elif case == "their-ack-under-my-name":
            mine.write_bytes(theirs.read_bytes())
        elif case == "damage-answer":
            mine.unlink()
            answers["kiosk-a"].write_bytes(_damage(data, answers["kiosk-a"].read_bytes()))
        else:
            mine.unlink()
            answers["kiosk-a"].write_bytes(answers["kiosk-b"].read_bytes())
        waiting = kiosk.store.waiting_count()
        cursor = kiosk.store.status_cursor()
        report = kiosk.collect(stick)
        assert kiosk.store.waiting_count() == waiting == 2
        assert kiosk.store.status_cursor() == cursor
        assert report.acks_applied == 0 and report.problems
        assert kiosk.store.pending_batch() is not None  # it goes on the next stick unchanged
    finally:
        kiosk.store.close()
        other.store.close()
