"""A radio set where Enter on the answer already chosen means "yes, this one, go on", and its
answers, which wrap when they are long."""

from __future__ import annotations

from textual.geometry import Size
from textual.message import Message
from textual.widgets import RadioButton, RadioSet


class AnswerRadioSet(RadioSet):
    class Confirmed(Message):
        """Enter on the chosen answer: the person wants to go on with it."""

    def action_toggle_button(self) -> None:
        pressed = self.pressed_button
        if pressed is not None and pressed.has_class("-selected"):  # the highlighted one
            self.post_message(self.Confirmed())
            return
        super().action_toggle_button()


class AnswerButton(RadioButton):
    """One answer of a radio set; a long answer wraps onto more lines instead of being cut off
    (Textual's radio button is always one line high)."""

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self.render().wrap(max(1, width))))
