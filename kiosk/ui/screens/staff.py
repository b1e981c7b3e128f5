"""After F12 and the right PIN: what staff do at a kiosk that has no console after lockdown.

Carry applications to the town hall on a USB stick and bring its answers back, exchange with the
town hall at once where a link exists, print a receipt again that a citizen never got, or close
the kiosk. Keys only, like every kiosk screen. The app takes this screen away after the idle time,
so it is never left open for the next citizen.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from kiosk.errors import RathausError
from kiosk.i18n import ntranslator, translator
from kiosk.pin import MIN_PIN_DIGITS
from kiosk.ui.messages import SyncFinished
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.screens.staff_receipts import StaffReceiptsScreen
from kiosk.ui.widgets.connection_line import connection_text
from kiosk.ui.widgets.key_hints import KeyHints
from sync.progress import UploadProgress, describe_progress

log = logging.getLogger("rathaus.kiosk.ui")

DEFAULT_USB_DIR = "/media/rathaus-stick"


def usb_folder(config: Any) -> str:
    """Where the stick is mounted: ``usb_dir`` in kiosk.toml, else the default."""
    return str(config.usb_dir or DEFAULT_USB_DIR)


@dataclass
class TransferOutcome:
    """What one staff action ended with: a report, or one plain sentence why it could not run."""

    action: str  # "export", "collect" or "sync"
    report: Any = None
    problem: str = ""


def describe_outcome(outcome: TransferOutcome, lang: str) -> str:
    """The outcome in plain words, one line per fact and every problem line of the report."""
    _ = translator(lang)
    ngettext = ntranslator(lang)
    if outcome.problem:
        return outcome.problem
    report = outcome.report
    lines: list[str] = []
    if outcome.action == "sync":
        if report.sent:
            lines.append(
                ngettext(
                    "{count} application was sent to the town hall.",
                    "{count} applications were sent to the town hall.",
                    report.sent,
                ).format(count=report.sent)
            )
        if report.statuses:
            lines.append(
                ngettext(
                    "{count} answer from the town hall was taken over.",
                    "{count} answers from the town hall were taken over.",
                    report.statuses,
                ).format(count=report.statuses)
            )
        if report.needing_attention:
            from sync.outbox import attention_notice

            lines.append(attention_notice(report.needing_attention, lang))
        if report.error:
            lines.append(report.error)
        elif not lines:
            lines.append(_("The town hall was reached; there was nothing new to exchange."))
        return "\n".join(lines)
    if outcome.action == "export":
        if report.items_written:
            lines.append(
                ngettext(
                    "{count} application was written to the USB stick.",
                    "{count} applications were written to the USB stick.",
                    report.items_written,
                ).format(count=report.items_written)
            )
        else:
            lines.append(_("No applications were waiting; the stick carries only a request for answers."))
    if report.acks_applied:
        lines.append(
            ngettext(
                "The town hall confirmed {count} delivery; those applications are deleted here.",
                "The town hall confirmed {count} deliveries; those applications are deleted here.",
                report.acks_applied,
            ).format(count=report.acks_applied)
        )
    if report.statuses_applied:
        lines.append(
            ngettext(
                "{count} answer from the town hall was taken over.",
                "{count} answers from the town hall were taken over.",
                report.statuses_applied,
            ).format(count=report.statuses_applied)
        )
    if outcome.action == "collect" and not lines:
        lines.append(_("There was nothing new from the town hall on the stick."))
    lines.extend(report.problems)
    if outcome.action == "export" and not report.problems:
        lines.append(_("Please take the stick to the town hall."))
    return "\n".join(lines)


class StaffScreen(LanguageAware, Screen):
    """The staff's few actions; the stick folder can be changed for one transfer."""

    CSS_PATH = "staff.tcss"
    BINDINGS = [Binding("escape", "back", "Back", show=False)]

    class TransferFinished(Message):
        """A staff action ended (sent from the worker thread)."""

        def __init__(self, outcome: TransferOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    def __init__(self, *, pin_too_short: bool = False) -> None:
        super().__init__()
        self.pin_too_short = pin_too_short  # an older kiosk's PIN: ask staff to set a longer one
        self._folder = ""  # filled from the settings when first shown; kept over a language switch
        self._outcome: TransferOutcome | None = None
        self._progress = ""  # how far a running exchange has got, while busy
        self.busy = False

    def compose(self) -> ComposeResult:
        app = self.app
        _ = app.gettext
        if not self._folder:
            self._folder = usb_folder(app.runtime.config)
        has_link = bool(app.runtime.config.server_url)
        with VerticalScroll(id="staff-page"):
            yield Static(_("Staff only"), id="staff-title")
            yield Static(
                connection_text(app.runtime, app.lang, refused=app.townhall_refuses),
                id="staff-queue",
                markup=False,
            )
            if self.pin_too_short:
                yield Static(
                    _(
                        "The staff PIN is shorter than {count} digits. Please set a longer one: "
                        "rathaus configure --staff-pin"
                    ).format(count=MIN_PIN_DIGITS),
                    id="staff-pin-warning",
                    markup=False,
                )
            yield Static(_("USB stick folder (changes apply to this transfer only):"), id="staff-folder-label")
            yield Input(value=self._folder, id="usb-dir")
            with Vertical(id="staff-actions"):
                yield Button(
                    _("Write applications to the USB stick"), id="usb-export", variant="primary", disabled=self.busy
                )
                yield Button(
                    _("Fetch answers from the USB stick"), id="usb-collect", variant="primary", disabled=self.busy
                )
                if has_link:
                    yield Button(
                        _("Exchange with the town hall now"), id="sync-now", variant="primary", disabled=self.busy
                    )
                yield Button(_("Print a receipt again"), id="reprint", variant="primary")
            yield Static(
                self._result_text(),
                id="staff-result",
                classes="" if self._outcome or self.busy else "-empty",
                markup=False,
            )
            with Horizontal(id="staff-buttons"):
                yield Button(_("Back to the kiosk"), id="back", classes="-secondary")
                yield Button(_("Close the kiosk"), id="quit", variant="error", disabled=self.busy)
        yield KeyHints([("Tab", _("next button")), ("Enter", _("choose")), ("Esc", _("Back to the kiosk"))])

    def _result_text(self) -> str:
        _ = self.app.gettext
        if self.busy:
            return self._progress or _("Please wait …")
        if self._outcome is None:
            return ""
        return describe_outcome(self._outcome, self.app.lang)

    def on_mount(self) -> None:
        self.focus_default()

    def focus_default(self) -> None:
        """The stick folder first, so that what staff type straight away lands in it (on a button
        it was lost); during a transfer, Back (the folder is read when the transfer starts)."""
        if self.busy:
            self.query_one("#back", Button).focus()
        else:
            self.query_one("#usb-dir", Input).focus()

    async def apply_language(self) -> None:
        self._folder = self.query_one("#usb-dir", Input).value
        await super().apply_language()

    def _show_result(self) -> None:
        result = self.query_one("#staff-result", Static)
        result.update(self._result_text())
        result.set_class(not (self._outcome or self.busy), "-empty")
        self.query_one("#staff-queue", Static).update(
            connection_text(self.app.runtime, self.app.lang, refused=self.app.townhall_refuses)
        )
        for button in self.query("#usb-export, #usb-collect, #sync-now, #quit").results(Button):
            button.disabled = self.busy  # one transfer at a time, and no closing halfway through

    def _start(self, action: str) -> None:
        if self.busy:
            return
        self.busy = True
        self._outcome = None
        self._progress = ""
        self._show_result()
        if action == "sync":
            self._run_sync(self.app.lang)
        else:
            folder = self.query_one("#usb-dir", Input).value.strip() or usb_folder(self.app.runtime.config)
            self._run_usb(action, Path(folder), self.app.lang)
        self.query_one("#back", Button).focus()  # the action buttons are disabled meanwhile

    @on(Button.Pressed, "#usb-export")
    def _export(self) -> None:
        self._start("export")

    @on(Button.Pressed, "#usb-collect")
    def _collect(self) -> None:
        self._start("collect")

    @on(Button.Pressed, "#sync-now")
    def _sync(self) -> None:
        self._start("sync")

    @on(Button.Pressed, "#reprint")
    def _reprint(self) -> None:
        self.app.push_screen(StaffReceiptsScreen())

    @work(thread=True, exclusive=True, group="staff", exit_on_error=False)
    def _run_usb(self, action: str, folder: Path, lang: str) -> None:
        from sync import usb  # the stick's code: loaded when staff first use it, not at start

        _ = translator(lang)
        runtime = self.app.runtime
        transfer = usb.kiosk_export if action == "export" else usb.kiosk_collect_replies
        try:
            report = transfer(folder, runtime.store, kiosk=runtime.kiosk_keys, townhall=runtime.townhall, lang=lang)
            if report.acks_applied or report.statuses_applied:
                runtime.store.record_sync()  # the town hall's replies arrived: the last handover
            outcome = TransferOutcome(action, report=report)
        except RathausError as exc:
            if exc.detail:
                log.info("USB transfer: %s", exc.detail)
            outcome = TransferOutcome(action, problem=exc.message)
        except OSError as exc:  # pulled out, read-only, full: every step is safe to repeat
            log.info("USB transfer at %s failed: %r", folder, exc)
            outcome = TransferOutcome(
                action,
                problem=_(
                    "The USB stick at {path} cannot be read or written. Nothing is lost: check the "
                    "stick and try again."
                ).format(path=folder),
            )
        except Exception as exc:  # staff must see a calm sentence; the log gets where it happened
            outcome = self._unexpected(exc, action, lang)
        self.post_message(self.TransferFinished(outcome))

    @work(thread=True, exclusive=True, group="staff", exit_on_error=False)
    def _run_sync(self, lang: str) -> None:
        from sync.outbox import BACKGROUND_TIMEOUTS, RetryPolicy

        _ = translator(lang)
        try:
            report = self.app.runtime.sync_now(
                lang=lang,
                policy=RetryPolicy(attempts=1),  # staff see the outcome at once and can press again
                timeouts=BACKGROUND_TIMEOUTS,
                progress=lambda progress: self._report_progress(progress, lang),
            )
            outcome = TransferOutcome("sync", report=report)
        except RathausError as exc:
            if exc.detail:
                log.info("exchange with the town hall: %s", exc.detail)
            outcome = TransferOutcome("sync", problem=exc.message)
        except Exception as exc:
            outcome = self._unexpected(exc, "sync", lang)
        self.post_message(self.TransferFinished(outcome))

    def _report_progress(self, progress: UploadProgress, lang: str) -> None:
        """From the worker thread; showing progress must never disturb the upload itself."""
        try:
            self.app.call_from_thread(self._show_progress, progress, lang)
        except Exception:  # the screen or the app is closing meanwhile: the upload goes on
            log.debug("upload progress not shown", exc_info=True)

    def _show_progress(self, progress: UploadProgress, lang: str) -> None:
        """Items, bytes and time left of the running exchange, where its outcome will appear."""
        self._progress = describe_progress(progress, lang)
        if self.busy and self.is_mounted:
            self.query_one("#staff-result", Static).update(self._progress)

    @staticmethod
    def _unexpected(exc: Exception, action: str, lang: str) -> TransferOutcome:
        _ = translator(lang)
        log.error(
            "unexpected %s during the staff action %s:\n%s",
            type(exc).__name__,
            action,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return TransferOutcome(
            action, problem=_("Something went wrong. Nothing is lost; please try again or look into kiosk.log.")
        )

    def on_staff_screen_transfer_finished(self, message: TransferFinished) -> None:
        self.busy = False
        self._outcome = message.outcome
        self._show_result()
        if message.outcome.action == "sync" and message.outcome.report is not None:
            self.app.post_message(SyncFinished(message.outcome.report))  # as a background round
        elif message.outcome.report is not None:
            self.app.refresh_connection_lines()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        """Back to what was on screen before F12; a running transfer still finishes safely."""
        self.dismiss()

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        if not self.busy:  # never end the kiosk halfway through writing to the stick
            self.app.exit()
