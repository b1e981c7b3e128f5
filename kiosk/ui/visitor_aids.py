"""The keys a visitor may need, each for their visit only: plain language (F3), larger text (F4),
reading aloud (F5, F6) and much more time (F7), and what ends a visit.

Mixed into ``KioskApp`` (which binds the keys and holds ``visit``, ``speaker``, ``speaking_for``,
``idle_seconds`` and ``_last_activity``), so the app keeps the order of screens and this module the
aids. Every one of these keys also counts as someone being there: it closes "Do you need more
time?" first.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from textual.screen import ModalScreen

from kiosk.speech import reset_mixer_volume
from kiosk.ui.read_aloud import screen_reading
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.screens.still_there import StillThereScreen


class VisitorAids:
    """Actions behind F3, F4, F5, F6 and F7, and the end of a visit."""

    runtime: Any
    visit: Any
    speaker: Any
    speaking_for: Any
    idle_seconds: float
    _last_activity: float

    def end_visit(self) -> None:
        """The visitor has gone: their choices, what they told us and the voice are reset."""
        self.visit.end()
        self.speaker.forget()
        reset_mixer_volume(getattr(self.runtime.config, "speech_volume_percent", 80))
        self.apply_visit_look()

    async def action_toggle_plain_language(self) -> None:
        """F3: plain language beside the official wording, on every question of this visit."""
        await self._someone_is_here()
        self.visit.plain_language = not self.visit.plain_language
        self._rebuild_visible_screens()
        _ = self.gettext
        self.notify(
            _("Plain language is on.") if self.visit.plain_language else _("Plain language is off."),
            timeout=3,
        )

    async def action_toggle_large_text(self) -> None:
        """F4: larger text for this visit (bold, more space, fewer words on a line)."""
        await self._someone_is_here()
        self.visit.large_text = not self.visit.large_text
        self.apply_visit_look()
        _ = self.gettext
        self.notify(
            _("Larger text is on.") if self.visit.large_text else _("Larger text is off."),
            timeout=3,
        )

    def apply_visit_look(self) -> None:
        """The look this visitor chose, on every screen (a class on the app that app.tcss uses)."""
        self.set_class(self.visit.large_text, "-large-text")

    async def action_more_time(self) -> None:
        """F7: ten times the usual quiet time before the kiosk asks whether someone is there."""
        await self._someone_is_here()
        self.visit.more_time = True
        _ = self.gettext
        minutes = round(self.idle_seconds * self.visit.time_factor / 60)
        self.notify(
            _("You have more time now: the kiosk waits {minutes} minutes before it asks.").format(
                minutes=minutes
            ),
            timeout=6,
        )

    async def action_read_aloud(self) -> None:
        """F5: read the screen aloud in the language on screen; pressed while speaking: stop."""
        await self._someone_is_here()
        if self.speaker.speaking:
            self.speaker.stop()
            return
        if not self.speaker.available:
            self._speech_not_set_up()
            return
        self.speaking_for = self.screen
        self.visit.reads_aloud = True
        if not self.speaker.speak(screen_reading(self.screen, self.lang), self.lang):
            self._speech_not_set_up()

    async def action_repeat_aloud(self) -> None:
        """F6: say the last reading again from its start (or read this screen if nothing yet)."""
        await self._someone_is_here()
        if not self.speaker.available:
            self._speech_not_set_up()
            return
        if not self.speaker.last_text:
            await self.action_read_aloud()
            return
        self.speaking_for = self.screen
        self.speaker.repeat()

    def _speech_not_set_up(self) -> None:
        _ = self.gettext
        self.notify(
            _("Reading aloud is not set up at this kiosk. Please ask the staff."),
            severity="warning",
            timeout=6,
        )

    async def _someone_is_here(self) -> None:
        """A key for reading aloud, plain language or time counts as someone being there: the
        "more time?" window closes first, so the key then acts on the screen below it."""
        self._last_activity = monotonic()
        if isinstance(self.screen, StillThereScreen):
            await self.screen.dismiss(True)

    def _rebuild_visible_screens(self) -> None:
        """Show the texts again (another language, plain language on or off) where they can be
        seen now (the top screen and what shows through its windows); screens hidden further down
        are rebuilt when they come back."""
        visible = True
        for screen in reversed(self.screen_stack):
            if isinstance(screen, LanguageAware):
                if visible:
                    self.call_later(screen.apply_language)
                else:
                    screen.language_stale = True
            visible = visible and isinstance(screen, ModalScreen)

