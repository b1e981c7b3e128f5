"""A yes/no question in a window, e.g. "Cancel the application? Your answers will be deleted."."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kiosk.ui.screens.base import LanguageAware


class ConfirmScreen(LanguageAware, ModalScreen[bool]):
    """Dismisses with ``True`` for yes; Escape means no. The safe answer has the focus."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = [Binding("escape", "no", "No", show=False)]

    def __init__(self, question: str, consequence: str, *, yes: str, no: str) -> None:
        super().__init__()
        self.question, self.consequence, self.yes, self.no = question, consequence, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(self.question, id="confirm-question", markup=False)
            yield Static(self.consequence, id="confirm-consequence", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.no, id="no", variant="primary")
                yield Button(self.yes, id="yes", variant="error")

    def on_mount(self) -> None:
        self.focus_default()

    async def apply_language(self) -> None:
        """The texts were given in the language of the moment; a switch closes the question
        as "no", so nothing is deleted by a misunderstanding."""
        self.dismiss(False)

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)
