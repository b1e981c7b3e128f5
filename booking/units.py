"""Naming one bookable place in time: a slot (service, place, start) and one of its capacity units.

A slot that serves two people at once has units 0 and 1; a booking, a kiosk's quota and the
database's uniqueness rule are all about a *unit*, so "no slot ever held by two people" is "no unit
ever held twice".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SLOT_ID = re.compile(r"[a-z][a-z0-9_-]{0,31}@[a-z][a-z0-9_-]{0,31}@\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
MAX_UNITS = 64


@dataclass(frozen=True, order=True)
class UnitKey:
    """``slot_id`` is ``service@place@YYYY-MM-DDTHH:MM`` (local time of the town hall)."""

    slot_id: str
    unit: int

    def __post_init__(self) -> None:
        if not SLOT_ID.fullmatch(self.slot_id):
            raise ValueError(f"not a slot id: {self.slot_id!r}")
        if type(self.unit) is not int or not 0 <= self.unit < MAX_UNITS:
            raise ValueError(f"not a capacity unit: {self.unit!r}")

    @property
    def service(self) -> str:
        return self.slot_id.split("@", 1)[0]

    @property
    def place(self) -> str:
        return self.slot_id.split("@")[1]


def slot_id(service: str, place: str, local_start: str) -> str:
    """``local_start`` as ``YYYY-MM-DDTHH:MM``."""
    value = f"{service}@{place}@{local_start}"
    if not SLOT_ID.fullmatch(value):
        raise ValueError(f"not a slot id: {value!r}")
    return value


def format_unit(key: UnitKey) -> str:
    """``service@place@2026-12-14T09:00#1``: one string for a choice answer."""
    return f"{key.slot_id}#{key.unit}"


def parse_unit(text: object) -> UnitKey:
    """The inverse of ``format_unit``; ``ValueError`` for anything else."""
    if not isinstance(text, str) or text.count("#") != 1:
        raise ValueError("not a unit")
    slot, unit = text.split("#")
    if not unit.isdigit() or len(unit) > 2:
        raise ValueError("not a unit")
    return UnitKey(slot, int(unit))
