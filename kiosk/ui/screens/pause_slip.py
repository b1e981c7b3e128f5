"""After F8: the pause slip on screen, with its code, its QR code and how long it is valid; print it.

The answers are already sealed under the code and gone from memory. The slip is all the person
needs to carry on: at any kiosk screen "Check the status of an application", type the code.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.i18n import format_date
from kiosk.pause import PauseSlip
from kiosk.pause_slip import pause_slip_pdf, print_pause_slip
from kiosk.receipt import parse_moment
from kiosk.ui.messages import ProblemOccurred, ReceiptPrinted
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.widgets.qr_code import QrCode
from kiosk.ui.workers import reporting_problems


class PauseSlipScreen(LanguageAware, Screen):
    CSS_PATH = "pause_slip.tcss"

    def __init__(self, slip: PauseSlip) -> None:
        super().__init__()
        self.slip = slip
        self._note = ""

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        until = format_date(parse_moment(self.slip.expires_at).date(), self.app.lang)
        with Vertical(id="pause-page"):
            yield Static(_("Your application is paused."), id="pause-title")
            with Horizontal(id="pause-top"):
                with Vertical(id="pause-code-box"):
                    yield Static(_("Your pause code:"))
                    yield Static(self.slip.display_code, id="pause-code")
                    yield Static(
                        _("Your answers are kept locked until {day}. Only this code opens them.").format(day=until),
                        id="pause-until",
                    )
                    yield Static(
                        _("To carry on: choose 'Check the status of an application' and type this code."),
                        id="pause-how",
                    )
                yield QrCode(self.slip.code, id="pause-qr")
            yield Static(self._note, id="pause-note", classes="" if self._note else "-empty")
            with Horizontal(id="pause-buttons"):
                yield Button(_("Print pause slip"), id="print", variant="primary")
                yield Button(_("Done"), id="done", variant="success")
            yield KeyHints([("Tab", _("next button")), ("Enter", _("press the button"))])

    def on_mount(self) -> None:
        self.query_one("#print", Button).focus()

    def focus_default(self) -> None:
        self.query_one("#print", Button).focus()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.app.return_to_start(reset_language=True)

    @on(Button.Pressed, "#print")
    def _print(self) -> None:
        config = self.app.runtime.config
        self.query_one("#print", Button).disabled = True
        self._print_slip(config.printer, config.municipality, self.app.lang)

    @work(thread=True, exclusive=True, group="print", exit_on_error=False)
    def _print_slip(self, printer: str, municipality: str, lang: str) -> None:
        with reporting_problems(self, "printing a pause slip"):
            pdf = pause_slip_pdf(self.slip, municipality=municipality, lang=lang)
            printed = print_pause_slip(
                pdf, printer=printer, display_code=self.slip.display_code, lang=lang,
                slip=self.slip, municipality=municipality,
            )
            self.post_message(ReceiptPrinted(Path(), on_paper=printed))

    def on_receipt_printed(self, message: ReceiptPrinted) -> None:
        _ = self.app.gettext
        self.query_one("#print", Button).disabled = False
        self._show(
            _("The pause slip has been printed. Please take it from the printer.")
            if message.on_paper
            else _("There is no printer at this kiosk. Please write down your code.")
        )

    def on_problem_occurred(self, message: ProblemOccurred) -> None:
        self.query_one("#print", Button).disabled = False

    def _show(self, text: str) -> None:
        note = self.query_one("#pause-note", Static)
        note.update(text)
        note.set_class(not text, "-empty")
