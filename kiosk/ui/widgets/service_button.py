"""A large button for one service: its title in bold and a one-line summary below."""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Button

from kiosk.forms import FormDefinition
from kiosk.ui.widgets.styles import stylesheet_next_to


class ServiceButton(Button):
    """Pressing it starts the service ``form``."""

    DEFAULT_CSS = stylesheet_next_to(__file__)

    def __init__(self, form: FormDefinition, lang: str, **kwargs) -> None:
        label = Content.assemble((form.text("title", lang), "bold"))
        summary = form.text("summary", lang)
        if summary:
            label = Content.assemble(label, "\n", summary)
        super().__init__(label, **kwargs)
        self.form = form

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many lines as the wrapped summary needs (a plain button counts unwrapped lines)."""
        return max(1, len(self.label.wrap(max(1, width - 2))))  # a button keeps one cell free each side
