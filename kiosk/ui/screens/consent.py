"""Before anyone helps: the citizen agrees in plain words, or says no.

The words are the consent text of the current version (``assisted_mode.consent``); that version
and the moment of the yes are sealed with the application. "No" ends the help and nothing of it
is kept but the audit entry of the sign-in.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from assisted_mode.consent import consent_text
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints


class ConsentScreen(LanguageAware, Screen):
    CSS_PATH = "consent.tcss"
    BINDINGS = [Binding("escape", "refuse", "No", show=False)]

    def __init__(self, visit: Any) -> None:
        super().__init__()
        self.visit = visit

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        visit = self.visit
        with Vertical(id="consent-page"):
            yield Static(_("Do you agree to this help?"), id="consent-title")
            yield Static(
                consent_text(visit.role, self.app.lang, helper=visit.helper.label(), principal=visit.principal),
                id="consent-text",
                markup=False,
            )
            with Horizontal(id="consent-buttons"):
                yield Button(_("Yes, I agree"), id="agree", variant="success")
                yield Button(_("No"), id="refuse", variant="primary")
            yield KeyHints([("Tab", _("next button")), ("Enter", _("press the button")), ("Esc", _("No"))])

    def on_mount(self) -> None:
        self.query_one("#refuse", Button).focus()  # agreeing is a deliberate step

    def focus_default(self) -> None:
        self.query_one("#refuse", Button).focus()

    @on(Button.Pressed, "#agree")
    def _agree(self) -> None:
        self.app.consent_given(self.visit)

    @on(Button.Pressed, "#refuse")
    def action_refuse(self) -> None:
        self.app.refuse_help(self.visit)
