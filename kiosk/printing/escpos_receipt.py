"""The receipt as ESC/POS commands for an 80 mm thermal printer.

Same content as the A4 page (``kiosk.receipt``): the town, the receipt code in letters three
times the normal size, the QR code, the service, the date, who helped, a booking's appointment and
how to cancel it, what happens next and what to bring.
No personal data beyond the line on who helped, when someone did (as on the A4 page).

The QR code is sent with the printer's own QR command (``GS ( k``, model 2, error correction M,
8 dots per module), not as a raster image: the printer draws each module on whole dots of its own
print head, so the code stays sharp on thermal paper; the command is about 30 bytes instead of a
few kilobytes of raster, which matters on a slow serial or network link; and the data is sent as
text, so a test (and a technician) can read back exactly what the code holds. Every 80 mm ESC/POS
printer sold for receipts in the last decade (Epson TM-T20/T88 and their many compatibles)
understands it. The bytes are built with python-escpos; sending them is ``kiosk.printing.thermal``.
"""

from __future__ import annotations

import textwrap
import unicodedata

from kiosk.i18n import translator
from kiosk.receipt import Receipt, closing_words

COLUMNS = 42  # characters per line in font A on 72 mm of print width (512 or 576 dots)
CODE_SIZE = 3  # the receipt code in letters 3× wide and 3× high: 11 characters fit on 80 mm
QR_MODULE_DOTS = 8  # 1 mm per module at 203 dpi: phones read it from a hand's length
QR_ERROR_CORRECTION = 1  # M (15 %), as on the A4 receipt and the screen


def escpos_receipt(receipt: Receipt) -> bytes:
    """The whole receipt, from initialising the printer to cutting the paper, as bytes."""
    from escpos.constants import QR_ECLEVEL_M, QR_MODEL_2
    from escpos.printer import Dummy

    assert QR_ECLEVEL_M == QR_ERROR_CORRECTION
    _ = translator(receipt.lang)
    printer = Dummy()
    printer.hw("INIT")
    printer.set(align="center", normal_textsize=True, bold=False)
    _paragraph(printer, receipt.municipality)
    printer.set(bold=True, double_height=True)
    _paragraph(printer, _("Receipt for your application"))
    printer.set(normal_textsize=True, bold=False)
    printer.ln()
    _paragraph(printer, _("Your receipt code:"))
    printer.set(custom_size=True, width=CODE_SIZE, height=CODE_SIZE, bold=True)
    printer.textln(receipt.display_reference)
    printer.set(normal_textsize=True, bold=False)
    printer.ln()
    # Centred by ESC a 1 above, which the printer applies to the QR symbol as to text.
    printer.qr(receipt.qr_data, native=True, size=QR_MODULE_DOTS, ec=QR_ECLEVEL_M, model=QR_MODEL_2)
    printer.ln()
    printer.set(align="left")
    _labelled(printer, _("Service"), receipt.service)
    _labelled(printer, _("Handed in on"), receipt.date_text)
    if receipt.helped_by:
        _labelled(printer, _("Help"), receipt.helped_by)
    if receipt.appointment:
        printer.ln()
        _heading(printer, _("Your appointment"))
        for line in receipt.appointment:
            _paragraph(printer, line)
    if receipt.how_to_cancel:
        printer.ln()
        _heading(printer, _("Cancel or change"))
        _paragraph(printer, receipt.how_to_cancel)
    if receipt.next_steps:
        printer.ln()
        _heading(printer, _("What happens now?"))
        _paragraph(printer, receipt.next_steps)
    if receipt.bring:
        printer.ln()
        _heading(printer, _("Please have ready or bring along"))
        for item in receipt.bring:
            _paragraph(printer, f"- {item}", indent="  ")
    printer.ln()
    _paragraph(printer, closing_words(receipt))
    printer.cut(feed=True)
    return bytes(printer.output)


def _paragraph(printer, text: str, indent: str = "") -> None:
    for line in textwrap.wrap(_printable(text), COLUMNS, subsequent_indent=indent) or [""]:
        printer.textln(line)


def _printable(text: str) -> str:
    """Text as text only: a control character in a name or setting (ESC p opens a cash drawer,
    GS V cuts the paper, ESC @ wipes the layout) becomes a space, never a printer command."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def _heading(printer, text: str) -> None:
    printer.set(bold=True)
    _paragraph(printer, text)
    printer.set(bold=False)


def _labelled(printer, label: str, value: str) -> None:
    _paragraph(printer, f"{label}: {value}", indent="  ")
