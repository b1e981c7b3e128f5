"""A QR code drawn with half blocks, black on white whatever the terminal's colours are."""

from __future__ import annotations

from textual.widgets import Static

from kiosk.receipt import qr_matrix, qr_terminal_lines
from kiosk.ui.widgets.styles import stylesheet_next_to


class QrCode(Static):
    """Shows ``data`` as a QR code a phone can read from the screen."""

    DEFAULT_CSS = stylesheet_next_to(__file__)

    def __init__(self, data: str, **kwargs) -> None:
        self.lines = qr_terminal_lines(qr_matrix(data))
        super().__init__("\n".join(self.lines), markup=False, **kwargs)
