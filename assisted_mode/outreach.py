"""An outreach day: a volunteer helps one visitor after another, and only counts remain.

The volunteer signs in once and opens the day; each visitor gets a number, agrees to the help,
and leaves; between two visitors the screen and every answer in memory are wiped. What the day
keeps is this object: how many visitors, and how many of them handed in, paused, withdrew the
help or left without handing in. No names, no services, no codes: the end-of-day summary is
something the volunteer may write in a report or read out at the town hall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SUBMITTED = "submitted"
PAUSED = "paused"
WITHDRAWN = "withdrawn"
LEFT = "left"  # ended without handing in (cancelled, walked away, said no to the help)
OUTCOMES: tuple[str, ...] = (SUBMITTED, PAUSED, WITHDRAWN, LEFT)


@dataclass
class OutreachDay:
    volunteer_id: str
    volunteer_name: str
    started_at: str
    visitor: int = 0  # the number of the visitor being helped now (0: none yet)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    _outcome: str | None = None

    def next_visitor(self) -> int:
        self.visitor += 1
        self._outcome = None
        return self.visitor

    def note(self, outcome: str) -> None:
        """What the current visitor did (the last word counts: a submission after a pause …)."""
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        self._outcome = outcome

    def visitor_left(self) -> None:
        """The visitor's turn is over: count what they did."""
        if self.visitor and self._outcome != "counted":
            self.counts[self._outcome or LEFT] += 1
            self._outcome = "counted"

    @property
    def visitors(self) -> int:
        return sum(self.counts.values())
