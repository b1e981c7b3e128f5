"""After sending: the receipt code, the QR code, what happens now, what to bring, print, done.

The answers are already gone from memory when this screen appears; it knows only the code, the
service and the time, like the printed receipt.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.forms import FormDefinition
from kiosk.receipt import build_receipt, print_receipt, receipt_pdf
from kiosk.ui.messages import ProblemOccurred, ReceiptPrinted
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.widgets.qr_code import QrCode
from kiosk.ui.widgets.reference_code import ReferenceCode
from kiosk.ui.wording import word
from kiosk.ui.workers import reporting_problems

RECEIPTS_FOLDER = "receipts"


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

    def __init__(self, form: FormDefinition, queued: Any) -> None:
        super().__init__()
        self.form = form
        self.queued = queued
        self._print_note = ""
        self._printing = False

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
                        yield ReferenceCode(receipt.reference, id="reference")
                        yield Static(
                            _("Please write it down or print the receipt."), id="receipt-write-down"
                        )
                        yield Static(
                            f"{_('Service')}: {receipt.service}\n{_('Handed in on')}: {receipt.date_text}",
                            id="receipt-service",
                            markup=False,
                        )
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
                yield Button(_("Print receipt"), id="print", variant="primary", disabled=self._printing)
                yield Button(_("Done"), id="done", variant="success")
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
        self.query_one("#print", Button).focus()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.app.return_to_start(reset_language=True)

    @on(Button.Pressed, "#print")
    def _print(self) -> None:
        if self._printing:
            return
        _ = self.app.gettext
        self._printing = True
        self.query_one("#print", Button).disabled = True
        self._show_note(_("The receipt is being printed …"))
        config = self.app.runtime.config
        self._print_in_background(
            self.receipt(), config.printer, Path(self.app.runtime.data_dir) / RECEIPTS_FOLDER, self.app.lang
        )

    @work(thread=True, exclusive=True, group="print", exit_on_error=False)
    def _print_in_background(self, receipt, printer: str, out_dir: Path, lang: str) -> None:
        with reporting_problems(self, "printing a receipt"):
            path = print_receipt(
                receipt_pdf(receipt), reference=receipt.reference, printer=printer, out_dir=out_dir, lang=lang
            )
            self.post_message(ReceiptPrinted(path, on_paper=bool(printer)))

    def on_receipt_printed(self, message: ReceiptPrinted) -> None:
        _ = self.app.gettext
        self._printing = False
        self.query_one("#print", Button).disabled = False
        if message.on_paper:
            self._show_note(_("The receipt has been printed. Please take it from the printer."))
        else:
            self._show_note(_("There is no printer at this kiosk. Please write down your code."))
        self.query_one("#done", Button).focus()

    def on_problem_occurred(self, message: ProblemOccurred) -> None:
        self._printing = False
        self.query_one("#print", Button).disabled = False
        self._show_note("")

    def _show_note(self, text: str) -> None:
        self._print_note = text
        note = self.query_one("#print-note", Static)
        note.update(text)
        note.set_class(not text, "-empty")
