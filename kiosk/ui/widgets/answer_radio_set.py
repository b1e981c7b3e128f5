"""A radio set where Enter on the answer already chosen means "yes, this one, go on"."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import RadioSet


class AnswerRadioSet(RadioSet):
    class Confirmed(Message):
        """Enter on the chosen answer: the person wants to go on with it."""

    def action_toggle_button(self) -> None:
        pressed = self.pressed_button
        if pressed is not None and pressed.has_class("-selected"):  # the highlighted one
            self.post_message(self.Confirmed())
            return
        super().action_toggle_button()
