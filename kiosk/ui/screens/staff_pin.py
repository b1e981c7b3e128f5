"""F12: staff type their PIN to reach the staff screen; a wrong PIN leaves everything as it was.

Wrong PINs are counted in the kiosk's store (``kiosk.staff_access``), so closing this window and
pressing F12 again, or restarting the kiosk, does not give new tries. While F12 must wait, this
window says for how long instead of staying shut without a word, and offers the PIN field again
by itself once the wait is over.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from kiosk.i18n import ntranslator
from kiosk.staff_access import seconds_to_wait, try_staff_pin
from kiosk.ui.screens.base import LanguageAware


def wait_text(seconds: int, lang: str) -> str:
    """``Please wait 3 minutes …`` in whole minutes from a minute on, seconds below."""
    ngettext = ntranslator(lang)
    if seconds >= 60:
        minutes = -(-seconds // 60)
        return ngettext(
            "Too many wrong PINs. Please wait {count} minute before trying again.",
            "Too many wrong PINs. Please wait {count} minutes before trying again.",
            minutes,
        ).format(count=minutes)
    return ngettext(
        "Too many wrong PINs. Please wait {count} second before trying again.",
        "Too many wrong PINs. Please wait {count} seconds before trying again.",
        seconds,
    ).format(count=seconds)


class StaffPinScreen(LanguageAware, ModalScreen[bool]):
    """Dismisses with ``True`` only for the right PIN."""

    CSS_PATH = "staff_pin.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self._problem = ""
        self.pin_too_short = False  # the right PIN, but an older, shorter one: staff should change it

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        wait = self._wait()
        locked = wait > 0
        with Vertical(id="pin-box", classes="dialog"):
            yield Static(_("Staff only"), id="pin-title")
            yield Static(_("Please type the staff PIN to open the staff functions."), id="pin-text")
            yield Input(password=True, max_length=32, id="pin", classes="-hidden" if locked else "")
            problem = wait_text(wait, self.app.lang) if locked else self._problem
            yield Static(problem, id="pin-problem", classes="" if problem else "-empty")
            with Horizontal(id="pin-buttons"):
                yield Button(_("Open"), id="leave", variant="primary", classes="-hidden" if locked else "")
                yield Button(_("Cancel"), id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.focus_default()
        self.set_interval(1.0, self._tick)

    def focus_default(self) -> None:
        pin = self.query_one("#pin", Input)
        (self.query_one("#cancel", Button) if pin.has_class("-hidden") else pin).focus()

    def _wait(self) -> int:
        return seconds_to_wait(self.app.runtime.store)

    def _tick(self) -> None:
        """Count the wait down on screen; when it is over, the PIN field comes back."""
        if self.query_one("#pin", Input).has_class("-hidden"):
            self._show_lock(self._wait())

    def _show_lock(self, wait: int) -> None:
        pin_input = self.query_one("#pin", Input)
        locked = wait > 0
        pin_input.set_class(locked, "-hidden")
        self.query_one("#leave", Button).set_class(locked, "-hidden")
        self._set_problem(wait_text(wait, self.app.lang) if locked else "")
        if locked:
            pin_input.value = ""
            self.query_one("#cancel", Button).focus()
        else:
            pin_input.focus()

    def _set_problem(self, text: str) -> None:
        self._problem = text
        problem = self.query_one("#pin-problem", Static)
        problem.update(text)
        problem.set_class(not text, "-empty")

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#leave")
    def _check(self) -> None:
        _ = self.app.gettext
        pin_input = self.query_one("#pin", Input)
        if pin_input.has_class("-hidden"):
            return
        check = try_staff_pin(self.app.runtime, pin_input.value)
        pin_input.value = ""
        if check.opened:
            self.pin_too_short = check.pin_too_short
            self.dismiss(True)
            return
        if check.wait_seconds:
            self._show_lock(check.wait_seconds)
            return
        if check.no_pin:
            self._set_problem(_("No staff PIN is set up for this kiosk (rathaus configure --staff-pin)."))
        else:
            self._set_problem(_("This PIN is not correct."))
        pin_input.focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
