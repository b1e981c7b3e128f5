"""A relative, neighbour or friend helps: their name, as the citizen will see it on the receipt."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from kiosk.assistance import helped_by_person
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints

MAX_NAME = 60


class HelperNameScreen(LanguageAware, Screen):
    CSS_PATH = "helper_name.tcss"
    BINDINGS = [Binding("escape", "back", "Back", show=False)]

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        with Vertical(id="helper-name-page"):
            yield Static(_("What is the name of the person helping you?"), id="helper-name-question")
            yield Static(_("For example: Tom Schulze. It is shown on your receipt."), id="helper-name-hint")
            yield Input(max_length=MAX_NAME, id="helper-name")
            yield Static("", id="helper-name-problem", classes="-empty")
            with Horizontal(id="helper-name-buttons"):
                yield Button(_("Next"), id="next", variant="primary")
                yield Button(_("Back"), id="back", classes="-secondary")
            yield KeyHints([("Enter", _("Next")), ("Esc", _("Back"))])

    def on_mount(self) -> None:
        self.query_one("#helper-name", Input).focus()

    @on(Input.Submitted, "#helper-name")
    @on(Button.Pressed, "#next")
    def _next(self) -> None:
        _ = self.app.gettext
        name = " ".join(self.query_one("#helper-name", Input).value.split())
        if not name or not name.isprintable():
            problem = self.query_one("#helper-name-problem", Static)
            problem.update(_("Please type the helper's name."))
            problem.remove_class("-empty")
            return
        self.app.ask_consent(helped_by_person(self.app.runtime, name))

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.app.pop_screen()
