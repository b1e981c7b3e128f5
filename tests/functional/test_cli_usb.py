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
    assert code == 0 and "1 batch with 1 application written" in out

    code, out = run(capsys, "usb", "import", str(stick), "--data-dir", str(townhall_dir))
    assert code == 0 and "1 new batch received" in out and "1 status file written" in out

    with Inbox(townhall_dir) as inbox:
        inbox.set_status(reference, "accepted", "Vielen Dank, ist weitergeleitet.")
    # A stick that only goes out from the town hall carries the newest status of every application.
    code, out = run(capsys, "usb", "export", "--townhall", str(stick), "--data-dir", str(townhall_dir))
    assert code == 0 and ("status file written" in out or "status files written" in out)

    code, out = run(capsys, "usb", "import", "--kiosk", str(stick), "--data-dir", str(kiosk_dir))
    assert code == 0 and "1 acknowledgement applied" in out and ("status update applied" in out or "status updates applied" in out)
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


def test_a_kiosk_export_with_nothing_waiting_says_it_wrote_a_request_for_answers(setup, capsys, monkeypatch):
    townhall_dir, kiosk_dir, stick, _reference = setup
    run(capsys, "usb", "export", str(stick), "--data-dir", str(kiosk_dir))  # the one application goes,
    run(capsys, "usb", "import", str(stick), "--data-dir", str(townhall_dir))
    run(capsys, "usb", "import", "--kiosk", str(stick), "--data-dir", str(kiosk_dir))  # and is confirmed

    code, out = run(capsys, "usb", "export", str(stick), "--data-dir", str(kiosk_dir))
    assert code == 0 and "Nothing to transfer" not in out
    assert "No applications were waiting." in out and "1 request for answers written" in out
    assert (stick / "rathaus-transfer" / "to-townhall" / "kiosk-usb" / "download.request").is_file()

    monkeypatch.setenv("RATHAUS_LANG", "de")
    code, out = run(capsys, "usb", "export", str(stick), "--data-dir", str(kiosk_dir))
    assert code == 0 and "Nichts zu übertragen" not in out
    assert "Es warteten keine Anträge." in out and "1 Anfrage nach Antworten geschrieben" in out


@pytest.fixture
def two_kiosks(setup, tmp_path, fill, capsys):
    """The town hall of ``setup`` with a second kiosk; both have an answered application."""
    from sync.allowlist import Allowlist
    from sync.keys import enrolment_request_path, init_kiosk, townhall_public_keys_path

    townhall_dir, kiosk_dir, stick, first = setup
    second_dir = tmp_path / "kiosk-zwei"
    init_kiosk(second_dir, kiosk_id="kiosk-zwei", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(second_dir, "kiosk-zwei"))
    with open_runtime(second_dir) as runtime:
        form = runtime.form("nachricht")
        answers = fill(form, {"topic": "lob", "message": "Gut.", "name": "", "wants_reply": False})
        second = runtime.submit(form, answers).reference
    for folder in (kiosk_dir, second_dir):
        assert run(capsys, "usb", "export", str(stick), "--data-dir", str(folder))[0] == 0
    assert run(capsys, "usb", "import", str(stick), "--data-dir", str(townhall_dir))[0] == 0
    with Inbox(townhall_dir) as inbox:
        inbox.set_status(first, "accepted", "Erledigt.")
        inbox.set_status(second, "accepted", "Erledigt.")
    outgoing = tmp_path / "outgoing"  # a fresh stick for the way out
    outgoing.mkdir()
    return townhall_dir, outgoing


def _kiosks_on(stick):
    replies = stick / "rathaus-transfer" / "to-kiosk"
    return sorted(p.name for p in replies.iterdir() if any(p.glob("status-*.bundle"))) if replies.is_dir() else []


def test_with_several_kiosks_the_town_hall_asks_which_one_the_stick_goes_to(two_kiosks, capsys):
    townhall_dir, outgoing = two_kiosks
    code, out = run(capsys, "usb", "export", "--townhall", str(outgoing), "--data-dir", str(townhall_dir))
    assert code == 1 and "--kiosk-id" in out and "--all-kiosks" in out
    assert "kiosk-usb" in out and "kiosk-zwei" in out
    assert _kiosks_on(outgoing) == []


def test_a_named_kiosk_gets_only_its_own_answers_on_the_stick(two_kiosks, capsys):
    townhall_dir, outgoing = two_kiosks
    code, out = run(capsys, "usb", "export", "--townhall", str(outgoing), "--kiosk-id", "kiosk-zwei",
                    "--data-dir", str(townhall_dir))
    assert code == 0 and "Answers on the stick for: kiosk-zwei" in out and "kiosk-usb" not in out
    assert _kiosks_on(outgoing) == ["kiosk-zwei"]


def test_all_kiosks_on_one_stick_only_when_asked_for_and_unknown_kiosks_are_refused(two_kiosks, capsys):
    townhall_dir, outgoing = two_kiosks
    code, out = run(capsys, "usb", "export", "--townhall", str(outgoing), "--kiosk-id", "kiosk-drei",
                    "--data-dir", str(townhall_dir))
    assert code == 1 and "kiosk-drei: not an enrolled kiosk" in out and _kiosks_on(outgoing) == []

    code, out = run(capsys, "usb", "export", "--townhall", str(outgoing), "--all-kiosks",
                    "--data-dir", str(townhall_dir))
    assert code == 0 and "Answers on the stick for: kiosk-usb, kiosk-zwei" in out
    assert _kiosks_on(outgoing) == ["kiosk-usb", "kiosk-zwei"]


def test_counts_read_as_german_sentences_without_slashes_or_brackets(setup, capsys, monkeypatch, fill):
    """"1 Paket mit 2 Anträgen", not "Paket(e) mit 2 Antrag/Anträgen"."""
    townhall_dir, kiosk_dir, stick, _reference = setup
    monkeypatch.setenv("RATHAUS_LANG", "de")
    with open_runtime(kiosk_dir) as runtime:
        form = runtime.form("nachricht")
        runtime.submit(form, fill(form, {"topic": "lob", "message": "Noch einmal danke!", "name": "", "wants_reply": False}))
    code, out = run(capsys, "usb", "export", str(stick), "--data-dir", str(kiosk_dir))
    assert code == 0 and "1 Paket mit 2 Anträgen geschrieben" in out
    code, out = run(capsys, "usb", "import", str(stick), "--data-dir", str(townhall_dir))
    assert code == 0 and "1 neues Paket empfangen" in out
    for text in (out,):
        assert "/" not in text.replace(str(stick), "").replace(str(townhall_dir), "") and "(e" not in text
