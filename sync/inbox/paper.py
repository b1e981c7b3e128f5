"""A submission on paper, for the file: A4, municipality, service, receipt code, dates, and every
question with its answer in words.

Names typed at a kiosk can hold letters beyond Latin-1 (ł, ş, ő ...), so the page uses DejaVu Sans
where the system has it; without it the built-in PDF font is used and such letters are written
without their accents rather than dropped.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from fpdf import FPDF

from kiosk.i18n import translator
from sync.envelope import utc_timestamp
from sync.inbox.reader import OpenedSubmission, local_time
from sync.inbox.status import status_label

_FONT_FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
)
_LATIN1_REPLACEMENTS = str.maketrans(
    {
        "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "–": "-", "—": "-",
        "‑": "-", "…": "...", "•": "-", "€": "EUR", "\u00a0": " ", "\u202f": " ", "ł": "l",
        "Ł": "L",
    }
)


def _dejavu() -> tuple[Path, Path] | None:
    for folder in _FONT_FOLDERS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class _Page:
    """The few things a page needs: a font that can write the text, headings, label/answer rows."""

    def __init__(self) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(20, 18, 20)
        self.pdf.set_auto_page_break(True, margin=18)
        fonts = _dejavu()
        if fonts is not None:
            self.pdf.add_font("DejaVu", "", str(fonts[0]))
            self.pdf.add_font("DejaVu", "B", str(fonts[1]))
            self.family, self.unicode = "DejaVu", True
        else:
            self.family, self.unicode = "Helvetica", False
        self.pdf.add_page()

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        value = value.translate(_LATIN1_REPLACEMENTS)
        try:
            return value.encode("latin-1").decode("latin-1")
        except UnicodeEncodeError:
            stripped = unicodedata.normalize("NFKD", value)
            kept = "".join(ch for ch in stripped if not unicodedata.combining(ch))
            return kept.encode("latin-1", errors="replace").decode("latin-1")

    def line(self, value: str, *, size: float = 11, bold: bool = False, height: float = 6) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.multi_cell(0, height, self.text(value), new_x="LMARGIN", new_y="NEXT")

    def row(self, label: str, value: str) -> None:
        """A question in bold with its answer below, kept together where the page allows."""
        if self.pdf.get_y() > self.pdf.h - 40:
            self.pdf.add_page()
        self.line(label, size=10, bold=True, height=5)
        self.line(value or "-", size=11, height=6)
        self.pdf.ln(2)

    def rule(self) -> None:
        y = self.pdf.get_y() + 1
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.ln(4)


def submission_pdf(submission: OpenedSubmission, *, municipality: str, lang: str) -> bytes:
    """The PDF bytes of one opened submission."""
    _ = translator(lang)
    meta = submission.meta
    page = _Page()
    page.line(municipality, size=12)
    page.line(meta.service, size=17, bold=True, height=9)
    page.pdf.ln(1)
    page.line(_("Reference code: {code}").format(code=meta.reference), size=13, bold=True, height=7)
    page.line(_("Filled in at kiosk {kiosk} on {moment}").format(kiosk=meta.kiosk_id, moment=local_time(meta.captured_at, lang)), size=10, height=5)
    page.line(_("Received by the town hall on {moment}").format(moment=local_time(meta.received_at, lang)), size=10, height=5)
    page.line(_("Status: {status}").format(status=status_label(meta.status, _)), size=10, height=5)
    if submission.origin is not None:
        # The paper file keeps what staff saw on screen: whether the sending kiosk was checked.
        page.line(submission.origin.note(lang), size=9, height=5)
    if submission.form is None:
        page.line(
            _("The exact form definition ({id}, version {version}) is not at hand: questions are shown by their field names.").format(
                id=meta.form_id, version=meta.form_version
            ),
            size=9,
            height=5,
        )
    page.rule()
    for row in submission.rows(lang):
        page.row(row.label, row.answer)
    latest = submission.history[-1] if submission.history else None
    if latest is not None and latest.message:
        page.rule()
        page.row(_("Last message to the citizen"), latest.message)
    page.pdf.ln(2)
    printed = local_time(utc_timestamp(), lang)
    page.line(_("Printed on {moment} from the Rathaus-Kiosk inbox.").format(moment=printed), size=8, height=4)
    return bytes(page.pdf.output())
