"""One line of text: names, dates, numbers, amounts, IBAN, e-mail and phone numbers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input

from kiosk.i18n import translator
from kiosk.ui.widgets.answer_input import AnswerInput
from kiosk.ui.widgets.styles import stylesheet_next_to

# Longest sensible input per type; the form's own max_length wins for text.
_INPUT_LIMITS = {"date": 20, "number": 20, "money": 24, "iban": 50, "phone": 30, "email": 254}


class TextAnswer(AnswerInput):
    DEFAULT_CSS = stylesheet_next_to(__file__)

    def compose(self) -> ComposeResult:
        _ = translator(self.lang)
        placeholder = _("DD.MM.YYYY") if self.field.type == "date" else ""
        limit = _INPUT_LIMITS.get(self.field.type, 0)
        if self.field.type == "text" and self.field.max_length:
            limit = self.field.max_length + 20  # a little room, so the message can say how much to cut
        yield Input(
            value="" if self.initial is None else str(self.initial),
            placeholder=placeholder,
            max_length=limit,
            id="answer-text",
            classes=f"-{self.field.type}",
        )

    def read_raw(self) -> str:
        return self.query_one("#answer-text", Input).value

    def focus_answer(self, part: str | None = None) -> None:
        self.query_one("#answer-text", Input).focus()
