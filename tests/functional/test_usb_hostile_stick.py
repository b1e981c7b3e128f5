"""A stick made to attack whoever plugs it in: links to the keys or the queue, named pipes that
never answer, a transfer folder that leads somewhere else. Both ends refuse each such file by
name, touch nothing it points at, never wait on it, and still carry what is sound on the stick."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import signal
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.runtime import open_runtime
from kiosk.store import DB_NAME
from sync.inbox import Inbox
from sync.keys import KEYS_DIR, TOWNHALL_ENCRYPTION_KEY, load_kiosk_keys, load_pinned_townhall
from sync.server import open_storage
from sync.usb import kiosk_export

KIOSK = "kiosk-usb"
STAFF_PIN = "246813"  # the PIN behind ``_staff_pin_hash`` (tests/functional/conftest.py)
SECONDS = 20  # generous on a loaded machine; a hang on a named pipe is for ever


class Hung(BaseException):
    """Raised by the alarm: a BaseException, so no ``except Exception`` in the code swallows it."""


@contextlib.contextmanager
def within(seconds: float = SECONDS):
    """Fail, rather than block the test run, when a step waits on something that never comes."""

    def hung(_signum, _frame):
        raise Hung(f"still running after {seconds} s: waiting on something on the stick")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(capsys, *args):
    with within():
        code = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return code, out + err


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def places(enrol, fill, tmp_path, monkeypatch):
    """A kiosk with one application on the stick, the town hall that has not yet seen it."""
    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, townhall_dir = enrol(KIOSK)
    stick = tmp_path / "stick"
    stick.mkdir()
    with open_runtime(kiosk_dir) as runtime:
        form = runtime.form("nachricht")
        answers = fill(form, {"topic": "lob", "message": "Danke!", "name": "", "wants_reply": False})
        reference = runtime.submit(form, answers).reference
        kiosk_export(stick, runtime.store, kiosk=load_kiosk_keys(kiosk_dir), townhall=load_pinned_townhall(kiosk_dir))
    transfer = stick / "rathaus-transfer"
    return kiosk_dir, townhall_dir, stick, transfer, reference


def items_at_townhall(townhall_dir):
    with open_storage(townhall_dir) as storage:
        return storage.counts().items


def waiting_at_kiosk(kiosk_dir):
    with open_runtime(kiosk_dir) as runtime:
        return runtime.waiting_count()


# -- at the town hall -------------------------------------------------------------------------------


def test_a_link_to_the_encryption_key_named_like_a_half_written_file_leaves_the_key_alone(places, capsys):
    _kiosk_dir, townhall_dir, stick, transfer, _reference = places
    key = townhall_dir / KEYS_DIR / TOWNHALL_ENCRYPTION_KEY
    before = digest(key)
    replies = transfer / "to-kiosk" / KIOSK
    replies.mkdir(parents=True, exist_ok=True)
    (replies / "download-001.answer.part").symlink_to(key)

    code, out = run(capsys, "usb", "import", stick, "--data-dir", townhall_dir)

    assert digest(key) == before
    assert code == 1 and "download-001.answer.part" in out and "link" in out and "refused" in out
    assert "1 new batch received" in out  # the sound batch beside it still came in
    answer = replies / "download-001.answer"
    assert answer.is_file() and not answer.is_symlink()


def test_export_at_the_town_hall_writes_no_answer_through_a_link_to_the_key(places, capsys):
    _kiosk_dir, townhall_dir, stick, transfer, reference = places
    assert run(capsys, "usb", "import", stick, "--data-dir", townhall_dir)[0] == 0
    with Inbox(townhall_dir) as inbox:
        inbox.set_status(reference, "accepted", "Erledigt.")
    key = townhall_dir / KEYS_DIR / TOWNHALL_ENCRYPTION_KEY
    before = digest(key)
    (transfer / "to-kiosk" / KIOSK / "status-001.bundle.part").symlink_to(key)

    code, out = run(capsys, "usb", "export", "--townhall", stick, "--data-dir", townhall_dir)

    assert digest(key) == before
    assert "status-001.bundle.part" in out and "link" in out and "refused" in out
    assert ("status file written" in out or "status files written" in out)
    assert not (transfer / "to-kiosk" / KIOSK / "status-001.bundle").is_symlink()


def test_a_named_pipe_called_like_a_batch_is_named_and_the_import_finishes(places, capsys):
    _kiosk_dir, townhall_dir, stick, transfer, _reference = places
    os.mkfifo(transfer / "to-townhall" / KIOSK / "00000009-pipe.batch")

    code, out = run(capsys, "usb", "import", stick, "--data-dir", townhall_dir)

    assert code == 1 and "00000009-pipe.batch" in out and "refused" in out
    assert "1 new batch received" in out and items_at_townhall(townhall_dir) == 1


def test_a_link_named_like_a_batch_is_never_read(places, capsys, tmp_path, caplog):
    _kiosk_dir, townhall_dir, stick, transfer, _reference = places
    outgoing = transfer / "to-townhall" / KIOSK
    batch = next(outgoing.glob("*.batch"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    genuine = elsewhere / batch.name
    batch.rename(genuine)
    (outgoing / batch.name).symlink_to(genuine)  # a genuine batch, but reached through a link
    huge = elsewhere / "huge"
    with open(huge, "wb") as fh:
        fh.truncate(64 * 1024**2)
    (outgoing / "00000010-huge.batch").symlink_to(huge)

    with caplog.at_level(logging.DEBUG):
        code, out = run(capsys, "usb", "import", stick, "--data-dir", townhall_dir)

    assert code == 1 and items_at_townhall(townhall_dir) == 0
    assert batch.name in out and "00000010-huge.batch" in out and out.count("refused") >= 2
    assert "too_large" not in out and "bytes" not in caplog.text  # nothing learnt about the target


def test_a_folder_named_like_a_batch_is_named_and_the_rest_still_comes_in(places, capsys):
    _kiosk_dir, townhall_dir, stick, transfer, _reference = places
    (transfer / "to-townhall" / KIOSK / "00000011-folder.batch").mkdir()

    code, out = run(capsys, "usb", "import", stick, "--data-dir", townhall_dir)

    assert code == 1 and "00000011-folder.batch" in out and "refused" in out
    assert items_at_townhall(townhall_dir) == 1


def test_a_kiosk_folder_that_is_a_link_is_refused(places, capsys, tmp_path):
    _kiosk_dir, townhall_dir, stick, transfer, _reference = places
    outgoing = transfer / "to-townhall" / KIOSK
    shutil.move(outgoing, tmp_path / "moved")
    outgoing.symlink_to(tmp_path / "moved")

    code, out = run(capsys, "usb", "import", stick, "--data-dir", townhall_dir)

    assert code == 1 and KIOSK in out and "link" in out and "refused" in out
    assert items_at_townhall(townhall_dir) == 0


def test_a_transfer_folder_that_is_a_link_is_refused_at_the_town_hall(places, capsys, tmp_path):
    _kiosk_dir, townhall_dir, stick, transfer, _reference = places
    shutil.move(transfer, tmp_path / "moved")
    transfer.symlink_to(tmp_path / "moved")

    for command in (["usb", "import"], ["usb", "export", "--townhall"]):
        code, out = run(capsys, *command, stick, "--data-dir", townhall_dir)
        assert code == 1 and "rathaus-transfer" in out and "link" in out

    assert items_at_townhall(townhall_dir) == 0
    assert not (tmp_path / "moved" / "to-kiosk").exists()  # nothing written where the link leads


# -- at the kiosk -----------------------------------------------------------------------------------


def test_a_link_to_the_kiosk_database_leaves_the_queue_alone(places, capsys, fill):
    kiosk_dir, _townhall_dir, stick, transfer, _reference = places
    with open_runtime(kiosk_dir) as runtime:  # a second application, so export writes a batch
        form = runtime.form("nachricht")
        runtime.submit(form, fill(form, {"topic": "lob", "message": "Gut.", "name": "", "wants_reply": False}))
    database = kiosk_dir / DB_NAME
    (transfer / "to-townhall" / KIOSK / "download.request.part").symlink_to(database)

    code, out = run(capsys, "usb", "export", stick, "--data-dir", kiosk_dir)

    assert "download.request.part" in out and "link" in out and "refused" in out
    assert "1 batch with 1 application written" in out
    assert database.read_bytes().startswith(b"SQLite format 3\x00") and not database.is_symlink()
    assert waiting_at_kiosk(kiosk_dir) == 2  # the kiosk still opens, its queue whole
    assert not (transfer / "to-townhall" / KIOSK / "download.request").is_symlink()


def test_named_pipes_among_the_replies_are_named_and_the_kiosk_import_finishes(places, capsys):
    kiosk_dir, townhall_dir, stick, transfer, _reference = places
    assert run(capsys, "usb", "import", stick, "--data-dir", townhall_dir)[0] == 0
    replies = transfer / "to-kiosk" / KIOSK
    os.mkfifo(replies / ("f" * 32 + ".ack"))
    os.mkfifo(replies / "status-009.bundle")

    code, out = run(capsys, "usb", "import", "--kiosk", stick, "--data-dir", kiosk_dir)

    assert code == 1 and "f" * 32 + ".ack" in out and "status-009.bundle" in out
    assert "1 acknowledgement applied" in out and waiting_at_kiosk(kiosk_dir) == 0


def test_a_genuine_acknowledgement_reached_through_a_link_is_not_applied(places, capsys, tmp_path):
    kiosk_dir, townhall_dir, stick, transfer, _reference = places
    assert run(capsys, "usb", "import", stick, "--data-dir", townhall_dir)[0] == 0
    replies = transfer / "to-kiosk" / KIOSK
    ack = next(replies.glob("*.ack"))
    genuine = tmp_path / ack.name
    ack.rename(genuine)
    ack.symlink_to(genuine)

    code, out = run(capsys, "usb", "import", "--kiosk", stick, "--data-dir", kiosk_dir)

    assert code == 1 and ack.name in out and "link" in out and "refused" in out
    assert waiting_at_kiosk(kiosk_dir) == 1 and genuine.is_file()


def test_a_transfer_folder_that_is_a_link_is_refused_at_the_kiosk(places, capsys, tmp_path, fill):
    kiosk_dir, _townhall_dir, stick, transfer, _reference = places
    with open_runtime(kiosk_dir) as runtime:
        form = runtime.form("nachricht")
        runtime.submit(form, fill(form, {"topic": "lob", "message": "Gut.", "name": "", "wants_reply": False}))
    shutil.move(transfer, tmp_path / "moved")
    transfer.symlink_to(tmp_path / "moved")
    batches_before = sorted(p.name for p in (tmp_path / "moved").rglob("*"))

    for command in (["usb", "export"], ["usb", "import", "--kiosk"]):
        code, out = run(capsys, *command, stick, "--data-dir", kiosk_dir)
        assert code == 1 and "rathaus-transfer" in out and "link" in out

    assert sorted(p.name for p in (tmp_path / "moved").rglob("*")) == batches_before
    assert waiting_at_kiosk(kiosk_dir) == 2


# -- at the kiosk, from the staff screen ------------------------------------------------------------


async def test_the_staff_screen_names_what_it_refused_and_the_queue_stays_whole(places, _staff_pin_hash, visitor_for):
    from textual.widgets import Input

    from kiosk.config import KioskConfig, save_config
    from kiosk.ui.app import KioskApp

    kiosk_dir, _townhall_dir, stick, transfer, _reference = places
    save_config(kiosk_dir, KioskConfig(staff_pin_hash=_staff_pin_hash))
    database = kiosk_dir / DB_NAME
    (transfer / "to-townhall" / KIOSK / "download.request.part").symlink_to(database)
    replies = transfer / "to-kiosk" / KIOSK
    replies.mkdir(parents=True)
    (replies / "status.bundle").symlink_to(database)  # (a pipe here is for the tests above: a
    # worker thread stuck on one, before the fix, would keep the test run from ending)
    with open_runtime(kiosk_dir) as runtime:
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=(100, 40)) as pilot:
            visitor = visitor_for(pilot)
            await visitor.press("f12")
            await visitor.type(STAFF_PIN)
            await visitor.press("enter")
            await visitor.pilot.pause()
            box = app.screen.query_one("#usb-dir", Input)
            await visitor.tab_to(lambda widget: widget is box)
            await visitor.press("home", "ctrl+k")
            await visitor.type(str(stick))
            with within():
                await visitor.press_button("Anträge auf USB-Stick schreiben")
                await visitor.settle()
            text = visitor.text
            assert "download.request.part: abgelehnt" in text and "Verweis" in text
            assert "status.bundle: abgelehnt" in text
        assert runtime.waiting_count() == 1
    assert database.read_bytes().startswith(b"SQLite format 3\x00")


# -- whatever a stick holds -------------------------------------------------------------------------

PLACES = {
    "to-townhall": [
        "00000005-f.batch", "status.request", "status.request.part", "00000005-f.batch.part",
        "download.request", "download.request.part",
    ],
    "to-kiosk": [
        "f" * 32 + ".ack", "status.bundle", "status-001.bundle", "status.bundle.part", "status-001.bundle.part",
        "download-001.answer", "download-001.answer.part",
    ],
}
SPOTS = [(side, name) for side, names in PLACES.items() for name in names]
KINDS = ["link to the key", "link to the queue", "link to a folder", "pipe", "folder", "junk"]


def _snapshot(folder):
    """Every entry under ``folder`` with what it is, and an ordinary file's bytes (no pipe is opened)."""
    return sorted(
        (str(p.relative_to(folder)), p.read_bytes() if stat.S_ISREG(p.lstat().st_mode) else p.lstat().st_mode)
        for p in folder.rglob("*")
    )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entries=st.lists(st.tuples(st.sampled_from(SPOTS), st.sampled_from(KINDS)), max_size=5, unique_by=lambda e: e[0]),
    linked_folder=st.sampled_from([None, "to-kiosk", f"to-kiosk/{KIOSK}", f"to-townhall/{KIOSK}"]),
    junk=st.binary(max_size=64),
)
def test_whatever_the_stick_holds_every_command_finishes_and_touches_nothing_outside_it(
    places, capsys, tmp_path_factory, entries, linked_folder, junk
):
    kiosk_dir, townhall_dir, pristine, _transfer, _reference = places
    key = townhall_dir / KEYS_DIR / TOWNHALL_ENCRYPTION_KEY
    key_digest = digest(key)
    here = tmp_path_factory.mktemp("example")
    stick = here / "stick"
    shutil.copytree(pristine, stick, symlinks=True)
    elsewhere = here / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "note").write_bytes(b"not the stick's")
    targets = {"link to the key": key, "link to the queue": kiosk_dir / DB_NAME, "link to a folder": elsewhere}
    for (side, name), kind in entries:
        folder = stick / "rathaus-transfer" / side / KIOSK
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if path.exists() or path.is_symlink():
            path.unlink()
        if kind in targets:
            path.symlink_to(targets[kind])
        elif kind == "pipe":
            os.mkfifo(path)
        elif kind == "folder":
            path.mkdir()
        else:
            path.write_bytes(junk)
    if linked_folder:
        real = stick / "rathaus-transfer" / linked_folder
        real.mkdir(parents=True, exist_ok=True)
        shutil.move(real, here / "moved")
        real.symlink_to(here / "moved")
    outside = {folder: _snapshot(folder) for folder in (elsewhere, here / "moved") if folder.exists()}

    for command in (
        ["usb", "import", stick, "--data-dir", townhall_dir],
        ["usb", "export", "--townhall", stick, "--data-dir", townhall_dir],
        ["usb", "import", "--kiosk", stick, "--data-dir", kiosk_dir],
        ["usb", "export", stick, "--data-dir", kiosk_dir],
    ):
        code, out = run(capsys, *command)
        assert code in (0, 1) and "Traceback" not in out and "unexpected" not in out, out

    assert digest(key) == key_digest
    assert (kiosk_dir / DB_NAME).read_bytes().startswith(b"SQLite format 3\x00")
    assert {folder: _snapshot(folder) for folder in outside} == outside
    waiting_at_kiosk(kiosk_dir)  # the kiosk still opens
