"""A radio set where Enter on the highlighted answer chooses it and goes on, and its answers, which
show by their sign whether they are chosen (● or ○, so no colour is needed) and wrap when they are
long."""

from __future__ import annotations

from textual.geometry import Size
from textual.message import Message
from textual.widgets import RadioButton, RadioSet


class AnswerRadioSet(RadioSet):
    class Confirmed(Message):
        """Enter on the highlighted answer: the person wants to go on with it."""

    _confirm_when_chosen = False

    def action_toggle_button(self) -> None:
        """Choose the highlighted answer and go on with it: what is saved is always the answer the
        person saw highlighted when pressing Enter (a first Enter that only chose, with a second one
        needed to go on, let an arrow key in between change the highlight but not the answer)."""
        highlighted = self._selected
        if highlighted is None:
            return
        button = self._nodes[highlighted]
        assert isinstance(button, RadioButton)
        if button.value:
            self.post_message(self.Confirmed())
            return
        self._confirm_when_chosen = True
        button.value = True

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """Go on only once the radio set has taken the new answer as its chosen one."""
        if self._confirm_when_chosen:
            self._confirm_when_chosen = False
            self.post_message(self.Confirmed())


class AnswerButton(RadioButton):
    """One answer of a radio set; a long answer wraps onto more lines instead of being cut off
    (Textual's radio button is always one line high)."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - Textual's name for the sign inside the box
        """● for the chosen answer, ○ for the others: readable without colour."""
        return "●" if self.value else "○"

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self.render().wrap(max(1, width))))
