"""F1: on a question, the question again with its explanation and an example; on the start
screen, how the kiosk is used. Both in a window that Escape, F1 or Enter closes."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kiosk.forms import Field
from kiosk.ui.answer_examples import example_for
from kiosk.ui.screens.base import LanguageAware


class HelpScreen(LanguageAware, ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,f1", "close", "Close", show=False),
    ]

    def __init__(self, field: Field) -> None:
        super().__init__()
        self.field = field

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        lang = self.app.lang
        help_text = self.field.text("help", lang) or _(
            "Please answer the question as well as you can. If you are unsure, ask the staff "
            "at the town hall; you can also leave the kiosk and come back later."
        )
        example = example_for(self.field, lang)
        with Vertical(id="help-box", classes="dialog"):
            yield Static(_("Help"), classes="dialog-title")
            yield Static(self.field.text("label", lang), id="help-question", markup=False)
            yield Static(help_text, id="help-text", markup=False)
            plain = self.field.plain_text("help", lang)
            if self.app.visit.plain_language and plain:
                yield Static(_("In plain language:"), id="help-plain-title")
                yield Static(plain, id="help-plain", markup=False)
            if example:
                yield Static(
                    _("Example: {example}").format(example=example), id="help-example", markup=False
                )
            yield Button(_("Close"), id="close", variant="primary")

    def on_mount(self) -> None:
        self.focus_default()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class KioskHelpScreen(LanguageAware, ModalScreen[None]):
    """F1 on the start screen: the few keys the kiosk needs and what happens to an application."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,f1", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        with Vertical(id="help-box", classes="dialog"):
            yield Static(_("How to use this kiosk"), classes="dialog-title")
            yield Static(
                _("Choose with the arrow keys or Tab what you would like to do, then press Enter."),
                id="help-question",
            )
            yield Static(
                _(
                    "Enter: next · Esc: back · F1: help for the question · F2: Deutsch/English. "
                    "Going back loses nothing you typed."
                ),
                id="help-text",
            )
            yield Static(
                _(
                    "F3: plain language · F4: larger text · F5: read aloud (press again to stop) · "
                    "F6: read again · F7: much more time for you."
                ),
                id="help-access",
            )
            yield Static(
                _(
                    "At the end you check your answers and send them. You get a receipt code: "
                    "with it you can see here later how far your application has got. If you are "
                    "unsure, ask the staff at the town hall."
                ),
                id="help-example",
            )
            yield Button(_("Close"), id="close", variant="primary")

    def on_mount(self) -> None:
        self.focus_default()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
