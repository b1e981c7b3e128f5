"""The start screen's line about official warnings: the most severe one for this place, or plainly
that none is known (only when the town hall's data is fresh), always with its as-of time.

It is a button: Enter (or a click) opens the warnings screen with every warning and what to do.
A warning is marked by the sign "⚠" and the word for its severity, not by colour alone. A kiosk
without a warning area (``rathaus configure --warning-area``) shows no banner at all.
"""

from __future__ import annotations

import logging
from typing import Any

from textual.geometry import Size
from textual.widgets import Button

from kiosk.errors import RathausError
from kiosk.official_warnings import WarningsView, summary_line
from kiosk.ui.widgets.styles import stylesheet_next_to

log = logging.getLogger("rathaus.kiosk.ui")

# Warnings expire and the data grows old while the screen stands: look again this often.
REFRESH_SECONDS = 30.0


class WarningBanner(Button):
    """Reads the kiosk's warnings when shown and every ``REFRESH_SECONDS``."""

    DEFAULT_CSS = stylesheet_next_to(__file__)

    def __init__(self, runtime: Any, lang: str, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self._runtime = runtime
        self._lang = lang
        self.view: WarningsView | None = None
        self.refresh_from_store()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self.refresh_from_store)

    def refresh_from_store(self) -> None:
        """Read the snapshot again and show what it says now."""
        try:
            view = self._runtime.warnings(self._lang)
        except RathausError as exc:  # an unreadable store is no reason to hide that we know nothing
            log.warning("warnings not readable for the start screen: %s", exc.detail or exc.message)
            view = WarningsView("never")
        self.view = view
        self.display = view.state != "off"
        self.set_class(bool(view.warnings), "-error")
        self.set_class(not view.warnings, "-secondary")
        self.set_class(view.state in ("never", "stale"), "-not-current")
        text = summary_line(view, self._lang)
        if view.warnings:
            text = "⚠ " + text
        self.label = text + "  ›"

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many lines as the wrapped text needs."""
        return max(1, len(self.label.wrap(max(1, width - 2))))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        from kiosk.ui.screens.warnings import WarningsScreen

        self.app.push_screen(WarningsScreen())
