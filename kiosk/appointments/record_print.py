"""The vaccination record on paper, printed straight from memory: the opened record is never
written to the kiosk's disk. On the printer the kiosk has (``kiosk.printing.target``): an A4
printer gets a PDF through ``lp``'s standard input, an 80 mm receipt printer the same lines as
ESC/POS text; without a printer it is only shown on the screen."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from typing import Any

from kiosk import refcode
from kiosk.errors import RathausError
from kiosk.i18n import format_date, translator
from kiosk.receipt import _pdf_text

_PRINT_TIMEOUT_SECONDS = 30


def record_lines(record: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, value) rows in the citizen's language."""
    _ = translator(lang)
    try:
        given_on = format_date(dt.date.fromisoformat(record["given_on"]), lang)
    except (KeyError, ValueError):
        given_on = str(record.get("given_on", ""))
    return [
        (_("Vaccine"), str(record.get("vaccine", ""))),
        (_("Lot number"), str(record.get("lot", ""))),
        (_("Date"), given_on),
        (_("Place of vaccination"), str(record.get("place", ""))),
        (_("Given by"), str(record.get("given_by", ""))),
    ]


def record_pdf(record: dict[str, Any], *, reference: str, municipality: str, lang: str) -> bytes:
    from fpdf import FPDF  # only when a record is printed, never at the kiosk's start
    from fpdf.enums import XPos, YPos

    _ = translator(lang)
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.multi_cell(pdf.epw, 7, _pdf_text(municipality), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "B", 20)
    pdf.multi_cell(pdf.epw, 10, _pdf_text(_("Vaccination record")), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for label, value in [(_("Receipt code"), refcode.display(reference)), *record_lines(record, lang)]:
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(50, 9, _pdf_text(label + ":"))
        pdf.set_font("Helvetica", size=14)
        pdf.multi_cell(pdf.epw - 50, 9, _pdf_text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(
        pdf.epw, 6,
        _pdf_text(_("Please show this record with your vaccination booklet; the town hall can confirm it with the code.")),
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )
    return bytes(pdf.output())


def record_escpos(record: dict[str, Any], *, reference: str, municipality: str, lang: str) -> bytes:
    """The record as ESC/POS commands for an 80 mm receipt printer (the receipt's layout)."""
    from escpos.printer import Dummy

    from kiosk.printing.escpos_receipt import _heading, _labelled, _paragraph

    _ = translator(lang)
    printer = Dummy()
    printer.hw("INIT")
    printer.set(align="center", normal_textsize=True, bold=False)
    _paragraph(printer, municipality)
    printer.set(bold=True, double_height=True)
    _paragraph(printer, _("Vaccination record"))
    printer.set(normal_textsize=True, bold=False, align="left")
    printer.ln()
    for label, value in [(_("Receipt code"), refcode.display(reference)), *record_lines(record, lang)]:
        _labelled(printer, label, value)
    printer.ln()
    _paragraph(printer, _("Please show this record with your vaccination booklet; the town hall can confirm it with the code."))
    printer.cut(feed=True)
    return bytes(printer.output)


def print_record(record: dict[str, Any], *, reference: str, municipality: str, printer: str, lang: str) -> bool:
    """Print the opened record on this kiosk's printer, from memory; ``False`` when the kiosk has
    no printer (the record is then only shown on the screen). Problems are a ``RathausError``."""
    from kiosk.printing.target import PrinterKind, parse_printer
    from kiosk.printing.thermal import send_to_thermal_printer

    target = parse_printer(printer, lang)
    if not target.configured:
        return False
    if target.kind is PrinterKind.CUPS:
        pdf = record_pdf(record, reference=reference, municipality=municipality, lang=lang)
        return print_from_memory(pdf, printer=target.address, lang=lang)
    send_to_thermal_printer(
        target,
        record_escpos(record, reference=reference, municipality=municipality, lang=lang),
        reference_display=refcode.display(reference),
        lang=lang,
    )
    return True


def print_from_memory(pdf: bytes, *, printer: str, lang: str) -> bool:
    """Send ``pdf`` to the CUPS queue ``printer`` through ``lp``'s standard input; ``False``
    without a queue."""
    _ = translator(lang)
    if not printer:
        return False
    lp = shutil.which("lp")
    if lp is None:
        raise RathausError(_("The printer is not available."), detail="printer configured but 'lp' is missing")
    try:
        result = subprocess.run(
            [lp, "-d", printer], input=pdf, capture_output=True, timeout=_PRINT_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RathausError(_("The printer did not respond."), detail=f"lp failed: {exc!r}") from exc
    if result.returncode != 0:
        raise RathausError(_("The printer did not respond."), detail=f"lp exit {result.returncode}")
    return True
