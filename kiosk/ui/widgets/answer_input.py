"""What every answer input has in common, whatever the question's type.

The question screen does not care how an answer is entered: it asks the input for the raw answer
(``read_raw``, in the shape ``FormSession.answer`` takes) and tells it where to put the cursor.
"""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical

from kiosk.forms import Field


class AnswerInput(Vertical):
    """Base of the inputs; ``initial`` is what the person typed before (or ``None``)."""

    def __init__(self, field: Field, initial: Any, lang: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.field = field
        self.initial = initial
        self.lang = lang

    def read_raw(self) -> Any:
        """What is entered now, for ``FormSession.answer``."""
        raise NotImplementedError

    def focus_answer(self, part: str | None = None) -> None:
        """Put the cursor into the input (into ``part`` of an address)."""
        raise NotImplementedError
