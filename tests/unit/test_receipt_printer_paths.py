"""A receipt printer named by a file path can only ever be a device: a mistyped setting that names
the kiosk's own database, a key or a folder is refused by ``configure`` and ``kiosk --check``, and
printing never empties or creates a file (python-escpos itself opens with "wb")."""

from __future__ import annotations

import os
import sqlite3

import pytest

from kiosk.cli import main
from kiosk.config import load_config
from kiosk.errors import PrinterError
from kiosk.forms import load_forms
from kiosk.printing import PrinterTimeouts, print_receipt_on
from kiosk.receipt import build_receipt

QUICK = PrinterTimeouts(connect=1.0, status=0.5, job=3.0)


def a_receipt():
    form = next(f for f in load_forms() if f.id == "gewerbeanmeldung")
    return build_receipt(form, reference="7KQM2X9TJ", captured_at="2026-12-05T10:00:00",
                         municipality="Einheitsgemeinde Tangerhütte", lang="en",
                         status_url="https://rathaus.example/status/")


def a_database(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE outbox (sealed BLOB)")
        conn.execute("INSERT INTO outbox VALUES (x'0102')")
    conn.close()
    return path.read_bytes()


def test_printing_to_a_file_with_data_leaves_it_whole_and_asks_to_copy_the_code(tmp_path):
    database = tmp_path / "kiosk.db"
    before = a_database(database)
    with pytest.raises(PrinterError) as caught:
        print_receipt_on(a_receipt(), f"escpos-file:{database}", tmp_path / "receipts", timeouts=QUICK)
    assert database.read_bytes() == before  # not emptied, nothing written into it
    assert "7KQ-M2X-9TJ" in caught.value.message


def test_printing_to_a_folder_is_refused(tmp_path):
    with pytest.raises(PrinterError):
        print_receipt_on(a_receipt(), f"escpos-file:{tmp_path}", tmp_path / "receipts", timeouts=QUICK)


@pytest.mark.parametrize("name", ["kiosk.toml", "keys", "lp0-through-dotdot"])
def test_configure_refuses_a_file_or_folder_that_is_no_printer(enrol, capsys, monkeypatch, name):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, _townhall_dir = enrol("kiosk-printer-path")
    assert main(["configure", "--data-dir", str(kiosk_dir), "--location", "Bibliothek"]) == 0
    before = (kiosk_dir / "kiosk.toml").read_bytes()
    target = kiosk_dir / name
    if name == "lp0-through-dotdot":  # a path trick: looks like the USB device, is the settings
        target = f"/dev/..{kiosk_dir}/kiosk.toml"
    code = main(["configure", "--data-dir", str(kiosk_dir), "--printer", f"escpos-file:{target}"])
    assert code == 1
    assert (kiosk_dir / "kiosk.toml").read_bytes() == before
    err = capsys.readouterr().err
    assert "not a printer's device file" in err and "Nothing was changed." in err


def test_configure_takes_a_device_not_plugged_in_yet_and_an_empty_stand_in(enrol, monkeypatch, tmp_path):
    kiosk_dir, _townhall_dir = enrol("kiosk-printer-path")
    stand_in = tmp_path / "printer.bin"
    stand_in.write_bytes(b"")
    for setting in ("escpos-file:/dev/usb/lp9", f"escpos-file:{stand_in}", "escpos-file:/dev/null"):
        assert main(["configure", "--data-dir", str(kiosk_dir), "--printer", setting]) == 0
        assert load_config(kiosk_dir).printer == setting


def test_the_check_names_a_setting_that_points_at_the_kiosks_own_files(enrol, capsys, monkeypatch):
    from dataclasses import replace

    from kiosk.config import save_config

    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, _townhall_dir = enrol("kiosk-printer-path")
    config = load_config(kiosk_dir)
    save_config(kiosk_dir, replace(config, printer=f"escpos-file:{kiosk_dir / 'kiosk.toml'}"))
    before = (kiosk_dir / "kiosk.toml").read_bytes()
    main(["kiosk", "--check", "--data-dir", str(kiosk_dir)])
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "Printer" in line)
    assert "TO DO" in line and "not a printer's device file" in line and "rathaus configure --printer" in line
    assert (kiosk_dir / "kiosk.toml").read_bytes() == before
    assert os.stat(kiosk_dir / "kiosk.toml").st_size > 0


@pytest.mark.parametrize("setting", ["cups:-oraw", "-d", "--help"])
def test_a_queue_name_that_lp_would_read_as_an_option_is_refused(setting):
    from kiosk.errors import RathausError
    from kiosk.printing import parse_printer

    with pytest.raises(RathausError):
        parse_printer(setting, "en")


def test_control_characters_in_receipt_texts_never_reach_the_printer_as_commands(tmp_path):
    from kiosk.printing import escpos_receipt

    form = next(f for f in load_forms() if f.id == "nachricht")
    receipt = build_receipt(
        form, reference="7KQM2X9TJ", captured_at="2026-12-05T10:00:00", lang="de",
        municipality="Gemeinde\x1bp\x00\x19\xfa Tangerhütte\x1b@",
    )
    printed = escpos_receipt(receipt)
    start = printed.index(b"Gemeinde")
    line = printed[start:printed.index(b"\n", start)]
    assert all(byte >= 0x20 for byte in line), line  # ESC p (the cash drawer) is text now
    assert b"\x1bp" not in printed
    assert printed.count(b"\x1d\x56") == 1  # one cut, at the end
