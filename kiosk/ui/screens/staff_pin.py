"""F12: staff type their PIN to reach the staff screen; a wrong PIN leaves everything as it was."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from kiosk.ui.screens.base import LanguageAware

MAX_ATTEMPTS = 3  # then the window closes, so nobody can try PINs one after another at leisure
LOCKOUT_SECONDS = 60.0  # and F12 does nothing for this long


class StaffPinScreen(LanguageAware, ModalScreen[bool]):
    """Dismisses with ``True`` only for the right PIN."""

    CSS_PATH = "staff_pin.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self._attempts = 0
        self._problem = ""
        self.too_many_attempts = False

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        with Vertical(id="pin-box", classes="dialog"):
            yield Static(_("Staff only"), id="pin-title")
            yield Static(_("Please type the staff PIN to open the staff functions."), id="pin-text")
            yield Input(password=True, max_length=32, id="pin")
            yield Static(self._problem, id="pin-problem", classes="" if self._problem else "-empty")
            with Horizontal(id="pin-buttons"):
                yield Button(_("Open"), id="leave", variant="primary")
                yield Button(_("Cancel"), id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()

    def focus_default(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#leave")
    def _check(self) -> None:
        _ = self.app.gettext
        pin_input = self.query_one("#pin", Input)
        if self.app.runtime.config.check_staff_pin(pin_input.value):
            self.dismiss(True)
            return
        self._attempts += 1
        if self._attempts >= MAX_ATTEMPTS:
            self.too_many_attempts = True
            self.dismiss(False)
            return
        pin_input.value = ""
        if not self.app.runtime.config.staff_pin_hash:
            self._problem = _("No staff PIN is set up for this kiosk (rathaus configure --staff-pin).")
        else:
            self._problem = _("This PIN is not correct.")
        problem = self.query_one("#pin-problem", Static)
        problem.update(self._problem)
        problem.remove_class("-empty")
        pin_input.focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
