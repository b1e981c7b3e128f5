"""The end of an outreach day: counts only, and the hand-over of the sealed applications.

The applications are already sealed in the kiosk's queue; they go to the town hall as always:
over the network now, or onto the USB stick (the same transfer as the staff screen's).
"""

from __future__ import annotations

import logging
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.errors import RathausError
from kiosk.i18n import ntranslator, translator
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.screens.staff import usb_folder
from kiosk.ui.widgets.key_hints import KeyHints
from sync import usb

log = logging.getLogger("rathaus.kiosk.ui")


def summary_lines(day, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    _ = translator(lang)
    counts = day.counts
    return [
        _("Visitors: {count}").format(count=day.visitors),
        _("Applications handed in: {count}").format(count=counts["submitted"]),
        _("Paused with a pause slip: {count}").format(count=counts["paused"]),
        _("Help stopped by the visitor: {count}").format(count=counts["withdrawn"]),
        _("Left without handing in: {count}").format(count=counts["left"]),
    ]


class OutreachSummaryScreen(LanguageAware, Screen):
    CSS_PATH = "outreach_summary.tcss"

    def __init__(self, day) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.day = day
        self._note = ""

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        runtime = self.app.runtime
        with Vertical(id="summary-page"):
            yield Static(_("The outreach day has ended. Thank you!"), id="summary-title")
            yield Static("\n".join(summary_lines(self.day, self.app.lang)), id="summary-counts")
            yield Static(
                _("Applications waiting to go to the town hall: {count}").format(count=runtime.waiting_count()),
                id="summary-waiting",
            )
            yield Static(self._note, id="summary-note", classes="" if self._note else "-empty")
            with Horizontal(id="summary-buttons"):
                if runtime.config.server_url:
                    yield Button(_("Send to the town hall now"), id="send-now", variant="primary")
                yield Button(_("Write to the USB stick"), id="to-stick", variant="primary")
                yield Button(_("Done"), id="done", variant="success")
            yield KeyHints([("Tab", _("next button")), ("Enter", _("press the button"))])

    def on_mount(self) -> None:
        self.query_one("#done", Button).focus()

    def focus_default(self) -> None:
        self.query_one("#done", Button).focus()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.app.return_to_start(reset_language=True)

    @on(Button.Pressed, "#send-now")
    def _send(self) -> None:
        self._hand_over("sync", self.app.lang)

    @on(Button.Pressed, "#to-stick")
    def _stick(self) -> None:
        self._hand_over("stick", self.app.lang)

    @work(thread=True, exclusive=True, group="hand-over", exit_on_error=False)
    def _hand_over(self, how: str, lang: str) -> None:
        _ = translator(lang)
        runtime = self.app.runtime
        try:
            if how == "sync":
                report = runtime.sync_now(lang=lang)
                text = _("Sent. Applications still waiting: {count}").format(count=runtime.waiting_count()) if not report.error else _("The town hall could not be reached. The applications stay safely here; please try again later or use the USB stick.")
            else:
                report = usb.kiosk_export(
                    Path(usb_folder(runtime.config)), runtime.store, kiosk=runtime.kiosk_keys,
                    townhall=runtime.townhall, lang=lang,
                )
                ngettext = ntranslator(lang)
                text = ngettext(
                    "{count} application was written to the USB stick. Please take it to the town hall.",
                    "{count} applications were written to the USB stick. Please take it to the town hall.",
                    report.items_written,
                ).format(count=report.items_written)
        except (RathausError, OSError) as exc:
            log.info("outreach hand-over (%s) failed: %s", how, type(exc).__name__)
            text = exc.message if isinstance(exc, RathausError) else _("The USB stick cannot be written. Nothing is lost: check the stick and try again.")
        self.app.call_from_thread(self._show, text)

    def _show(self, text: str) -> None:
        note = self.query_one("#summary-note", Static)
        note.update(text)
        note.set_class(not text, "-empty")
