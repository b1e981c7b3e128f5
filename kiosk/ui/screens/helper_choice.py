"""Who is helping? A relative or friend, a volunteer, or someone with a power of attorney.

Reached from the start screen ("Someone is helping me"). Each choice leads to the step that says
who exactly helps, then to the citizen's consent in plain words; nobody helps before that.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints


class HelperChoiceScreen(LanguageAware, Screen):
    CSS_PATH = "helper_choice.tcss"
    BINDINGS = [Binding("escape", "back", "Back", show=False)]

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        with Vertical(id="helper-page"):
            yield Static(_("Who is helping you?"), id="helper-title")
            yield Button(_("A relative, neighbour or friend"), id="person", classes="helper-choice")
            yield Button(_("A volunteer with a badge or volunteer number"), id="volunteer", classes="helper-choice")
            yield Button(
                _("I act for someone else with a power of attorney"), id="representative", classes="helper-choice"
            )
            yield Button(_("Volunteers: open an outreach day"), id="outreach", classes="helper-choice")
            yield Button(_("Back"), id="back", classes="-secondary")
            yield KeyHints([("Tab", _("next button")), ("Enter", _("choose")), ("Esc", _("Back"))])

    def on_mount(self) -> None:
        self.focus_default()

    @on(Button.Pressed, "#person")
    def _person(self) -> None:
        from kiosk.ui.screens.helper_name import HelperNameScreen

        self.app.push_screen(HelperNameScreen())

    @on(Button.Pressed, "#volunteer")
    def _volunteer(self) -> None:
        from kiosk.ui.screens.helper_sign_in import HelperSignInScreen

        self.app.push_screen(HelperSignInScreen(power=False))

    @on(Button.Pressed, "#representative")
    def _representative(self) -> None:
        from kiosk.ui.screens.helper_sign_in import HelperSignInScreen

        self.app.push_screen(HelperSignInScreen(power=True))

    @on(Button.Pressed, "#outreach")
    def _outreach(self) -> None:
        from kiosk.ui.screens.helper_sign_in import HelperSignInScreen

        self.app.push_screen(HelperSignInScreen(power=False, outreach=True))

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.app.pop_screen()
