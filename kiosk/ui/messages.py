"""What background work tells the screens once it is done (past tense: it has happened).

Slow work (sealing, printing, talking to the town hall) runs in thread workers so the screen never
freezes; the workers report back only through these messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message

from kiosk.errors import RathausError


class SubmissionQueued(Message):
    """The application is sealed and waits in the queue; ``queued`` is the store's record."""

    def __init__(self, queued: Any) -> None:
        super().__init__()
        self.queued = queued


class ReceiptPrinted(Message):
    """The receipt was saved as ``path`` and, when ``on_paper``, sent to the printer."""

    def __init__(self, path: Path, *, on_paper: bool) -> None:
        super().__init__()
        self.path = path
        self.on_paper = on_paper


class SyncFinished(Message):
    """One exchange with the town hall ended; ``report`` has ``sent``, ``acknowledged``,
    ``statuses`` and ``error``."""

    def __init__(self, report: Any) -> None:
        super().__init__()
        self.report = report


class ProblemOccurred(Message):
    """Background work failed; ``error`` is shown to the person (``None``: something unexpected)."""

    def __init__(self, error: RathausError | None) -> None:
        super().__init__()
        self.error = error
