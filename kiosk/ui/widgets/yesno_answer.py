"""Yes or No, chosen like any other answer (arrow keys, then Enter or Space)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import RadioSet

from kiosk.ui.widgets.answer_radio_set import AnswerButton, AnswerRadioSet

from kiosk.i18n import translator
from kiosk.ui.widgets.answer_input import AnswerInput
from kiosk.ui.widgets.styles import stylesheet_next_to


class YesNoAnswer(AnswerInput):
    DEFAULT_CSS = stylesheet_next_to(__file__)

    def compose(self) -> ComposeResult:
        _ = translator(self.lang)
        yield AnswerRadioSet(
            AnswerButton(_("Yes"), value=self.initial is True),
            AnswerButton(_("No"), value=self.initial is False),
            id="answer-yesno",
        )

    def on_mount(self) -> None:
        if self.initial is False:
            self.query_one(RadioSet).action_next_button()

    def read_raw(self) -> bool | None:
        index = self.query_one(RadioSet).pressed_index
        return {0: True, 1: False}.get(index)

    def focus_answer(self, part: str | None = None) -> None:
        self.query_one(RadioSet).focus()
