"""The calm line on the start screen: how many applications still wait for the town hall.

A kiosk with a town-hall address speaks of the connection; a kiosk served only by USB stick
speaks of the next transport, since no connection is ever coming. When the town hall refuses
this kiosk, the line says so plainly, without technical detail, until an exchange succeeds again.
"""

from __future__ import annotations

import logging
from typing import Any

from textual.widgets import Static

from kiosk.errors import RathausError
from kiosk.i18n import format_datetime, ntranslator, translator
from kiosk.receipt import parse_moment
from kiosk.store import OutboxState
from kiosk.ui.widgets.styles import stylesheet_next_to

log = logging.getLogger("rathaus.kiosk.ui")


def connection_text(runtime: Any, lang: str, *, refused: bool = False) -> str:
    """``2 applications are waiting for a connection · Last connection: 25.11.2026, 14:05``."""
    _ = translator(lang)
    ngettext = ntranslator(lang)
    if refused:
        return _(
            "The town hall does not accept applications from this kiosk at the moment. "
            "Your application stays safely stored here; please let the town hall know."
        )
    try:
        counts = runtime.store.counts()
        last = runtime.last_sync_at()
    except RathausError as exc:
        log.warning("queue not readable for the start screen: %s", exc.detail or exc.message)
        return ""
    by_stick = not runtime.config.server_url
    queued, on_stick = counts[OutboxState.QUEUED], counts[OutboxState.SENT]
    waiting = queued + on_stick
    if waiting == 0:
        text = _("All applications have arrived at the town hall")
    elif by_stick:
        parts = []
        if queued:
            parts.append(
                ngettext(
                    "{count} application is waiting for the next USB transport to the town hall",
                    "{count} applications are waiting for the next USB transport to the town hall",
                    queued,
                ).format(count=queued)
            )
        if on_stick:
            parts.append(
                ngettext(
                    "{count} application is on the USB stick on its way to the town hall",
                    "{count} applications are on the USB stick on their way to the town hall",
                    on_stick,
                ).format(count=on_stick)
            )
        text = " · ".join(parts)
    else:
        text = ngettext(
            "{count} application is waiting for a connection",
            "{count} applications are waiting for a connection",
            waiting,
        ).format(count=waiting)
    if last:
        when = format_datetime(parse_moment(last), lang)
        if by_stick:
            text += " · " + _("Last handover: {when}").format(when=when)
        else:
            text += " · " + _("Last connection: {when}").format(when=when)
    return text


class ConnectionLine(Static):
    """Reads the queue when asked to; never alarming, never technical."""

    DEFAULT_CSS = stylesheet_next_to(__file__)

    def __init__(self, runtime: Any, lang: str, *, refused: bool = False, **kwargs) -> None:
        super().__init__(connection_text(runtime, lang, refused=refused), markup=False, **kwargs)
        self._runtime = runtime
        self._lang = lang

    def refresh_from_queue(self, *, refused: bool = False) -> None:
        self.update(connection_text(self._runtime, self._lang, refused=refused))
