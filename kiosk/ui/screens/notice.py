"""A calm message in a window when something did not work; OK closes it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kiosk.ui.screens.base import LanguageAware


class NoticeScreen(LanguageAware, ModalScreen[None]):
    CSS_PATH = "notice.tcss"
    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="notice-box", classes="dialog"):
            yield Static(self.title_text, id="notice-title", markup=False)
            yield Static(self.message, id="notice-message", markup=False)
            yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.focus_default()

    @on(Button.Pressed, "#ok")
    def action_close(self) -> None:
        self.dismiss(None)
