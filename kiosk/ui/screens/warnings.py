"""Every official warning for this kiosk's place: most severe first, each with its headline, what to
do, until when it is valid and who issued it; the as-of time on top, and plainly when the data is
not current or could not be fetched.

The list scrolls with the arrow and page keys while the focus stays on "Back to the start", so
nothing typed is lost and the focus mark is always in sight.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.official_warnings import ShownWarning, WarningsView, severity_word, stale_sentence, when
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints


class WarningsScreen(LanguageAware, Screen):
    CSS_PATH = "warnings.tcss"
    BINDINGS = [
        Binding("escape", "close", "Back", show=False),
        Binding("up", "scroll('up')", "Up", show=False),
        Binding("down", "scroll('down')", "Down", show=False),
        Binding("pageup", "scroll('pageup')", "Page up", show=False),
        Binding("pagedown", "scroll('pagedown')", "Page down", show=False),
    ]

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        lang = self.app.lang
        view: WarningsView = self.app.runtime.warnings(lang)
        with Vertical(id="warnings-page"):
            yield Static(_("Official warnings"), id="warnings-title")
            yield Static(self._status(view), id="warnings-status", classes="-not-current" if view.state != "fresh" else "")
            with VerticalScroll(id="warnings-list", can_focus=False):
                for number, shown in enumerate(view.warnings, start=1):
                    yield from self._warning(number, shown)
            with Horizontal(id="warnings-buttons"):
                yield Button(_("Back to the start"), id="close")
            yield KeyHints([("↑↓", _("scroll")), ("Esc", _("Back to the start"))])

    def _status(self, view: WarningsView) -> str:
        _ = self.app.gettext
        lang = self.app.lang
        if view.state in ("never", "off") or view.as_of is None:
            return _(
                "Official warnings could not be fetched. Please also pay attention to radio, sirens and warning apps."
            )
        text = _("As of: {when}").format(when=when(view.as_of, lang))
        if view.state == "stale":
            text += "\n" + stale_sentence(view, lang)
            if not view.warnings:
                text += " " + _("Whether there are warnings now is not known here.")
        elif not view.warnings:
            text += "\n" + _("No current warnings known for this place.")
        return text

    def _warning(self, number: int, shown: ShownWarning) -> ComposeResult:
        _ = self.app.gettext
        lang = self.app.lang
        with Vertical(classes=f"warning -{shown.severity.lower()}", id=f"warning-{number}"):
            yield Static(f"⚠ {severity_word(shown.severity, lang)}: {shown.headline}", classes="warning-headline", markup=False)
            if shown.instruction:
                yield Static(_("What to do:"), classes="warning-heading")
                yield Static(shown.instruction, classes="warning-instruction", markup=False)
            if shown.description:
                yield Static(shown.description, classes="warning-description", markup=False)
            if shown.onset and shown.expires:
                valid = _("Valid from {start} until {end}").format(start=when(shown.onset, lang), end=when(shown.expires, lang))
            elif shown.expires:
                valid = _("Valid until {end}").format(end=when(shown.expires, lang))
            else:
                valid = _("Valid until it is lifted")
            yield Static(valid, classes="warning-valid")
            yield Static(_("Issued by: {sender}").format(sender=shown.sender), classes="warning-sender", markup=False)

    def on_mount(self) -> None:
        self.focus_default()

    def focus_default(self) -> None:
        self.query_one("#close", Button).focus()

    def action_scroll(self, direction: str) -> None:
        area = self.query_one("#warnings-list", VerticalScroll)
        {
            "up": area.scroll_up,
            "down": area.scroll_down,
            "pageup": area.scroll_page_up,
            "pagedown": area.scroll_page_down,
        }[direction]()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.app.pop_screen()
