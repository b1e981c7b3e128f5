"""Pick any number of answers: arrow keys move, Space or Enter ticks or unticks."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import SelectionList

from kiosk.ui.widgets.answer_input import AnswerInput
from kiosk.ui.widgets.styles import stylesheet_next_to


class MultiChoiceAnswer(AnswerInput):
    DEFAULT_CSS = stylesheet_next_to(__file__)

    def compose(self) -> ComposeResult:
        chosen = set(self.initial or ())
        yield SelectionList[str](
            *[
                (option.text(self.lang), option.value, option.value in chosen)
                for option in self.field.options
            ],
            id="answer-choices",
        )

    def read_raw(self) -> list[str]:
        chosen = set(self.query_one(SelectionList).selected)
        return [option.value for option in self.field.options if option.value in chosen]

    def focus_answer(self, part: str | None = None) -> None:
        self.query_one(SelectionList).focus()
