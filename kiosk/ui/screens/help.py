"""F1 on a question: the question again, its explanation and an example, in a window."""

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
