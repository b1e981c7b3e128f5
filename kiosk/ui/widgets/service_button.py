"""A large button for one service: its title in bold (the summary is shown below the buttons)."""

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
        super().__init__(Content.assemble((form.text("title", lang), "bold")), **kwargs)
        self.form = form

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many lines as the wrapped title needs (a plain button counts unwrapped lines)."""
        return max(1, len(self.label.wrap(max(1, width - 2))))  # a button keeps one cell free each side
