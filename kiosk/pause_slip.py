"""The printed pause slip: the code, its QR code, until when it is valid, how to carry on.

Unlike a receipt, the slip is never saved on the kiosk: its code opens the paused draft, so the
PDF goes straight to the printer through ``lp``'s standard input and exists only on paper.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kiosk.errors import RathausError
from kiosk.i18n import format_date, translator
from kiosk.receipt import PRINT_QUIET_ZONE, parse_moment, qr_matrix

_PRINT_TIMEOUT_SECONDS = 30


def pause_slip_pdf(slip: Any, *, municipality: str, lang: str) -> bytes:
    _ = translator(lang)
    until = format_date(parse_moment(slip.expires_at).date(), lang)
    pdf = FPDF(format=(148, 210))  # A5 in millimetres
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    pdf.set_font("Helvetica", size=13)
    pdf.multi_cell(0, 7, _latin(municipality), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _latin(_("Pause slip")), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Courier", "B", 28)
    pdf.multi_cell(0, 14, slip.display_code, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    matrix = qr_matrix(slip.code, quiet_zone=PRINT_QUIET_ZONE)
    module = min(1.6, 45 / len(matrix))
    left = pdf.l_margin + (pdf.epw - module * len(matrix)) / 2
    top = pdf.get_y() + 2
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                pdf.rect(left + col * module, top + row * module, module, module, style="F")
    pdf.set_y(top + module * len(matrix) + 4)
    pdf.set_font("Helvetica", size=12)
    for text in (
        _("Your answers are kept locked until {day}. Only this code opens them.").format(day=until),
        _("To carry on: choose 'Check the status of an application' and type this code."),
        _("Keep this slip safe: whoever has the code can see your answers."),
    ):
        pdf.multi_cell(0, 6, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    return bytes(pdf.output())


def _latin(text: str) -> str:
    return text.replace("–", "-").replace("„", '"').replace("“", '"').encode("latin-1", "replace").decode("latin-1")


def print_pause_slip(pdf: bytes, *, printer: str, display_code: str, lang: str) -> bool:
    """Print without a file; ``False`` when the kiosk has no printer (the code is on screen)."""
    _ = translator(lang)
    if not printer:
        return False
    lp = shutil.which("lp")
    failure = _("The printer did not respond. Please write down your code: {code}").format(code=display_code)
    if lp is None:
        raise RathausError(failure, detail="printer configured but the 'lp' command is missing")
    try:
        result = subprocess.run(
            [lp, "-d", printer], input=pdf, capture_output=True, timeout=_PRINT_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RathausError(failure, detail=f"lp failed: {type(exc).__name__}") from exc
    if result.returncode != 0:
        raise RathausError(failure, detail=f"lp exit {result.returncode}")
    return True
