"""An outreach day between two visitors: the next visitor's number, or the end of the day.

Everything of the visitor before is gone when this screen shows (the app wiped the answers, the
help and the start screen); it shows only the day's counts so far.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints


class OutreachScreen(LanguageAware, Screen):
    CSS_PATH = "outreach.tcss"

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        day = self.app.outreach
        with Vertical(id="outreach-page"):
            yield Static(
                _("Outreach day with {name} ({id})").format(name=day.volunteer_name, id=day.volunteer_id),
                id="outreach-title",
            )
            yield Static(
                _("Visitors so far: {count}. Handed in: {submitted}.").format(
                    count=day.visitors, submitted=day.counts["submitted"]
                ),
                id="outreach-counts",
            )
            yield Static(
                _("Next: visitor {number}. Please hand the keyboard over when the visitor is seated.").format(
                    number=day.visitor + 1
                ),
                id="outreach-next",
            )
            with Horizontal(id="outreach-buttons"):
                yield Button(_("Welcome the next visitor"), id="next-visitor", variant="success")
                yield Button(_("End the day"), id="end-day", variant="primary")
            yield KeyHints([("Tab", _("next button")), ("Enter", _("press the button"))])

    def on_mount(self) -> None:
        self.focus_default()

    def focus_default(self) -> None:
        self.query_one("#next-visitor", Button).focus()

    @on(Button.Pressed, "#next-visitor")
    def _next(self) -> None:
        self.app.welcome_next_visitor()

    @on(Button.Pressed, "#end-day")
    def _end(self) -> None:
        self.app.end_outreach_day()
