"""One visitor at the kiosk, from the first key to the end of the visit: their choices and what
they already told us.

A visitor may switch on plain language or larger text, ask for much more time, and fill in more
than one service. Answers that describe the visitor themselves (their name, address, phone number,
e-mail address, birthday: the questions marked ``known`` in the form files) are offered again in
the next service instead of being typed twice (WCAG 2.2, 3.3.7 Redundant Entry). All of it lives in
memory only and is wiped by ``end`` when the visit ends (a finished visit, or nobody answered "Do
you need more time?"), so the next person starts from nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from kiosk.forms.model import Field

MORE_TIME_FACTOR = 10  # WCAG 2.2.1: "at least ten times the default"


@dataclass
class Visit:
    """What the kiosk knows about the person in front of it, until the visit ends."""

    plain_language: bool = False
    large_text: bool = False
    more_time: bool = False
    reads_aloud: bool = False  # has had a screen read aloud: the kiosk's own questions are spoken too
    _known: dict[str, Any] = field(default_factory=dict)

    @property
    def time_factor(self) -> int:
        """How many times the usual quiet time this visitor gets before being asked."""
        return MORE_TIME_FACTOR if self.more_time else 1

    @property
    def knows_something(self) -> bool:
        return bool(self._known)

    def remember(self, question: Field, raw: Any) -> None:
        """Keep a confirmed answer to a ``known`` question (an empty one forgets it)."""
        if not question.known:
            return
        if raw is None or raw == "" or raw == {}:
            self._known.pop(question.known, None)
        else:
            self._known[question.known] = copy.deepcopy(raw)

    def offer(self, question: Field) -> Any:
        """What this visitor already answered to a question about the same thing, or None."""
        if not question.known:
            return None
        return copy.deepcopy(self._known.get(question.known))

    def forget_answers(self) -> None:
        """What the visitor told us is gone (the help was stopped and everything typed with it
        wiped, or the next person of an outreach day comes); the choices they made for themselves,
        such as larger text, stay."""
        self._known.clear()

    def end(self) -> None:
        """The visit is over: nothing of it stays, every choice is back to the default."""
        self._known.clear()
        self.plain_language = False
        self.large_text = False
        self.more_time = False
        self.reads_aloud = False
