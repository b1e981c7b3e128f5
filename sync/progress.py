"""How far a long upload has got: applications, bytes and the time still needed, in plain words.

The outbox reports an ``UploadProgress`` after every chunk the town hall confirmed; ``rathaus sync``
prints it on one line and the kiosk's staff screen shows it under the "exchange now" button. The
estimate uses the throughput measured in this round, so it follows the link as it is today.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

from kiosk.i18n import ntranslator, translator


@dataclass(frozen=True)
class UploadProgress:
    """``items_sent`` of ``items_total`` applications and ``bytes_sent`` of about ``bytes_total``
    bytes are at the town hall; ``seconds_left`` is ``None`` until there is a rate to go by."""

    items_sent: int
    items_total: int
    bytes_sent: int
    bytes_total: int
    seconds_left: float | None


ProgressCallback = Callable[[UploadProgress], None]


class ProgressTracker:
    """Adds up one round: confirmed bytes of finished batches plus the offset of the current one."""

    def __init__(
        self,
        callback: ProgressCallback | None,
        *,
        items_total: int,
        bytes_total: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self._clock = clock
        self.items_total = items_total
        self.bytes_total = bytes_total
        self.items_sent = 0
        self._done_bytes = 0  # of finished batches
        self._current = 0
        self._started: float | None = None
        self._start_bytes = 0

    def batch_offset(self, offset: int, length: int) -> None:
        """The town hall holds ``offset`` of the current batch's ``length`` bytes."""
        now = self._clock()
        if self._started is None:
            self._started, self._start_bytes = now, self._done_bytes + offset  # resumed bytes are not speed
        self._current = offset
        self.bytes_total = max(self.bytes_total, self._done_bytes + length)
        self._report(now)

    def batch_done(self, length: int, items: int) -> None:
        self._done_bytes += length
        self._current = 0
        self.items_sent += items
        self._report(self._clock())

    def _report(self, now: float) -> None:
        if self._callback is None:
            return
        sent = self._done_bytes + self._current
        left: float | None = None
        if self._started is not None and now > self._started and sent > self._start_bytes:
            rate = (sent - self._start_bytes) / (now - self._started)
            left = max(0.0, self.bytes_total - sent) / rate
        self._callback(
            UploadProgress(
                items_sent=min(self.items_sent, self.items_total),
                items_total=self.items_total,
                bytes_sent=sent,
                bytes_total=max(self.bytes_total, sent),
                seconds_left=left,
            )
        )


def _size(count: int) -> str:
    if count < 10 * 1024:
        return f"{count} B"
    if count < 10 * 1024 * 1024:
        return f"{count // 1024} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def describe_progress(progress: UploadProgress, lang: str) -> str:
    """``Sending: 120 of 200 applications, 64 KB of 110 KB, about 2 minutes left``."""
    _ = translator(lang)
    ngettext = ntranslator(lang)
    text = ngettext(
        "Sending: {sent} of {total} application, {bytes_sent} of {bytes_total}",
        "Sending: {sent} of {total} applications, {bytes_sent} of {bytes_total}",
        progress.items_total,
    ).format(
        sent=progress.items_sent,
        total=progress.items_total,
        bytes_sent=_size(progress.bytes_sent),
        bytes_total=_size(progress.bytes_total),
    )
    left = progress.seconds_left
    if left is None:
        return text
    if left < 60:
        seconds = max(1, math.ceil(left))
        remaining = ngettext("about {n} second left", "about {n} seconds left", seconds).format(n=seconds)
    else:
        minutes = math.ceil(left / 60)
        remaining = ngettext("about {n} minute left", "about {n} minutes left", minutes).format(n=minutes)
    return f"{text}, {remaining}"
