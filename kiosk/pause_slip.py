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


def print_pause_slip(
    pdf: bytes, *, printer: str, display_code: str, lang: str, slip: Any = None, municipality: str = ""
) -> bool:
    """Print without a file on the kiosk's printer as its setting names it (a CUPS queue gets
    ``pdf``; a thermal receipt printer gets the slip as ESC/POS, which needs ``slip``);
    ``False`` when the kiosk has no printer (the code is on screen)."""
    from kiosk.printing.target import PrinterKind, parse_printer

    _ = translator(lang)
    target = parse_printer(printer, lang)
    if not target.configured:
        return False
    if target.kind is not PrinterKind.CUPS:
        from kiosk.printing.thermal import send_to_thermal_printer

        if slip is None:
            return False
        send_to_thermal_printer(
            target, escpos_pause_slip(slip, municipality=municipality, lang=lang),
            reference_display=display_code, lang=lang,
        )
        return True
    lp = shutil.which("lp")
    failure = _("The printer did not respond. Please write down your code: {code}").format(code=display_code)
    if lp is None:
        raise RathausError(failure, detail="printer configured but the 'lp' command is missing")
    try:
        result = subprocess.run(
            [lp, "-d", target.address], input=pdf, capture_output=True, timeout=_PRINT_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RathausError(failure, detail=f"lp failed: {type(exc).__name__}") from exc
    if result.returncode != 0:
        raise RathausError(failure, detail=f"lp exit {result.returncode}")
    return True


def escpos_pause_slip(slip: Any, *, municipality: str, lang: str) -> bytes:
    """The slip for an 80 mm thermal printer: the same words as the A5 page, the code large and
    its QR code drawn by the printer (as on the receipt, ``kiosk.printing.escpos_receipt``)."""
    from escpos.constants import QR_ECLEVEL_M, QR_MODEL_2
    from escpos.printer import Dummy

    from kiosk.printing.escpos_receipt import COLUMNS, QR_MODULE_DOTS
    import textwrap

    _ = translator(lang)
    until = format_date(parse_moment(slip.expires_at).date(), lang)
    printer = Dummy()
    printer.hw("INIT")
    printer.set(align="center", normal_textsize=True, bold=False)
    for line in textwrap.wrap(municipality, COLUMNS):
        printer.textln(line)
    printer.set(bold=True, double_height=True)
    printer.textln(_("Pause slip"))
    printer.set(custom_size=True, width=2, height=2, bold=True)
    printer.textln(slip.display_code)
    printer.set(normal_textsize=True, bold=False)
    printer.ln()
    printer.qr(slip.code, native=True, size=QR_MODULE_DOTS, ec=QR_ECLEVEL_M, model=QR_MODEL_2)
    printer.ln()
    printer.set(align="left")
    for text in (
        _("Your answers are kept locked until {day}. Only this code opens them.").format(day=until),
        _("To carry on: choose 'Check the status of an application' and type this code."),
        _("Keep this slip safe: whoever has the code can see your answers."),
    ):
        for line in textwrap.wrap(text, COLUMNS):
            printer.textln(line)
        printer.ln()
    printer.cut(feed=True)
    return bytes(printer.output)
