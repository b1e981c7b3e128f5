"""The receipt code in very large, widely spaced letters, to read aloud and copy by hand."""

from __future__ import annotations

from textual.widgets import Static

from kiosk import refcode
from kiosk.ui.widgets.styles import stylesheet_next_to


def spaced(code: str) -> str:
    """``7KQM2X9TJ`` → ``7 K Q  –  M 2 X  –  9 T J``."""
    return "  –  ".join(" ".join(group) for group in refcode.display(code).split("-"))


class ReferenceCode(Static):
    DEFAULT_CSS = stylesheet_next_to(__file__)

    def __init__(self, code: str, **kwargs) -> None:
        super().__init__(spaced(code), markup=False, **kwargs)
        self.code = code
