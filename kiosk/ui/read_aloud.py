"""What F5 reads aloud on a screen: what a person would read on it, in reading order.

A screen that knows better (the question: the question, its help, the message, the choices)
offers ``reading()``; for every other screen the visible texts and button labels are read from top
to bottom. The key hints at the bottom are left out: they are read in the help (F1) instead.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Button, Input, Label, RadioButton, Static, TextArea

from kiosk.ui.widgets.key_hints import KeyHints


def screen_reading(screen: Screen, lang: str) -> str:
    """The text to speak for ``screen``, one piece per line."""
    reading = getattr(screen, "reading", None)
    if callable(reading):
        return reading()
    return visible_texts(screen)


def visible_texts(screen: Screen) -> str:
    """Every visible text and button label on ``screen``, in the order of the screen."""
    pieces: list[str] = []
    for widget in screen.query("*"):
        if not widget.display or not widget.visible or isinstance(widget, KeyHints):
            continue
        if isinstance(widget, (Button, RadioButton)):
            pieces.append(str(widget.label))
        elif isinstance(widget, (Static, Label)):
            pieces.append(str(widget.content))
        elif isinstance(widget, Input):
            pieces.append(widget.value)
        elif isinstance(widget, TextArea):
            pieces.append(widget.text)
    return "\n".join(piece.strip() for piece in pieces if piece.strip())
