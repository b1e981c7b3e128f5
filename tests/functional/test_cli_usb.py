"""``rathaus usb`` as staff use it: one stick, kiosk → town hall → kiosk, plain output."""

from __future__ import annotations

import pytest

from kiosk.cli import main
from kiosk.runtime import open_runtime
from sync.inbox import Inbox


@pytest.fixture
def setup(tmp_path, monkeypatch, enrol, fill):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, townhall_dir = enrol("kiosk-usb")
    stick = tmp_path / "stick"
    stick.mkdir()
    with open_runtime(kiosk_dir) as runtime:
        form = runtime.form("nachricht")
        answers = fill(form, {"topic": "lob", "message": "Danke!", "name": "", "wants_reply": False})
        reference = runtime.submit(form, answers).reference
    return townhall_dir, kiosk_dir, stick, reference


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out + err


def test_stick_round_trip_through_the_commands(setup, capsys):
    townhall_dir, kiosk_dir, stick, reference = setup
    code, out = run(capsys, "usb", "export", str(stick), "--data-dir", str(kiosk_dir))
    assert code == 0 and "1 batch(es) with 1 application(s) written" in out

    code, out = run(capsys, "usb", "import", str(stick), "--data-dir", str(townhall_dir))
    assert code == 0 and "1 new batch(es) received" in out and "1 status file(s) written" in out

    with Inbox(townhall_dir) as inbox:
        inbox.set_status(reference, "accepted", "Vielen Dank, ist weitergeleitet.")
    # A stick that only goes out from the town hall carries the newest status of every application.
    code, out = run(capsys, "usb", "export", "--townhall", str(stick), "--data-dir", str(townhall_dir))
    assert code == 0 and "status file(s) written" in out

    code, out = run(capsys, "usb", "import", "--kiosk", str(stick), "--data-dir", str(kiosk_dir))
    assert code == 0 and "1 acknowledgement(s) applied" in out and "status update(s) applied" in out
    with open_runtime(kiosk_dir) as runtime:
        view = runtime.lookup(reference, "en")
        assert view.status == "accepted" and view.message == "Vielen Dank, ist weitergeleitet."
        assert runtime.waiting_count() == 0


def test_a_missing_stick_is_one_plain_line(setup, capsys, tmp_path):
    _townhall_dir, kiosk_dir, _stick, _reference = setup
    code, out = run(capsys, "usb", "export", str(tmp_path / "nowhere"), "--data-dir", str(kiosk_dir))
    assert code == 1
    assert "Is the USB stick plugged in" in out and "Traceback" not in out
    assert len(out.strip().splitlines()) == 1


def test_a_tampered_batch_on_the_stick_is_named_and_nothing_is_stored(setup, capsys):
    townhall_dir, kiosk_dir, stick, _reference = setup
    run(capsys, "usb", "export", str(stick), "--data-dir", str(kiosk_dir))
    batch = next(stick.rglob("*.batch"))
    data = bytearray(batch.read_bytes())
    data[-10] ^= 0xFF
    batch.write_bytes(bytes(data))
    code, out = run(capsys, "usb", "import", str(stick), "--data-dir", str(townhall_dir))
    assert code == 1 and batch.name in out and "rejected" in out
    with Inbox(townhall_dir) as inbox:
        assert inbox.list(state="all") == []


def test_a_stick_that_cannot_be_written_is_one_plain_line_and_loses_nothing(setup, capsys, tmp_path):
    import os

    _townhall_dir, kiosk_dir, stick, _reference = setup
    if os.geteuid() == 0:
        # root ignores file modes: stand in for a read-only stick with a file where a folder must go
        (stick / "rathaus-transfer").write_text("not a folder")
    else:
        stick.chmod(0o500)
    code, out = run(capsys, "usb", "export", str(stick), "--data-dir", str(kiosk_dir))
    assert code == 1 and "cannot be read or written" in out and "Nothing is lost" in out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1
    with open_runtime(kiosk_dir) as runtime:
        assert runtime.waiting_count() == 1
