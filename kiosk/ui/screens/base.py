"""What every kiosk screen can do: show itself again in the other language, and fall silent when
the visitor leaves it."""

from __future__ import annotations

from textual.widget import Widget


class LanguageAware:
    """Mixed into screens: F2 rebuilds the screen's texts, keeping what is typed."""

    language_stale = False  # hidden under other screens during a switch: rebuild when shown

    async def apply_language(self) -> None:
        """Called by the app after a language switch; screens with inputs keep their drafts."""
        self.language_stale = False
        await self.recompose()  # type: ignore[attr-defined]
        self.focus_default()

    def on_screen_suspend(self) -> None:
        """Another screen or window comes on top: what was being read aloud from here stops."""
        app = self.app  # type: ignore[attr-defined]
        if getattr(app, "speaking_for", None) is self:
            app.speaker.stop()

    def focus_default(self) -> None:
        """Put the focus where a person would start on this screen."""
        screen = self  # type: ignore[assignment]
        for widget in screen.query("*").results(Widget):  # type: ignore[attr-defined]
            if widget.focusable and widget.id != "cancel":
                widget.focus()
                return
