"""The first thing a person sees: the town, one large button per service, status, language.

Everything must be in sight at once, also on a small text console (80×25): the service buttons show
their titles in two columns, and the one-sentence summary of the service that has the focus is
shown below them. The arrow keys move between the buttons as they are laid out, Tab goes through
them in order, F1 explains how the kiosk is used.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Static

from kiosk.i18n import LANGUAGE_NAMES
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.screens.help import KioskHelpScreen
from kiosk.ui.widgets.assistance_bar import AssistanceBar
from kiosk.ui.widgets.connection_line import ConnectionLine
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.widgets.service_button import ServiceButton
from kiosk.ui.widgets.warning_banner import WarningBanner

# The queue also changes behind the screen's back (a stick transfer, a command over SSH): reading
# its count is cheap, so the footer looks again this often.
CONNECTION_REFRESH_SECONDS = 15.0


class StartScreen(LanguageAware, Screen):
    CSS_PATH = "start.tcss"
    AUTO_FOCUS = "ServiceButton"  # the first service, not the language button above it
    # priority: before the services' scroll area, which would take the arrows to scroll itself
    # whenever it can (at 80×25 with a warning shown), so they never reached the warning.
    BINDINGS = [
        Binding("up", "move('up')", "Up", show=False, priority=True),
        Binding("down", "move('down')", "Down", show=False, priority=True),
        Binding("left", "move('left')", "Left", show=False, priority=True),
        Binding("right", "move('right')", "Right", show=False, priority=True),
        Binding("f1", "help", "Help", show=False),
        Binding("question_mark", "help", "Help", show=False),
    ]

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
            if app.assisted is not None:
                yield AssistanceBar(app.assisted, app.lang)
            yield Static(_("Welcome! What would you like to do?"), id="welcome")
            yield WarningBanner(app.runtime, app.lang, id="warning-banner")
            # Only the buttons take the focus: a scroll area that did showed no mark and swallowed
            # what was typed. The area still scrolls to the focused button if a town offers many.
            with VerticalScroll(id="services", can_focus=False):
                forms = sorted(app.runtime.forms, key=lambda f: (f.order, f.id))
                for first in range(0, len(forms), 2):  # two buttons side by side
                    with Horizontal(classes="service-row"):
                        for form in forms[first : first + 2]:
                            yield ServiceButton(form, app.lang, classes="service")
                with Horizontal(classes="service-row"):  # side by side: 80×25 has no line to spare
                    yield Button(_("Check the status of an application"), id="status", classes="-secondary")
                    if app.assisted is None:
                        yield Button(_("Someone is helping me"), id="helped", classes="-secondary")
                # what the focused button is for; first the first service, which has the focus
                first_summary = forms[0].text("summary", app.lang) if forms else ""
                yield Static(first_summary, id="service-summary", markup=False)
            yield ConnectionLine(
                app.runtime, app.lang, refused=app.townhall_refuses, id="connection"
            )
            yield KeyHints(
                [
                    ("↑↓←→", _("move")),
                    ("Enter", _("choose")),
                    ("F1", _("Help")),
                    ("F2", LANGUAGE_NAMES[other_language]),
                    ("F5", _("Read aloud")),
                    ("F7", _("More time")),
                    ("F4", _("Larger text")),
                    ("F3", _("Plain language")),
                ],
                spare=("F3", "F4", "F7", "F5"),  # all in the help (F1) too
            )

    def on_mount(self) -> None:
        self.focus_default()
        self.set_interval(CONNECTION_REFRESH_SECONDS, self.refresh_connection)

    def focus_default(self) -> None:
        buttons = self.query(ServiceButton)
        if buttons:
            buttons.first().focus()

    def refresh_connection(self) -> None:
        """After an exchange or a stick transfer (and every few seconds): the footer, and the
        warnings, which an exchange may have just brought."""
        for line in self.query(ConnectionLine):
            line.refresh_from_queue(refused=self.app.townhall_refuses)
        for banner in self.query(WarningBanner):
            banner.refresh_from_store()

    def on_screen_resume(self) -> None:
        self.refresh_connection()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        self._show_summary(event.widget)

    def _show_summary(self, widget: Widget) -> None:
        """Below the buttons: what the focused one is for."""
        _ = self.app.gettext
        if isinstance(widget, ServiceButton):
            text = widget.form.text("summary", self.app.lang)
        elif widget.id == "status":
            text = _("With the code from your receipt you can see how far your application has got.")
        elif widget.id == "helped":
            text = _("A relative, a friend or a volunteer helps you fill in, or someone acts for you with a power of attorney.")
        else:
            return
        self.query_one("#service-summary", Static).update(text)

    # --- keys ----------------------------------------------------------------------------------

    def action_move(self, direction: str) -> None:
        """The arrow keys: to the nearest button in that direction, as the buttons are laid out."""
        current = self.focused
        if current is None:
            self.focus_default()
            return
        target = nearest_in_direction(current, [b for b in self.query(Button) if b.focusable], direction)
        if target is not None:
            # At once, not through ``focus()``, which only queues the change: an Enter typed right
            # after the arrow (already waiting in the queue) must press the button moved to.
            self.set_focus(target)

    def action_help(self) -> None:
        self.app.push_screen(KioskHelpScreen())

    # --- buttons -------------------------------------------------------------------------------

    @on(Button.Pressed, "ServiceButton")
    def _start_service(self, event: Button.Pressed) -> None:
        assert isinstance(event.button, ServiceButton)
        self.app.start_service(event.button.form)

    @on(Button.Pressed, "#status")
    def _status(self) -> None:
        self.app.show_status_lookup()

    @on(Button.Pressed, "#helped")
    def _helped(self) -> None:
        self.app.begin_help()

    @on(Button.Pressed, "#language")
    def _language(self) -> None:
        self.app.action_switch_language()


def nearest_in_direction(current: Widget, candidates: list[Widget], direction: str) -> Widget | None:
    """The widget an arrow key leads to: up/down to the nearest row above/below (then the closest
    horizontally), left/right to the nearest widget in the same row."""
    here = current.region
    best: tuple[int, int] | None = None
    found = None
    for widget in candidates:
        if widget is current:
            continue
        there = widget.region
        same_row = there.y < here.bottom and here.y < there.bottom
        if direction in ("left", "right"):
            if not same_row:
                continue
            gap = there.x - here.right if direction == "right" else here.x - there.right
            if gap < 0:
                continue
            score = (gap, 0)
        else:
            gap = there.y - here.bottom if direction == "down" else here.y - there.bottom
            if gap < 0 or same_row:
                continue
            centre = abs((there.x + there.width // 2) - (here.x + here.width // 2))
            score = (gap, centre)
        if best is None or score < best:
            best, found = score, widget
    return found
