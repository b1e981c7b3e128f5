"""The line at the bottom that says which keys do what on this screen.

It must stay one line, also on a text console 80 columns wide and in the longer German words: a
second line would push the buttons up or off the screen. So the separators are narrow, and where
the line is still too wide, the hints a screen marks as ``spare`` are left out, in that order
(e.g. F1, which the "Hilfe (F1)" button shows anyway).
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

from kiosk.ui.widgets.styles import stylesheet_next_to

SEPARATOR = "  "


def hints_content(hints: list[tuple[str, str]]) -> Content:
    """``[("Enter", "Next"), ("Esc", "Back")]`` as `` Enter  Next   Esc  Back``."""
    parts: list[Content | str | tuple[str, str]] = []
    for index, (key, meaning) in enumerate(hints):
        if index:
            parts.append(SEPARATOR)
        parts.extend([(f" {key} ", "reverse bold"), f" {meaning}"])
    return Content.assemble(*parts)


class KeyHints(Widget):
    """The keys of this screen in one line; ``spare`` keys are dropped first when space is short."""

    DEFAULT_CSS = stylesheet_next_to(__file__)

    def __init__(
        self, hints: list[tuple[str, str]], *, spare: tuple[str, ...] = (), **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.hints = list(hints)
        self.spare = spare

    def shown_hints(self, width: int) -> list[tuple[str, str]]:
        """The hints that fit in ``width`` cells."""
        shown = list(self.hints)
        for key in self.spare:
            if hints_content(shown).cell_length <= width:
                break
            shown = [hint for hint in shown if hint[0] != key]
        return shown

    @property
    def text(self) -> str:
        """What the line says now (for tests and the log)."""
        return hints_content(self.shown_hints(self.content_size.width or 10_000)).plain

    def render(self) -> Content:
        return hints_content(self.shown_hints(self.content_size.width))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return hints_content(self.hints).cell_length

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(hints_content(self.shown_hints(width)).wrap(max(1, width))))
