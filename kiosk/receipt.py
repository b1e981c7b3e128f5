"""The receipt a citizen takes home: reference code, QR code, what happens next, what to bring.

A receipt holds no personal data of the citizen (no name, no answer): only the code, the service,
the date and the town hall's general instructions, so a receipt left on the counter tells nobody
anything about them. An assisted application adds one line with the short names shown at the kiosk
("Filled in with help from Anna M. (volunteer V0007)"), as docs/assisted-mode.md explains.
The same content is shown on screen (the QR code as Unicode half blocks, so a phone can scan it
from the display) and printed as a PDF (the QR code drawn as filled squares).
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import refcode
from kiosk.errors import PrinterError, RathausError
from kiosk.i18n import format_datetime, normalise_language, translator

if TYPE_CHECKING:
    from fpdf import FPDF

    from kiosk.forms import FormDefinition

QrMatrix = list[list[bool]]  # rows of modules, True = dark
SCREEN_QUIET_ZONE = 2  # modules of light border around a QR code on screen
PRINT_QUIET_ZONE = 4  # the standard quiet zone on paper
_PRINT_TIMEOUT_SECONDS = 20  # lp only hands the file to CUPS; more means CUPS is stuck


@dataclass(frozen=True)
class Receipt:
    """Everything printed on (and shown as) a receipt, already in the citizen's language."""

    reference: str  # compact code, e.g. "7KQM2X9TJ"
    municipality: str
    service: str
    captured_at: _dt.datetime
    next_steps: str
    bring: tuple[str, ...]
    qr_data: str
    lang: str
    helped_by: str = ""
    """Who helped or filed on whose behalf, in short names (assisted mode); ``""`` otherwise."""
    appointment: tuple[str, ...] = ()
    """For a booking: its state, day and time, place (already in words)."""
    how_to_cancel: str = ""

    @property
    def display_reference(self) -> str:
        """The code in groups of three, as the person reads it aloud: ``7KQ-M2X-9TJ``."""
        return refcode.display(self.reference)

    @property
    def date_text(self) -> str:
        return format_datetime(self.captured_at, self.lang)


def qr_payload(reference: str, status_url: str = "") -> str:
    """What the QR code holds: the status address with the code appended, or just the code."""
    return f"{status_url}{reference}" if status_url else reference


def build_receipt(
    form: "FormDefinition",
    *,
    reference: str,
    captured_at: str | _dt.datetime,
    municipality: str,
    lang: str,
    status_url: str = "",
    helped_by: str = "",
    appointment: tuple[str, ...] = (),
    how_to_cancel: str = "",
) -> Receipt:
    """Collect the receipt's content from the service definition and the queued submission; a
    booking adds its appointment in words and how to cancel it."""
    lang = normalise_language(lang)
    return Receipt(
        appointment=tuple(appointment),
        how_to_cancel=how_to_cancel,
        reference=reference,
        municipality=municipality,
        service=form.text("title", lang),
        captured_at=parse_moment(captured_at),
        next_steps=form.text("next_steps", lang),
        bring=tuple(form.bring_list(lang)),
        qr_data=qr_payload(reference, status_url),
        lang=lang,
        helped_by=helped_by,
    )


def parse_moment(value: str | _dt.datetime) -> _dt.datetime:
    """An ISO timestamp (naive means UTC, as the queue stores it) as an aware datetime."""
    moment = value if isinstance(value, _dt.datetime) else _dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)


def qr_matrix(data: str, *, quiet_zone: int = SCREEN_QUIET_ZONE) -> QrMatrix:
    """The QR code for ``data`` as rows of booleans, surrounded by ``quiet_zone`` light modules."""
    import qrcode  # imported when the first receipt is shown, not at the kiosk's start
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=quiet_zone)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def qr_terminal_lines(matrix: QrMatrix) -> list[str]:
    """Two module rows per text line with half blocks (▀ top, ▄ bottom, █ both dark).

    Dark modules are drawn in the foreground colour, so the caller must show the lines dark on
    light (black on white) for phones to read them, whatever the terminal's own colours are.
    """
    glyphs = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
    lines = []
    for top in range(0, len(matrix), 2):
        upper = matrix[top]
        lower = matrix[top + 1] if top + 1 < len(matrix) else [False] * len(upper)
        lines.append("".join(glyphs[(a, b)] for a, b in zip(upper, lower)))
    return lines


# The built-in PDF fonts know Latin-1 only; these are the characters outside it that form texts use.
_PDF_REPLACEMENTS = str.maketrans(
    {
        "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'",
        "–": "-", "—": "-", "‑": "-", "…": "...", "•": "-", "€": "EUR", "\u00a0": " ",
    }
)


def _pdf_text(text: str) -> str:
    text = text.translate(_PDF_REPLACEMENTS)
    return text.encode("latin-1", errors="replace").decode("latin-1")


def receipt_pdf(receipt: Receipt) -> bytes:
    """An A4 page with large type: code, QR code, service, date, next steps, what to bring."""
    _ = translator(receipt.lang)
    from fpdf import FPDF  # ≈ 0.25 s and 10 MB: only when a receipt is printed

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(_pdf_text(_("Receipt")))
    pdf.set_creator("Rathaus-Kiosk")
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("Helvetica", size=14)
    _lines(pdf, 7, _pdf_text(receipt.municipality), align="C")
    pdf.set_font("Helvetica", "B", 20)
    _lines(pdf, 10, _pdf_text(_("Receipt for your application")), align="C")
    pdf.ln(4)

    pdf.set_font("Helvetica", size=13)
    _lines(pdf, 7, _pdf_text(_("Your receipt code:")), align="C")
    pdf.set_font("Courier", "B", 34)
    _lines(pdf, 16, receipt.display_reference, align="C")
    pdf.ln(2)

    matrix = qr_matrix(receipt.qr_data, quiet_zone=PRINT_QUIET_ZONE)
    module_mm = min(1.8, 60 / len(matrix))
    side = module_mm * len(matrix)
    left = pdf.l_margin + (width - side) / 2
    top = pdf.get_y()
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                pdf.rect(
                    left + col_index * module_mm, top + row_index * module_mm,
                    module_mm, module_mm, style="F",
                )
    pdf.set_y(top + side + 4)

    _pdf_row(pdf, _("Service"), receipt.service)
    _pdf_row(pdf, _("Handed in on"), receipt.date_text)
    if receipt.helped_by:
        _pdf_row(pdf, _("Help"), receipt.helped_by)
    pdf.ln(3)
    _pdf_section(pdf, _("Your appointment"), list(receipt.appointment))
    _pdf_section(pdf, _("Cancel or change"), [receipt.how_to_cancel] if receipt.how_to_cancel else [])
    _pdf_section(pdf, _("What happens now?"), [receipt.next_steps] if receipt.next_steps else [])
    _pdf_section(pdf, _("Please have ready or bring along"), [f"- {item}" for item in receipt.bring])
    pdf.ln(2)
    pdf.set_font("Helvetica", size=12)
    _lines(
        pdf, 6,
        _pdf_text(closing_words(receipt)),
    )
    return bytes(pdf.output())


def _lines(pdf: FPDF, height: float, text: str, align: str = "L") -> None:
    """A paragraph across the page; the next one starts at the left margin below it."""
    from fpdf.enums import XPos, YPos

    pdf.multi_cell(pdf.epw, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _pdf_row(pdf: FPDF, label: str, value: str) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(45, 8, _pdf_text(label + ":"))
    pdf.set_font("Helvetica", size=14)
    pdf.multi_cell(pdf.epw - 45, 8, _pdf_text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _pdf_section(pdf: FPDF, heading: str, paragraphs: list[str]) -> None:
    if not paragraphs:
        return
    pdf.set_font("Helvetica", "B", 15)
    _lines(pdf, 9, _pdf_text(heading))
    pdf.set_font("Helvetica", size=13)
    for paragraph in paragraphs:
        _lines(pdf, 7, _pdf_text(paragraph))
    pdf.ln(3)


def closing_words(receipt: Receipt) -> str:
    """The last sentence of a receipt; it promises no personal details only when that is true
    (the line on who helped names the helper and, for a representative, the citizen)."""
    _ = translator(receipt.lang)
    if receipt.helped_by:
        return _("Keep this receipt. With the code you can ask about your application at the kiosk or at the town hall.")
    return _(
        "Keep this receipt. With the code you can ask about your application at the kiosk "
        "or at the town hall. The receipt contains none of your personal details."
    )


def print_receipt(
    pdf: bytes, *, reference: str, printer: str, out_dir: Path, lang: str = "de"
) -> Path:
    """Save the receipt as ``out_dir/<reference>.pdf`` and, when a CUPS queue is set, print it.

    The file is always kept, so staff can print a receipt again when the paper ran out. Problems
    (no printer queue, printer refused) become a ``RathausError`` the person can read.
    """
    path = save_receipt_pdf(pdf, reference=reference, out_dir=out_dir, lang=lang)
    if printer:
        print_pdf_with_lp(path, queue=printer, reference=reference, lang=lang)
    return path


def save_receipt_pdf(pdf: bytes, *, reference: str, out_dir: Path, lang: str = "de") -> Path:
    """Keep the receipt as ``out_dir/<code>.pdf`` (written whole or not at all)."""
    _ = translator(lang)
    code = refcode.parse(reference, lang)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = out_dir / f"{code}.pdf"
        tmp = path.with_suffix(".pdf.tmp")
        tmp.unlink(missing_ok=True)  # a leftover of a power cut: made afresh, so with our mode
        # The code on it opens the citizen's status look-up: for the kiosk's user only.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pdf)
        os.replace(tmp, path)
    except OSError as exc:
        raise RathausError(
            _("The receipt could not be saved. Please write down your code: {code}").format(
                code=refcode.display(code)
            ),
            detail=f"saving receipt pdf failed: {exc!r}",
        ) from exc
    return path


def _run_lp(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``lp``; a program file still open for writing elsewhere (``lp`` being replaced by an
    update that very moment) is tried again briefly instead of failing the citizen's receipt."""
    tries_left = 3
    while True:
        tries_left -= 1
        try:
            return subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=_PRINT_TIMEOUT_SECONDS,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            if exc.errno != errno.ETXTBSY or tries_left == 0:
                raise
            time.sleep(0.2)


def print_pdf_with_lp(path: Path, *, queue: str, reference: str, lang: str = "de") -> None:
    """Hand a saved receipt to CUPS (``lp -d QUEUE FILE``), bounded in time.

    A missing ``lp`` (Debian package cups-client), a queue CUPS refuses or an ``lp`` that hangs
    become a ``PrinterError`` whose message asks the citizen to copy the code by hand.
    """
    _ = translator(lang)
    code = refcode.display(refcode.parse(reference, lang))
    lp = shutil.which("lp")
    if lp is None:
        raise PrinterError(
            _("The printer is not available. Please write down your code: {code}").format(code=code),
            problem="no_lp",
            detail="printer configured but the 'lp' command is missing (Debian package cups-client)",
        )
    try:
        result = _run_lp([lp, "-d", queue, str(path)])
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrinterError(
            _("The printer did not respond. Please write down your code: {code}").format(code=code),
            problem="not_answering",
            detail=f"lp failed: {exc!r}",
        ) from exc
    if result.returncode != 0:
        raise PrinterError(
            _("The printer did not respond. Please write down your code: {code}").format(code=code),
            problem="refused",
            detail=f"lp exit {result.returncode}: {result.stderr.strip()[:200]}",
        )
