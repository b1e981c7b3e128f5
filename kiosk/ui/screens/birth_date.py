"""One question in a window: the date of birth, to go with the receipt code (vaccinations).

Dismisses with the date as typed, or ``None`` for "back". The check happens behind the screen
(``kiosk.appointments.desk``), which also counts wrong tries; this window only asks. The visitor's
aids work here as on every screen: F5/F6 read the window aloud, F4 enlarges it, and F3 (plain
language) leaves it open with what was typed; only another language (F2) closes it, since its
purpose was said in the language of the moment.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from kiosk.ui.screens.base import LanguageAware


class BirthDateScreen(LanguageAware, ModalScreen[str | None]):
    CSS_PATH = "birth_date.tcss"
    BINDINGS = [Binding("escape", "back", "Back", show=False)]

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose
        self._typed = ""
        self._asked_in: str | None = None

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        with Vertical(id="birth-box", classes="dialog"):
            yield Static(_("What is your date of birth?"), id="birth-question")
            yield Static(self.purpose, id="birth-purpose", markup=False)
            yield Static(_("Please type day, month and year, for example 05.03.1942."), id="birth-hint")
            # Typed on after F3/F4 rebuilt the window: the cursor at the end, nothing selected.
            yield Input(value=self._typed, max_length=12, id="birth-date", select_on_focus=False)
            with Horizontal(id="birth-buttons"):
                yield Button(_("Back"), id="back")
                yield Button(_("Continue"), id="continue", variant="primary")

    def on_mount(self) -> None:
        self._asked_in = self.app.lang
        self.focus_default()

    def focus_default(self) -> None:
        self.query_one("#birth-date", Input).focus()

    async def apply_language(self) -> None:
        """The question was asked in the language of the moment; a switch asks it again. Plain
        language on or off keeps the window and what is typed."""
        if self.app.lang != self._asked_in:
            self.dismiss(None)
            return
        self._typed = self.query_one("#birth-date", Input).value
        await super().apply_language()

    @on(Input.Submitted, "#birth-date")
    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        typed = self.query_one("#birth-date", Input).value.strip()
        if typed:
            self.dismiss(typed)

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(None)
