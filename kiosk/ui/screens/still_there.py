"""After a quiet while: "Do you need more time?" Any key keeps everything; no answer clears it.

The countdown protects the next person at the kiosk: answers left behind are deleted when nobody
says they are still there. After sending (on the receipt) nothing is deleted, the application is
saved: then the question only says that the screen goes back to the start.
"""

from __future__ import annotations

import math
from time import monotonic

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kiosk.i18n import ntranslator
from kiosk.ui.screens.base import LanguageAware


class StillThereScreen(LanguageAware, ModalScreen[bool]):
    """Dismisses with ``True`` when someone answers, ``False`` when the time ran out."""

    CSS_PATH = "still_there.tcss"

    def __init__(self, answer_seconds: float, *, already_saved: bool = False) -> None:
        super().__init__()
        self.answer_seconds = answer_seconds
        self.already_saved = already_saved
        self._deadline = monotonic() + answer_seconds

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        with Vertical(id="still-box", classes="dialog"):
            yield Static(_("Do you need more time?"), id="still-question")
            yield Static(self._countdown_text(), id="still-countdown")
            yield Button(_("Yes, I need more time"), id="more-time", variant="primary")
            if not self.app.visit.more_time:
                yield Static(_("F7: much more time, for the rest of your visit."), id="still-much-more")

    def on_mount(self) -> None:
        self.focus_default()
        self.set_interval(min(1.0, max(self.answer_seconds / 4, 0.05)), self._tick)
        app = self.app
        if app.visit.reads_aloud:  # someone who listens rather than reads must hear the question too
            from kiosk.ui.read_aloud import visible_texts

            app.speaking_for = self
            app.speaker.speak(visible_texts(self), app.lang)

    def on_unmount(self) -> None:
        """Answered or timed out: the question is no longer asked aloud either."""
        if getattr(self.app, "speaking_for", None) is self:
            self.app.speaker.stop()

    def _seconds_left(self) -> int:
        return max(0, math.ceil(self._deadline - monotonic()))

    def _countdown_text(self) -> str:
        left = self._seconds_left()
        ngettext = ntranslator(self.app.lang)
        if self.already_saved:
            return ngettext(
                "Your application is saved. Otherwise the screen goes back to the start in "
                "{seconds} second.",
                "Your application is saved. Otherwise the screen goes back to the start in "
                "{seconds} seconds.",
                left,
            ).format(seconds=left)
        text = ngettext(
            "Otherwise your answers will be deleted in {seconds} second, for your privacy.",
            "Otherwise your answers will be deleted in {seconds} seconds, for your privacy.",
            left,
        )
        return text.format(seconds=left)

    def _tick(self) -> None:
        if self.app.screen is not self:  # staff opened the PIN window on top: wait for it
            self._deadline = max(self._deadline, monotonic() + 1)
            return
        if monotonic() >= self._deadline:
            self.dismiss(False)
            return
        self.query_one("#still-countdown", Static).update(self._countdown_text())

    async def apply_language(self) -> None:
        """F2 is a key like any other: someone is there."""
        self.dismiss(True)

    def on_key(self, event: events.Key) -> None:
        """Any key at all means someone is there."""
        event.stop()
        event.prevent_default()
        self.dismiss(True)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#more-time")
    def _more_time(self) -> None:
        self.dismiss(True)
