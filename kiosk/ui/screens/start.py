"""The first thing a person sees: the town, one large button per service, status, language."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.i18n import LANGUAGE_NAMES
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.connection_line import ConnectionLine
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.widgets.service_button import ServiceButton

# The queue also changes behind the screen's back (a stick transfer, a command over SSH): reading
# its count is cheap, so the footer looks again this often.
CONNECTION_REFRESH_SECONDS = 15.0


class StartScreen(LanguageAware, Screen):
    CSS_PATH = "start.tcss"

    def compose(self) -> ComposeResult:
        app = self.app
        _ = app.gettext
        config = app.runtime.config
        other_language = "en" if app.lang == "de" else "de"
        with Vertical(id="start-page"):
            with Horizontal(id="start-top"):
                with Vertical(id="start-titles"):
                    yield Static(config.municipality, id="municipality")
                    if config.location:
                        yield Static(config.location, id="location")
                yield Button(LANGUAGE_NAMES[other_language], id="language", classes="-secondary")
            yield Static(_("Welcome! What would you like to do?"), id="welcome")
            with VerticalScroll(id="services"):
                forms = sorted(app.runtime.forms, key=lambda f: (f.order, f.id))
                for first in range(0, len(forms), 2):  # two large buttons side by side
                    with Horizontal(classes="service-row"):
                        for form in forms[first : first + 2]:
                            yield ServiceButton(form, app.lang, classes="service")
                yield Button(_("Check the status of an application"), id="status", classes="-secondary")
            yield ConnectionLine(
                app.runtime, app.lang, refused=app.townhall_refuses, id="connection"
            )
            yield KeyHints(
                [
                    ("Tab", _("next button")),
                    ("Enter", _("choose")),
                    ("F2", LANGUAGE_NAMES[other_language]),
                ]
            )

    def on_mount(self) -> None:
        self.focus_default()
        self.set_interval(CONNECTION_REFRESH_SECONDS, self.refresh_connection)

    def focus_default(self) -> None:
        buttons = self.query(ServiceButton)
        if buttons:
            buttons.first().focus()

    def refresh_connection(self) -> None:
        for line in self.query(ConnectionLine):
            line.refresh_from_queue(refused=self.app.townhall_refuses)

    def on_screen_resume(self) -> None:
        self.refresh_connection()

    @on(Button.Pressed, "ServiceButton")
    def _start_service(self, event: Button.Pressed) -> None:
        assert isinstance(event.button, ServiceButton)
        self.app.start_service(event.button.form)

    @on(Button.Pressed, "#status")
    def _status(self) -> None:
        self.app.show_status_lookup()

    @on(Button.Pressed, "#language")
    def _language(self) -> None:
        self.app.action_switch_language()
