"""Pick one answer from a list: arrow keys move, Enter or Space chooses."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import RadioSet

from kiosk.ui.widgets.answer_radio_set import AnswerButton, AnswerRadioSet

from kiosk.ui.widgets.answer_input import AnswerInput
from kiosk.ui.widgets.styles import stylesheet_next_to


class ChoiceAnswer(AnswerInput):
    DEFAULT_CSS = stylesheet_next_to(__file__)

    def compose(self) -> ComposeResult:
        yield AnswerRadioSet(
            *[
                AnswerButton(option.text(self.lang), value=option.value == self.initial)
                for option in self.field.options
            ],
            id="answer-choice",
        )

    def on_mount(self) -> None:
        values = [option.value for option in self.field.options]
        if self.initial in values:  # start the arrow keys at the chosen answer
            radio_set = self.query_one(RadioSet)
            for _ in range(values.index(self.initial)):
                radio_set.action_next_button()

    def read_raw(self) -> str | None:
        index = self.query_one(RadioSet).pressed_index
        return self.field.options[index].value if index >= 0 else None

    def focus_answer(self, part: str | None = None) -> None:
        self.query_one(RadioSet).focus()
