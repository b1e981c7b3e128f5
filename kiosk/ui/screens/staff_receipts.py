"""Staff only: the last receipts made at this kiosk, to hand one out again.

A power cut (or a crash) after an application is saved but before its receipt is on screen leaves
the citizen without a code, and they might fill the form in again. Behind F12 and the PIN, staff
find the receipt here by service and time and print it again, the same way the receipt screen
prints (saved as PDF in the data folder, and on paper where a printer is set up). A receipt holds
no personal data, so neither does this list: code, service, time. It is reached only from the
staff screen, and the idle time takes it away with the staff screen.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from kiosk import refcode
from kiosk.appointments.booking import read_calendar
from kiosk.appointments.wording import receipt_words
from kiosk.errors import RathausError
from kiosk.i18n import format_datetime, translator
from kiosk.printing import print_receipt_on
from kiosk.receipt import build_receipt, parse_moment
from kiosk.store import ReceiptRecord
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.screens.receipt import RECEIPTS_FOLDER
from kiosk.ui.widgets.key_hints import KeyHints

log = logging.getLogger("rathaus.kiosk.ui")

RECENT_RECEIPTS = 20


class StaffReceiptsScreen(LanguageAware, Screen):
    """The newest receipts first; Enter prints the highlighted one again."""

    CSS_PATH = "staff_receipts.tcss"
    BINDINGS = [Binding("escape", "back", "Back", show=False)]

    class Reprinted(Message):
        """A reprint ended (sent from the worker thread) with one sentence for staff."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self._result = ""
        self.busy = False

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        records = self.app.runtime.store.recent_receipts(RECENT_RECEIPTS)
        with Vertical(id="receipts-page"):
            yield Static(_("Print a receipt again"), id="receipts-title")
            if records:
                yield Static(
                    _("The last receipts made at this kiosk, newest first. Choose one and press Enter to print it again."),
                    id="receipts-text",
                )
                yield OptionList(
                    *(Option(Content(self._line(record)), id=record.reference) for record in records),
                    id="receipts",
                )
            else:
                yield Static(_("No receipts have been made at this kiosk yet."), id="receipts-text")
            yield Static(self._result, id="receipts-result", classes="" if self._result else "-empty", markup=False)
            with Horizontal(id="receipts-buttons"):
                yield Button(_("Back to the staff screen"), id="back", classes="-secondary")
        yield KeyHints([("↑ ↓", _("choose a receipt")), ("Enter", _("print it again")), ("Esc", _("Back"))])

    def _line(self, record: ReceiptRecord) -> str:
        return "   ".join(
            (
                refcode.display(record.reference),
                self._service(record.form_id),
                format_datetime(parse_moment(record.captured_at), self.app.lang),
            )
        )

    def _service(self, form_id: str) -> str:
        try:
            return self.app.runtime.form(form_id).text("title", self.app.lang)
        except RathausError:
            return form_id  # a service no longer offered here is still named by its id

    def on_mount(self) -> None:
        self.focus_default()

    def focus_default(self) -> None:
        found = self.query("#receipts")
        (found.first() if found else self.query_one("#back", Button)).focus()

    @on(OptionList.OptionSelected, "#receipts")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if self.busy or event.option.id is None:
            return
        _ = self.app.gettext
        record = next(
            (r for r in self.app.runtime.store.recent_receipts(RECENT_RECEIPTS) if r.reference == event.option.id),
            None,
        )
        if record is None:
            return
        self.busy = True
        self._show(_("The receipt is being printed …"))
        runtime = self.app.runtime
        self._reprint(record, Path(runtime.data_dir) / RECEIPTS_FOLDER, self.app.lang)

    @work(thread=True, exclusive=True, group="reprint", exit_on_error=False)
    def _reprint(self, record: ReceiptRecord, out_dir: Path, lang: str) -> None:
        _ = translator(lang)
        runtime = self.app.runtime
        code = refcode.display(record.reference)
        try:
            found = runtime.appointments.find(record.reference)  # a booking: its time again
            receipt = build_receipt(
                runtime.form(record.form_id),
                reference=record.reference,
                captured_at=record.captured_at,
                municipality=runtime.config.municipality,
                lang=lang,
                status_url=runtime.config.status_url,
                **receipt_words(found.info if found else None, read_calendar(runtime.store), lang),  # type: ignore[arg-type]
            )
            outcome = print_receipt_on(receipt, runtime.config.printer, out_dir)
            path = outcome.saved
            if outcome.on_paper:
                text = _("The receipt {code} has been printed again.").format(code=code)
            else:
                text = _(
                    "There is no printer at this kiosk. The receipt {code} is saved as {path}; "
                    "please write the code down for the citizen."
                ).format(code=code, path=path)
        except RathausError as exc:
            if exc.detail:
                log.info("reprinting a receipt: %s", exc.detail)
            text = exc.message
        except Exception as exc:  # staff see a calm sentence; the log gets where it happened
            log.error(
                "unexpected %s while reprinting a receipt:\n%s",
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            text = _("Something went wrong. Nothing is lost; please try again or look into kiosk.log.")
        self.post_message(self.Reprinted(text))

    def on_staff_receipts_screen_reprinted(self, message: Reprinted) -> None:
        self.busy = False
        self._show(message.text)

    def _show(self, text: str) -> None:
        self._result = text
        result = self.query_one("#receipts-result", Static)
        result.update(text)
        result.set_class(not text, "-empty")

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss()
