"""The vaccination record on paper, printed straight from memory: the opened record is never
written to the kiosk's disk (``lp`` reads the PDF from its standard input)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

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
        (_("Place"), str(record.get("place", ""))),
        (_("Given by"), str(record.get("given_by", ""))),
    ]


def record_pdf(record: dict[str, Any], *, reference: str, municipality: str, lang: str) -> bytes:
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


def print_from_memory(pdf: bytes, *, printer: str, lang: str) -> bool:
    """Send ``pdf`` to ``printer`` through ``lp``'s standard input; ``False`` when the kiosk has
    no printer (the record is then only shown on the screen)."""
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
