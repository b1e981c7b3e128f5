"""The line at the bottom that says which keys do what on this screen."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from kiosk.ui.widgets.styles import stylesheet_next_to


class KeyHints(Static):
    """``[("Enter", "Next"), ("Esc", "Back")]`` shown as ``Enter Next · Esc Back``."""

    DEFAULT_CSS = stylesheet_next_to(__file__)

    def __init__(self, hints: list[tuple[str, str]], **kwargs) -> None:
        parts: list[Content | str | tuple[str, str]] = []
        for index, (key, meaning) in enumerate(hints):
            if index:
                parts.append("   ·   ")
            parts.extend([(f" {key} ", "reverse bold"), f" {meaning}"])
        super().__init__(Content.assemble(*parts), **kwargs)
