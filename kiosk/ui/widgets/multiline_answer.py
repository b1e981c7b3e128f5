"""Several lines of free text (Enter starts a new line, Tab goes on to the buttons)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import TextArea

from kiosk.ui.widgets.answer_input import AnswerInput
from kiosk.ui.widgets.styles import stylesheet_next_to


class MultilineAnswer(AnswerInput):
    DEFAULT_CSS = stylesheet_next_to(__file__)

    def compose(self) -> ComposeResult:
        yield TextArea(
            "" if self.initial is None else str(self.initial),
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            id="answer-text",
        )

    def read_raw(self) -> str:
        return self.query_one("#answer-text", TextArea).text

    def focus_answer(self, part: str | None = None) -> None:
        area = self.query_one("#answer-text", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
