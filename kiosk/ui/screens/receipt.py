"""After sending: the receipt code, the QR code, what happens now, what to bring, print, done.

The answers are already gone from memory when this screen appears; it knows only the code, the
service and the time, like the printed receipt. Where the kiosk has no printer there is no print
button (a senior cannot take a "PDF" home): the screen asks to write the code down. When printing
fails (no paper, printer off), the reason is said here, under the code, which stays in sight in
large letters to be copied by hand; no window covers it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk import refcode
from kiosk.forms import FormDefinition
from kiosk.errors import RathausError
from kiosk.printing import print_receipt_on
from kiosk.printing.target import parse_printer
from kiosk.receipt import build_receipt
from kiosk.ui.messages import ProblemOccurred, ReceiptPrinted
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.widgets.qr_code import QrCode
from kiosk.ui.widgets.reference_code import ReferenceCode
from kiosk.ui.wording import word
from kiosk.ui.workers import reporting_problems

RECEIPTS_FOLDER = "receipts"
log = logging.getLogger("rathaus.kiosk.ui")


class ReceiptScreen(LanguageAware, Screen):
    CSS_PATH = "receipt.tcss"
    # The text scrolls with the arrow keys; only the buttons take the focus (a focused scroll area
    # would show no mark).
    BINDINGS = [
        Binding("up", "scroll_body('up')", "Up", show=False),
        Binding("down", "scroll_body('down')", "Down", show=False),
        Binding("pageup", "scroll_body('page_up')", "Page up", show=False),
        Binding("pagedown", "scroll_body('page_down')", "Page down", show=False),
    ]

    def __init__(self, form: FormDefinition, queued: Any, *, helped_by: str = "") -> None:
        super().__init__()
        self.form = form
        self.queued = queued
        self.helped_by = helped_by
        self._print_note = ""
        self._printing = False
        self._print_failed = False

    @property
    def has_printer(self) -> bool:
        """Whether this kiosk has a printer to offer (a setting that names none is no printer)."""
        try:
            return parse_printer(self.app.runtime.config.printer, self.app.lang).configured
        except RathausError:
            log.warning("the printer setting cannot be read; no print button is offered")
            return False

    def receipt(self):
        config = self.app.runtime.config
        lines, cancel = self._appointment_words()
        receipt = build_receipt(
            self.form,
            reference=self.queued.reference,
            captured_at=self.queued.captured_at,
            municipality=config.municipality,
            lang=self.app.lang,
            status_url=config.status_url,
            helped_by=self.helped_by,
            appointment=lines,
            how_to_cancel=cancel,
        )
        if getattr(getattr(self.queued, "appointment", None), "state", "") == "confirmed":
            receipt = replace(receipt, next_steps="")  # nothing is waiting: the time is fixed
        return receipt

    def _appointment_words(self) -> tuple[tuple[str, ...], str]:
        info = getattr(self.queued, "appointment", None)
        if info is None:
            return (), ""
        from kiosk.appointments.booking import read_calendar
        from kiosk.appointments.wording import appointment_lines, how_to_cancel

        calendar = read_calendar(self.app.runtime.store)
        return tuple(appointment_lines(info, calendar, self.app.lang)), how_to_cancel(info, self.app.lang)

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        receipt = self.receipt()
        with Vertical(id="receipt-page"):
            yield Static(word(self.form.kind, "saved", self.app.lang), id="receipt-thanks")
            with VerticalScroll(id="receipt-body", can_focus=False):
                with Horizontal(id="receipt-top"):
                    with Vertical(id="receipt-code-box"):
                        yield Static(_("Your receipt code:"), classes="receipt-heading")
                        yield ReferenceCode(
                        receipt.reference, id="reference", classes="-copy" if self._print_failed else ""
                    )
                        yield Static(
                            _("Please write it down or print the receipt.")
                            if self.has_printer
                            else _("Please write it down."),
                            id="receipt-write-down",
                        )
                        yield Static(
                            f"{_('Service')}: {receipt.service}\n{_('Handed in on')}: {receipt.date_text}",
                            id="receipt-service",
                            markup=False,
                        )
                        if receipt.helped_by:
                            yield Static(receipt.helped_by, id="receipt-helped-by", markup=False)
                    yield QrCode(receipt.qr_data, id="qr")
                if receipt.appointment:
                    yield Static(_("Your appointment"), classes="receipt-heading")
                    yield Static("\n".join(receipt.appointment), id="appointment", markup=False)
                if receipt.how_to_cancel:
                    yield Static(receipt.how_to_cancel, id="how-to-cancel", markup=False)
                if receipt.next_steps:
                    yield Static(_("What happens now?"), classes="receipt-heading")
                    yield Static(receipt.next_steps, id="next-steps", markup=False)
                if receipt.bring:
                    yield Static(_("Please have ready or bring along"), classes="receipt-heading")
                    yield Static(
                        "\n".join(f"• {item}" for item in receipt.bring), id="bring", markup=False
                    )
            yield Static(
                self._print_note, id="print-note", classes="" if self._print_note else "-empty"
            )
            with Horizontal(id="receipt-buttons"):
                if self.has_printer:
                    yield Button(_("Print receipt"), id="print", variant="primary", disabled=self._printing)
                yield Button(_("Done"), id="done", variant="success")
                # The same visitor goes on: what they told us is offered in the next service.
                yield Button(_("Another request"), id="another", classes="-secondary")
            yield KeyHints(
                [("Tab", _("next button")), ("Enter", _("press the button")), ("↑ ↓", _("read on"))],
                spare=("↑ ↓",),
            )

    def on_mount(self) -> None:
        self.focus_default()

    def action_scroll_body(self, how: str) -> None:
        body = self.query_one("#receipt-body", VerticalScroll)
        {"up": body.scroll_up, "down": body.scroll_down, "page_up": body.scroll_page_up,
         "page_down": body.scroll_page_down}[how](animate=False)

    def focus_default(self) -> None:
        found = self.query("#print")
        (found.first() if found and not self._print_failed else self.query_one("#done", Button)).focus()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.app.return_to_start(reset_language=True)

    @on(Button.Pressed, "#another")
    def _another(self) -> None:
        self.app.return_to_start()

    @on(Button.Pressed, "#print")
    def _print(self) -> None:
        if self._printing:
            return
        _ = self.app.gettext
        self._printing = True
        self.query_one("#print", Button).disabled = True
        self._show_note(_("The receipt is being printed …"))
        config = self.app.runtime.config
        self._print_in_background(self.receipt(), config.printer, Path(self.app.runtime.data_dir) / RECEIPTS_FOLDER)

    @work(thread=True, exclusive=True, group="print", exit_on_error=False)
    def _print_in_background(self, receipt, printer: str, out_dir: Path) -> None:
        """In a worker: a printer that hangs or is switched off never freezes the screen, and
        ``print_receipt_on`` itself ends within its time limit."""
        with reporting_problems(self, "printing a receipt"):
            outcome = print_receipt_on(receipt, printer, out_dir)
            if outcome.paper_low:
                log.warning("receipt printer: the paper roll is nearly empty")
            self.post_message(ReceiptPrinted(outcome.saved, on_paper=outcome.on_paper))

    def on_receipt_printed(self, message: ReceiptPrinted) -> None:
        _ = self.app.gettext
        self._printing = False
        self._print_failed = False
        self.query_one("#reference", ReferenceCode).remove_class("-copy")
        self.query_one("#print", Button).disabled = False
        if message.on_paper:
            self._show_note(_("The receipt has been printed. Please take it from the printer."))
        else:
            self._show_note(_("There is no printer at this kiosk. Please write down your code."))
        self.query_one("#done", Button).focus()

    def on_problem_occurred(self, message: ProblemOccurred) -> None:
        """Printing failed: say why right here, with the code in sight to copy by hand."""
        message.stop()  # no window over the code
        _ = self.app.gettext
        self._printing = False
        self._print_failed = True
        self.query_one("#print", Button).disabled = False
        if message.error is not None:
            text = message.error.message
        else:
            text = _("The receipt could not be printed. Please write down your code: {code}").format(
                code=refcode.display(self.queued.reference)
            )
        self._show_note(text)
        self.query_one("#reference", ReferenceCode).add_class("-copy")
        self.query_one("#receipt-body", VerticalScroll).scroll_home(animate=False)
        self.query_one("#done", Button).focus()

    def _show_note(self, text: str) -> None:
        self._print_note = text
        note = self.query_one("#print-note", Static)
        note.update(text)
        note.set_class(not text, "-empty")
