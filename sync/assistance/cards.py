"""Printable cards for the secrets the town hall hands out once: a volunteer's badge and a power
of attorney's code for the letter to the agent.

Each is one A6 page: the town's name, who it is for, the code as a QR code a USB barcode scanner
reads (it types exactly the text below it), and the code in print for typing by hand. The file
holds a secret: it is written readable by its owner only, and should be deleted once printed.
"""

from __future__ import annotations

import os
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kiosk.i18n import translator
from kiosk.receipt import PRINT_QUIET_ZONE, qr_matrix


def code_card_pdf(*, municipality: str, heading: str, lines: list[str], code: str) -> bytes:
    pdf = FPDF(format=(105, 148))  # A6 in millimetres
    pdf.set_margins(10, 10, 10)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, _latin(municipality), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin(heading), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, _latin(line), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    matrix = qr_matrix(code, quiet_zone=PRINT_QUIET_ZONE)
    module = min(1.4, 60 / len(matrix))
    left = pdf.l_margin + (pdf.epw - module * len(matrix)) / 2
    top = pdf.get_y() + 2
    for row, modules in enumerate(matrix):
        for col, dark in enumerate(modules):
            if dark:
                pdf.rect(left + col * module, top + row * module, module, module, style="F")
    pdf.set_y(top + module * len(matrix) + 2)
    pdf.set_font("Courier", size=8)
    pdf.multi_cell(0, 4, code, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def badge_pdf(*, municipality: str, display_name: str, volunteer_id: str, valid_until: str, code: str, lang: str) -> bytes:
    _ = translator(lang)
    return code_card_pdf(
        municipality=municipality,
        heading=_("Volunteer badge"),
        lines=[f"{display_name} ({volunteer_id})", _("valid until {day}").format(day=valid_until)],
        code=code,
    )


def power_card_pdf(*, municipality: str, agent: str, principal: str, power_id: str, code: str, lang: str) -> bytes:
    _ = translator(lang)
    return code_card_pdf(
        municipality=municipality,
        heading=_("Power of attorney {id}").format(id=power_id),
        lines=[_("{agent} for {principal}").format(agent=agent, principal=principal)],
        code=code,
    )


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by its owner only (it holds a secret)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")
