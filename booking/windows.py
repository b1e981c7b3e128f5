"""A tentative request's preferred windows: a day and a part of it (morning, afternoon, any).

A citizen outside the kiosk's quota names up to three; the town hall confirms a unit inside one of
them, proposes another time, or declines with a reason.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PARTS: tuple[str, ...] = ("am", "pm", "any")
MAX_WINDOWS = 3
NOON = dt.time(12, 0)
_WINDOW = re.compile(r"(\d{4}-\d{2}-\d{2})/(am|pm|any)")


@dataclass(frozen=True, order=True)
class Window:
    day: dt.date
    part: str

    def __str__(self) -> str:
        return f"{self.day.isoformat()}/{self.part}"


def parse_window(text: object) -> Window:
    """``2026-12-14/am``; ``ValueError`` for anything else."""
    if not isinstance(text, str):
        raise ValueError("not a window")
    match = _WINDOW.fullmatch(text)
    if match is None:
        raise ValueError("not a window")
    return Window(dt.date.fromisoformat(match.group(1)), match.group(2))


def parse_windows(values: object) -> list[Window]:
    """One to three distinct windows, in the order the citizen chose them."""
    if not isinstance(values, (list, tuple)) or not 1 <= len(values) <= MAX_WINDOWS:
        raise ValueError("one to three windows")
    windows = [parse_window(value) for value in values]
    if len(set(windows)) != len(windows):
        raise ValueError("a window twice")
    return windows


def unit_in_window(local_start: dt.datetime, window: Window) -> bool:
    """Whether a slot starting at ``local_start`` (town-hall local time) lies in ``window``."""
    if local_start.date() != window.day:
        return False
    if window.part == "am":
        return local_start.time() < NOON
    if window.part == "pm":
        return local_start.time() >= NOON
    return True
