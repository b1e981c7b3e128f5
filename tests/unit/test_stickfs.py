"""The stick's file primitives on their own: what each refuses, and that a refusal changes nothing."""

from __future__ import annotations

import os
import signal

import pytest

from sync.stickfs import FOLDER, LINK, PIPE, NotOrdinary, StickFolder, shown


@pytest.fixture
def stick(tmp_path):
    root = tmp_path / "stick"
    root.mkdir()
    with StickFolder.open_mount(root) as folder:
        yield root, folder


def test_a_write_replaces_a_link_under_its_name_and_never_writes_through_it(stick, tmp_path):
    root, folder = stick
    precious = tmp_path / "precious"
    precious.write_bytes(b"keep me")
    (root / "status.bundle").symlink_to(precious)
    folder.write("status.bundle", b"fresh")
    assert precious.read_bytes() == b"keep me"
    assert not (root / "status.bundle").is_symlink() and (root / "status.bundle").read_bytes() == b"fresh"
    assert sorted(os.listdir(root)) == ["status.bundle"]  # no .part left behind


def test_leftover_parts_are_cleared_but_a_link_among_them_is_reported_and_kept(stick, tmp_path):
    root, folder = stick
    (root / "a.ack.0123abcd.part").write_bytes(b"half")
    (root / "a.ack.part").write_bytes(b"half, from an older writer")
    (root / "b.ack.part").write_bytes(b"another file's")
    (root / "a.ack.ffff.part").symlink_to(tmp_path)
    refused = folder.write("a.ack", b"whole")
    assert [(entry.name, entry.kind) for entry in refused] == [("a.ack.ffff.part", LINK)]
    assert sorted(os.listdir(root)) == ["a.ack", "a.ack.ffff.part", "b.ack.part"]


def test_a_pipe_swapped_in_after_the_listing_is_refused_at_once(stick):
    root, folder = stick
    os.mkfifo(root / "x.batch")  # no writer: an ordinary open would wait for ever

    def hung(_signum, _frame):
        raise AssertionError("waited on a named pipe")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        with pytest.raises(NotOrdinary) as refused:
            folder.read("x.batch", 100)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert refused.value.kind == PIPE


def test_a_folder_in_place_of_a_file_is_refused_on_read_and_on_write(stick):
    root, folder = stick
    (root / "x.batch").mkdir()
    for attempt in (lambda: folder.read("x.batch", 100), lambda: folder.write("x.batch", b"data")):
        with pytest.raises(NotOrdinary) as refused:
            attempt()
        assert refused.value.kind == FOLDER
    assert (root / "x.batch").is_dir() and os.listdir(root / "x.batch") == []


def test_a_linked_folder_is_refused_and_nothing_is_made_behind_it(stick, tmp_path):
    root, folder = stick
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "rathaus-transfer").symlink_to(elsewhere)
    for attempt in (lambda: folder.folder("rathaus-transfer"), lambda: folder.make_folder("rathaus-transfer")):
        with pytest.raises(NotOrdinary) as refused:
            attempt()
        assert refused.value.kind == LINK and refused.value.name == "rathaus-transfer"
    assert os.listdir(elsewhere) == []


def test_a_read_takes_at_most_one_byte_over_the_limit(stick):
    root, folder = stick
    (root / "big").write_bytes(b"x" * 1000)
    assert folder.read("big", 10) == b"x" * 11


def test_names_from_the_stick_are_printed_without_control_characters():
    assert shown("evil\x1b[2J.batch") == "evil?[2J.batch"
    assert shown("\udcff.batch") == "?.batch"
    assert len(shown("n" * 5000)) <= 201
