"""Receipts on the printers kiosks really have: 80 mm ESC/POS receipt printers (a loopback network
printer and a device file here), A4 through CUPS (a fake ``lp`` on PATH), and none.

The printed bytes are read back as the printer would read them (``tests/printer_emulator.py``):
the code in large letters, the QR code's stored data and settings, and no personal data.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kiosk.errors import PrinterError, RathausError
from kiosk.forms import load_forms
from kiosk.printing import (
    PrinterKind,
    PrinterTimeouts,
    escpos_receipt,
    parse_printer,
    print_receipt_on,
    query_status,
)
from kiosk.printing.thermal import status_from_bytes
from kiosk.receipt import build_receipt
from tests.printer_emulator import LoopbackReceiptPrinter, read_escpos

QUICK = PrinterTimeouts(connect=1.0, status=0.5, job=3.0)


@pytest.fixture(scope="module")
def business_form():
    return next(form for form in load_forms(None) if form.id == "gewerbeanmeldung")


def receipt_for(form, lang="de", status_url="https://rathaus.example/status/"):
    return build_receipt(
        form,
        reference="7KQM2X9TJ",
        captured_at="2026-12-05T10:00:00",
        municipality="Einheitsgemeinde Tangerhütte",
        lang=lang,
        status_url=status_url,
    )


def assert_a_whole_receipt(printed: bytes, receipt) -> None:
    read = read_escpos(printed)
    code_lines = [line for line in read.lines if line.text == "7KQ-M2X-9TJ"]
    assert code_lines, read.text
    assert (code_lines[0].width, code_lines[0].height) == (3, 3)  # large enough to read across a room
    assert read.qr.data.decode() == "https://rathaus.example/status/7KQM2X9TJ" == receipt.qr_data
    assert read.qr.model == 2 and read.qr.module_dots == 8 and read.qr.error_correction == "M"
    assert read.qr.printed
    assert receipt.service in read.text and "Tangerhütte" in read.text
    assert read.cut
    assert max(len(line.text) * line.width for line in read.lines) <= 42  # fits 80 mm paper


# --- the setting ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "setting, kind, address, port",
    [
        ("", PrinterKind.NONE, "", 0),
        ("Foyer", PrinterKind.CUPS, "Foyer", 0),
        ("cups:Foyer_2", PrinterKind.CUPS, "Foyer_2", 0),
        ("escpos-net:192.168.1.50", PrinterKind.ESCPOS_NETWORK, "192.168.1.50", 9100),
        ("escpos-net:bondrucker.local:9101", PrinterKind.ESCPOS_NETWORK, "bondrucker.local", 9101),
        ("escpos-net:[fe80::1]:9100", PrinterKind.ESCPOS_NETWORK, "fe80::1", 9100),
        ("escpos-usb:04B8:0e28", PrinterKind.ESCPOS_USB, "04b8:0e28", 0),
        ("escpos-file:/dev/usb/lp0", PrinterKind.ESCPOS_FILE, "/dev/usb/lp0", 0),
    ],
)
def test_printer_settings_name_the_printer(setting, kind, address, port):
    target = parse_printer(setting)
    assert (target.kind, target.address, target.port) == (kind, address, port)


@pytest.mark.parametrize(
    "setting",
    ["Foyer Drucker", "escpos-net:", "escpos-net:host:99999", "escpos-net:bad_host!", "escpos-usb:4b8:e28",
     "escpos-file:dev/usb/lp0", "zebra:printer", "x" * 300, "Foyer\n"],
)
def test_a_printer_setting_that_cannot_work_is_refused_with_the_forms_that_can(setting):
    with pytest.raises(RathausError) as caught:
        parse_printer(setting, "en")
    assert "escpos-net:HOST[:PORT]" in caught.value.message


# --- an ESC/POS receipt printer -----------------------------------------------------------------

def test_receipt_on_a_network_receipt_printer_has_the_code_large_and_a_real_qr_code(business_form, tmp_path):
    receipt = receipt_for(business_form)
    with LoopbackReceiptPrinter() as printer:
        outcome = print_receipt_on(receipt, printer.setting, tmp_path / "receipts", timeouts=QUICK)
    assert outcome.on_paper and not outcome.paper_low
    assert outcome.saved == tmp_path / "receipts" / "7KQM2X9TJ.pdf"  # kept for staff to print again
    assert printer.questions == [b"\x10\x04\x01", b"\x10\x04\x04"]  # asked before printing
    assert_a_whole_receipt(printer.printed, receipt)


def test_receipt_through_a_device_file(business_form, tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    receipt = receipt_for(business_form, lang="en")
    outcome = print_receipt_on(receipt, f"escpos-file:{device}", tmp_path, timeouts=QUICK)
    assert outcome.on_paper
    printed = device.read_bytes()
    read = read_escpos(printed)
    assert "Receipt for your application" in read.text and "Your receipt code:" in read.text
    assert_a_whole_receipt(printed, receipt)


def test_a_receipt_without_status_address_holds_just_the_code(business_form, tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    print_receipt_on(receipt_for(business_form, status_url=""), f"escpos-file:{device}", tmp_path)
    assert read_escpos(device.read_bytes()).qr.data == b"7KQM2X9TJ"


def test_a_printer_out_of_paper_prints_nothing_and_says_to_copy_the_code(business_form, tmp_path):
    with LoopbackReceiptPrinter(paper=False) as printer:
        with pytest.raises(PrinterError) as caught:
            print_receipt_on(receipt_for(business_form), printer.setting, tmp_path, timeouts=QUICK)
    assert caught.value.problem == "paper_out"
    assert caught.value.message == (
        "Im Drucker ist kein Papier mehr. Bitte schreiben Sie sich Ihren Code ab: 7KQ-M2X-9TJ"
    )
    assert printer.printed == b""  # not half a receipt
    assert (tmp_path / "7KQM2X9TJ.pdf").exists()


def test_an_unplugged_usb_printer_is_not_replaced_by_a_file_of_its_name(business_form, tmp_path):
    device = tmp_path / "usb" / "lp0"
    device.parent.mkdir()
    with pytest.raises(PrinterError) as caught:
        print_receipt_on(receipt_for(business_form, lang="en"), f"escpos-file:{device}", tmp_path, timeouts=QUICK)
    assert caught.value.problem == "offline"
    assert "7KQ-M2X-9TJ" in caught.value.message
    assert not device.exists()


def test_a_printer_that_is_off_is_reported_at_once(business_form, tmp_path):
    with LoopbackReceiptPrinter() as printer:
        port = printer.port
    started = time.monotonic()
    with pytest.raises(PrinterError) as caught:
        print_receipt_on(receipt_for(business_form, lang="en"), f"escpos-net:127.0.0.1:{port}", tmp_path, timeouts=QUICK)
    assert time.monotonic() - started < 3
    assert caught.value.problem == "offline"
    assert caught.value.message == (
        "The printer is switched off or not connected. Please copy your code by hand: 7KQ-M2X-9TJ"
    )


def test_a_printer_that_keeps_quiet_still_gets_the_receipt(business_form, tmp_path):
    """Some printers have their status answers switched off: the receipt is printed all the same."""
    receipt = receipt_for(business_form)
    with LoopbackReceiptPrinter(answers_status=False) as printer:
        outcome = print_receipt_on(receipt, printer.setting, tmp_path, timeouts=QUICK)
    assert outcome.on_paper
    assert_a_whole_receipt(printer.printed, receipt)


def test_a_device_that_never_takes_the_receipt_ends_within_the_time_limit(business_form, tmp_path):
    fifo = tmp_path / "stuck-printer"
    os.mkfifo(fifo)  # opening it for writing blocks until a reader comes: none ever does
    started = time.monotonic()
    with pytest.raises(PrinterError) as caught:
        print_receipt_on(
            receipt_for(business_form, lang="en"), f"escpos-file:{fifo}", tmp_path,
            timeouts=PrinterTimeouts(connect=0.5, status=0.5, job=1.0),
        )
    assert time.monotonic() - started < 2.5
    assert caught.value.problem == "not_answering"
    assert "7KQ-M2X-9TJ" in caught.value.message
    os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # let the abandoned thread finish


def test_status_answers_are_read_by_their_bits():
    assert status_from_bytes(b"\x12", b"\x12").paper_out is False
    assert status_from_bytes(b"\x12", b"\x7e").paper_out is True
    assert status_from_bytes(b"\x12", b"\x1e").paper_low is True
    assert status_from_bytes(b"\x1a", b"\x12").online is False
    assert not status_from_bytes(b"", b"\xff").answered  # not status bytes: no answer


def test_the_set_up_check_can_ask_a_printer_how_it_is():
    with LoopbackReceiptPrinter(paper=False) as printer:
        status = query_status(parse_printer(printer.setting), QUICK)
    assert status.paper_out and status.online is False
    assert printer.printed == b""


def test_usb_without_pyusb_says_what_to_install(business_form, tmp_path):
    pytest.importorskip("escpos")
    try:
        import usb  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pyusb is installed here; the message is for kiosks without it")
    with pytest.raises(PrinterError) as caught:
        print_receipt_on(receipt_for(business_form, lang="en"), "escpos-usb:04b8:0e28", tmp_path, timeouts=QUICK)
    assert caught.value.problem == "no_driver"
    assert "python3-usb" in caught.value.message and "7KQ-M2X-9TJ" in caught.value.message


# --- A4 through CUPS ----------------------------------------------------------------------------

def fake_lp(tmp_path: Path, monkeypatch, *, exit_code: int = 0) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    received = tmp_path / "lp-received"
    script = bin_dir / "lp"
    script.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {received}\nfor last; do :; done\ncp "$last" {received}.pdf\nexit {exit_code}\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return received


def test_a4_receipt_goes_to_the_cups_queue_through_lp(business_form, tmp_path, monkeypatch):
    received = fake_lp(tmp_path, monkeypatch)
    outcome = print_receipt_on(receipt_for(business_form), "cups:Foyer", tmp_path / "receipts")
    assert outcome.on_paper
    assert received.read_text().splitlines() == ["-d", "Foyer", str(outcome.saved)]
    assert Path(f"{received}.pdf").read_bytes() == outcome.saved.read_bytes()
    assert outcome.saved.read_bytes().startswith(b"%PDF")


def test_without_lp_the_message_is_plain_and_the_pdf_is_kept(business_form, tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(PrinterError) as caught:
        print_receipt_on(receipt_for(business_form, lang="en"), "Foyer", tmp_path)
    assert caught.value.problem == "no_lp"
    assert caught.value.message == "The printer is not available. Please write down your code: 7KQ-M2X-9TJ"
    assert "cups-client" in caught.value.detail
    assert (tmp_path / "7KQM2X9TJ.pdf").exists()


def test_a_queue_cups_refuses_is_reported(business_form, tmp_path, monkeypatch):
    fake_lp(tmp_path, monkeypatch, exit_code=1)
    with pytest.raises(PrinterError) as caught:
        print_receipt_on(receipt_for(business_form), "Foyer", tmp_path)
    assert caught.value.problem == "refused"


def test_no_printer_keeps_the_pdf_only(business_form, tmp_path):
    outcome = print_receipt_on(receipt_for(business_form), "", tmp_path)
    assert not outcome.on_paper and outcome.saved.exists()


# --- a booking and a helper on the receipt printer ------------------------------------------------

def test_a_booking_receipt_on_a_receipt_printer_shows_the_appointment_the_helper_and_how_to_cancel(tmp_path):
    form = next(form for form in load_forms(None) if form.id == "impftermin")
    receipt = build_receipt(
        form,
        reference="7KQM2X9TJ",
        captured_at="2026-12-05T10:00:00",
        municipality="Einheitsgemeinde Tangerhütte",
        lang="en",
        helped_by="Filled in with help from Anna M. (volunteer V0007)",
        appointment=("Confirmed", "Thursday, 10 December 2026, 09:00 to 09:15", "Town hall, room 4"),
        how_to_cancel="To cancel, type your code and your date of birth at the kiosk.",
    )
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    print_receipt_on(receipt, f"escpos-file:{device}", tmp_path, timeouts=QUICK)
    text = " ".join(read_escpos(device.read_bytes()).text.split())  # as read, across wrapped lines
    assert "Your appointment" in text and "09:00 to 09:15" in text and "room 4" in text
    assert "Cancel or change" in text and "date of birth at the kiosk" in text
    assert "Anna M." in text


def test_the_vaccination_record_goes_to_a_receipt_printer_as_text_and_to_no_file(tmp_path):
    from kiosk.appointments.record_print import print_record

    record = {"vaccine": "Comirnaty", "lot": "FK1234", "given_on": "2026-12-10", "place": "Rathaus", "given_by": "Dr. Weber"}
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    printed = print_record(
        record, reference="7KQM2X9TJ", municipality="Tangerhütte", printer=f"escpos-file:{device}", lang="en"
    )
    assert printed
    read = read_escpos(device.read_bytes())
    assert "Vaccination record" in read.text and "7KQ-M2X-9TJ" in read.text
    assert "FK1234" in read.text and "Dr. Weber" in read.text and read.cut
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lp0"]  # nothing of it kept on the kiosk's disk
    assert not print_record(record, reference="7KQM2X9TJ", municipality="Tangerhütte", printer="", lang="en")


def test_who_helped_is_printed_but_not_kept_in_the_receipt_file_on_the_kiosk(business_form, tmp_path, monkeypatch):
    """The helper's name (a relative's, typed in) is personal data: on paper, not on the disk."""
    import dataclasses
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("needs Debian package poppler-utils")
    received = fake_lp(tmp_path, monkeypatch)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    receipt = dataclasses.replace(receipt_for(business_form, lang="en"), helped_by="Filled in with help from Tom Schulze.")
    outcome = print_receipt_on(receipt, "cups:Foyer", tmp_path / "receipts")

    def text(path: Path) -> str:
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout

    assert "Tom Schulze" in text(Path(f"{received}.pdf"))  # on paper
    assert "Tom Schulze" not in text(outcome.saved)  # the copy staff can print again
    assert receipt.display_reference.replace("–", "-").split("-")[0] in text(outcome.saved).replace(" ", "")
    assert sorted(p.name for p in (tmp_path / "receipts").iterdir()) == [outcome.saved.name]


# --- the pause slip, on the kiosk's printer as configured ------------------------------------------

def _slip():
    from kiosk.pause import PauseSlip

    return PauseSlip("7KQM2X9TJ4HW", "nachricht", "2026-12-20T10:00:00Z")


def test_a_pause_slip_goes_to_the_cups_queue_named_in_the_printer_setting(tmp_path, monkeypatch):
    from kiosk.pause_slip import pause_slip_pdf, print_pause_slip

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    received = tmp_path / "lp-received"
    (bin_dir / "lp").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {received}\ncat > {received}.pdf\n')
    (bin_dir / "lp").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    pdf = pause_slip_pdf(_slip(), municipality="Tangerhütte", lang="en")
    assert print_pause_slip(pdf, printer="cups:Foyer", display_code="7KQ-M2X-9TJ-4HW", lang="en", slip=_slip(), municipality="Tangerhütte")
    assert received.read_text().splitlines() == ["-d", "Foyer"]  # the queue, not the setting
    assert Path(f"{received}.pdf").read_bytes() == pdf
    assert not list(tmp_path.glob("*.pdf")) or [p.name for p in tmp_path.glob("*.pdf")] == ["lp-received.pdf"]


def test_a_pause_slip_on_a_thermal_receipt_printer_has_the_code_and_its_qr_code(tmp_path):
    from kiosk.pause_slip import pause_slip_pdf, print_pause_slip

    device = tmp_path / "lp0"
    device.write_bytes(b"")
    pdf = pause_slip_pdf(_slip(), municipality="Tangerhütte", lang="en")
    assert print_pause_slip(pdf, printer=f"escpos-file:{device}", display_code="7KQ-M2X-9TJ-4HW", lang="en", slip=_slip(), municipality="Tangerhütte")
    read = read_escpos(device.read_bytes())
    assert "7KQ-M2X-9TJ-4HW" in read.text and "Only this code opens them." in read.text
    assert read.qr.printed and read.qr.data == b"7KQM2X9TJ4HW"


def test_a_thermal_receipt_says_who_helped_and_then_promises_no_absence_of_personal_details(business_form, tmp_path):
    import dataclasses

    device = tmp_path / "lp0"
    device.write_bytes(b"")
    receipt = dataclasses.replace(
        receipt_for(business_form, lang="en"), helped_by="Filed by Karl S. on behalf of Maria S. (power of attorney P0003)."
    )
    print_receipt_on(receipt, f"escpos-file:{device}", tmp_path, timeouts=QUICK)
    text = " ".join(read_escpos(device.read_bytes()).text.split())
    assert "Help: Filed by Karl S. on behalf of Maria S." in text
    assert "none of your personal details" not in text and "Keep this receipt." in text
    plain = tmp_path / "lp1"
    plain.write_bytes(b"")
    print_receipt_on(receipt_for(business_form, lang="en"), f"escpos-file:{plain}", tmp_path / "other", timeouts=QUICK)
    assert "none of your personal details" in " ".join(read_escpos(plain.read_bytes()).text.split())
