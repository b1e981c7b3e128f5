"""The start screen's line about official warnings: the most severe one for this place, or plainly
that none is known (only when the town hall's data is fresh), always with its as-of time.

It is a button: Enter (or a click) opens the warnings screen with every warning and what to do.
A warning is marked by the sign "⚠" and the word for its severity, not by colour alone. A kiosk
without a warning area (``rathaus configure --warning-area``) shows no banner at all.
"""

from __future__ import annotations

import logging
from typing import Any

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Button

from kiosk.errors import RathausError
from kiosk.official_warnings import WarningsView, summary_line
from kiosk.ui.widgets.styles import stylesheet_next_to

log = logging.getLogger("rathaus.kiosk.ui")

# Warnings expire and the data grows old while the screen stands: look again this often.
REFRESH_SECONDS = 30.0
# Lines of text the banner may take, so that every service and the status button stay in sight
# on a small text console (80×25); the whole text is on the warnings screen.
MAX_LINES = 2
MARK = "⚠ "
MORE = "  ›"


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
        # CAP texts come from outside: shown as written, never read as markup ("[/b]" would
        # crash the screen, "[@click=…]" would run an action).
        self.label = Content(self._text(view))

    def _text(self, view: WarningsView, **fit: Any) -> str:
        text = summary_line(view, self._lang, **fit)
        return (MARK + text if view.warnings else text) + MORE

    def fitted(self, width: int) -> Content:
        """The whole text if it takes at most ``MAX_LINES`` at ``width``; else "not up to date"
        in short, then the first headline cut as much as needed (never the severity, the count,
        the as-of time, or that the data is old)."""
        view = self.view
        if view is None:
            return self.label
        whole = Content(self._text(view))
        if _lines(whole, width) <= MAX_LINES:
            return whole
        short = Content(self._text(view, short=True))
        if not view.warnings or _lines(short, width) <= MAX_LINES:
            return short
        headline = len(view.warnings[0].headline)
        low, high = 1, headline  # the longest cut headline that fits
        while low < high:
            middle = (low + high + 1) // 2
            if _lines(Content(self._text(view, short=True, headline_chars=middle)), width) <= MAX_LINES:
                low = middle
            else:
                high = middle - 1
        return Content(self._text(view, short=True, headline_chars=low))

    def render(self) -> Content:
        return self.fitted(max(1, self.content_region.width or self.size.width - 2))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many lines as the fitted text needs."""
        return max(1, _lines(self.fitted(max(1, width)), max(1, width)))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        from kiosk.ui.screens.warnings import WarningsScreen

        self.app.push_screen(WarningsScreen())


def _lines(text: Content, width: int) -> int:
    return len(text.wrap(max(1, width)))
