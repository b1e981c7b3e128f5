"""Printing a citizen's receipt on the printer this kiosk has: none, A4 through CUPS, or an 80 mm
ESC/POS receipt printer (network, USB, device file).

``print_receipt_on`` is the one call the screens make (in a worker thread): it keeps the receipt as
a PDF for staff, then prints it where ``kiosk.toml``'s ``printer`` says. Every failure is a
``PrinterError`` that asks the citizen to copy the code by hand; nothing here waits without bound.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from kiosk.printing.escpos_receipt import escpos_receipt
from kiosk.printing.target import NO_PRINTER, PrinterKind, PrinterTarget, parse_printer
from kiosk.printing.thermal import PrinterStatus, PrinterTimeouts, query_status, send_to_thermal_printer
from kiosk.receipt import Receipt, print_pdf_with_lp, receipt_pdf, save_receipt_pdf

__all__ = [
    "NO_PRINTER",
    "PrintOutcome",
    "PrinterKind",
    "PrinterStatus",
    "PrinterTarget",
    "PrinterTimeouts",
    "escpos_receipt",
    "parse_printer",
    "print_receipt_on",
    "query_status",
]


@dataclass(frozen=True)
class PrintOutcome:
    """Where the receipt went: ``saved`` is the PDF kept for staff, ``on_paper`` whether a printer
    took it, ``paper_low`` whether the receipt printer said its roll is nearly empty."""

    saved: Path
    on_paper: bool
    paper_low: bool = False


def print_receipt_on(
    receipt: Receipt,
    printer_setting: str,
    out_dir: Path,
    *,
    timeouts: PrinterTimeouts = PrinterTimeouts(),
) -> PrintOutcome:
    """Keep the receipt as PDF, then print it on the configured printer (if any).

    Who helped (a relative's name as typed, or who acted on whose behalf) is printed but left out
    of the copy kept on the kiosk's disk: it is personal data, and the town hall has it sealed."""
    target = parse_printer(printer_setting, receipt.lang)
    kept = replace(receipt, helped_by="")
    saved = save_receipt_pdf(receipt_pdf(kept), reference=receipt.reference, out_dir=out_dir, lang=receipt.lang)
    if not target.configured:
        return PrintOutcome(saved, on_paper=False)
    if target.kind is PrinterKind.CUPS:
        if not receipt.helped_by:
            print_pdf_with_lp(saved, queue=target.address, reference=receipt.reference, lang=receipt.lang)
            return PrintOutcome(saved, on_paper=True)
        with tempfile.TemporaryDirectory(dir=out_dir) as private:  # the full receipt, only until lp has it
            full = Path(private) / saved.name
            full.write_bytes(receipt_pdf(receipt))
            print_pdf_with_lp(full, queue=target.address, reference=receipt.reference, lang=receipt.lang)
        return PrintOutcome(saved, on_paper=True)
    status = send_to_thermal_printer(
        target,
        escpos_receipt(receipt),
        reference_display=receipt.display_reference,
        lang=receipt.lang,
        timeouts=timeouts,
    )
    return PrintOutcome(saved, on_paper=True, paper_low=bool(status and status.paper_low))
