"""The ``calendar`` and ``calendar-usage`` download channels (docs/booking.md §10).

``calendar`` is a snapshot per kiosk: what the town hall offers (places, services with their open
days), the units this kiosk holds as its quota, the answers to its bookings and requests, and the
vaccination records of its citizens sealed for code + date of birth. Every entry is checked here
before anything uses it: a kiosk treats the answer as hostile until each entry fits.

``calendar-usage`` carries nothing down. Its *version* is the kiosk's usage report: the number of
bookings the kiosk has made from its quota, which the signed download request names like any
version held. The town hall answers with an empty snapshot at that same version.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

from booking.units import SLOT_ID, parse_unit
from booking.windows import PARTS
from sync.envelope import fields as f
from sync.envelope.downloads import KIND_DOWNLOAD, ChannelFormat, register_channel_format
from sync.envelope.failures import MALFORMED, envelope_error

CALENDAR = "calendar"
CALENDAR_USAGE = "calendar-usage"
MAX_CALENDAR_ENTRIES = 2000
OUTCOMES = ("confirmed", "proposed", "moved", "declined", "cancelled")
_ID = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[+-]\d{2}:\d{2}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_B64 = re.compile(r"[A-Za-z0-9+/]{4,6000}={0,2}")
_REASON = re.compile(r"[^\x00-\x1f\x7f]{0,300}")

_KEYS = {
    "info": frozenset({"kind", "horizon_days", "lead_minutes"}),
    "place": frozenset({"kind", "id", "name"}),
    "service": frozenset({"kind", "id", "form", "title", "minutes", "vaccination", "days"}),
    "quota": frozenset({"kind", "unit", "service", "place", "start", "end"}),
    "answer": frozenset({"kind", "reference", "state", "service", "place", "start", "end", "reason"}),
    "vaccination": frozenset({"kind", "reference", "salt", "nonce", "box"}),
}


def _fail(position: int, reason: str) -> Exception:
    return envelope_error(MALFORMED, KIND_DOWNLOAD, detail=f"calendar entry {position}: {reason}")


def _texts(value: Any, position: int) -> dict[str, str]:
    if not isinstance(value, dict) or not value or len(value) > 2 or set(value) - {"de", "en"}:
        raise _fail(position, "texts must be {de, en}")
    for text in value.values():
        if not isinstance(text, str) or len(text) > 200 or f.NOT_IN_MESSAGES.search(text):
            raise _fail(position, "a text is too long or holds control characters")
    return dict(value)


def _moment(value: Any, position: int, *, empty: bool = False) -> str:
    if empty and value == "":
        return value
    if not isinstance(value, str) or not _LOCAL.fullmatch(value):
        raise _fail(position, "a time is not like 2026-12-14T09:00+01:00")
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise _fail(position, "a time does not exist") from None
    return value


def check_calendar_entry(value: object, position: int) -> dict[str, Any]:
    """One entry, exactly as specified; ``malformed`` for anything else."""
    if not isinstance(value, dict) or value.get("kind") not in _KEYS:
        raise _fail(position, "unknown kind")
    kind = value["kind"]
    if set(value) != _KEYS[kind]:
        raise _fail(position, f"{kind}: wrong keys")
    fields = f.Fields(value, KIND_DOWNLOAD, _KEYS[kind], where=f"calendar entry {position}")
    if kind == "info":
        fields.integer("horizon_days", 1, 90)
        fields.integer("lead_minutes", 1, 60 * 24 * 14)
    elif kind == "place":
        fields.text("id", _ID)
        _texts(value["name"], position)
    elif kind == "service":
        fields.text("id", _ID)
        fields.text("form", _ID)
        _texts(value["title"], position)
        fields.integer("minutes", 5, 480)
        if type(value["vaccination"]) is not bool:
            raise _fail(position, "vaccination is true or false")
        days = value["days"]
        if not isinstance(days, list) or len(days) > 92:
            raise _fail(position, "days: at most 92")
        for day in days:
            if (
                not isinstance(day, list) or not 2 <= len(day) <= 3 or not isinstance(day[0], str)
                or not _DAY.fullmatch(day[0]) or any(part not in PARTS[:2] for part in day[1:])
            ):
                raise _fail(position, "a day is not [YYYY-MM-DD, am|pm …]")
            try:
                dt.date.fromisoformat(day[0])
            except ValueError:
                raise _fail(position, "a day does not exist") from None
    elif kind == "quota":
        try:
            unit = parse_unit(value["unit"])
        except ValueError:
            raise _fail(position, "not a unit") from None
        if fields.text("service", _ID) != unit.service or fields.text("place", _ID) != unit.place:
            raise _fail(position, "service or place do not match the unit")
        _moment(value["start"], position)
        _moment(value["end"], position)
    elif kind == "answer":
        fields.receipt_code("reference")
        fields.choice("state", OUTCOMES)
        fields.text("service", _ID)
        place = value["place"]
        if place != "" and not (isinstance(place, str) and _ID.fullmatch(place)):
            raise _fail(position, "place")
        _moment(value["start"], position, empty=True)
        _moment(value["end"], position, empty=True)
        fields.text("reason", _REASON)
    else:  # vaccination
        fields.receipt_code("reference")
        for key in ("salt", "nonce", "box"):
            text = fields.text(key, _B64)
            try:
                base64.b64decode(text, validate=True)
            except ValueError:
                raise _fail(position, f"{key} is not base64") from None
    return dict(value)


def _check_nothing(value: object, position: int) -> None:
    raise _fail(position, "calendar-usage carries no entries")


CALENDAR_CHANNEL = register_channel_format(
    ChannelFormat(
        name=CALENDAR,
        mode="snapshot",
        check_entry=check_calendar_entry,
        to_json=lambda entry: entry,
        max_entries=MAX_CALENDAR_ENTRIES,
    )
)
CALENDAR_USAGE_CHANNEL = register_channel_format(
    ChannelFormat(
        name=CALENDAR_USAGE,
        mode="snapshot",
        check_entry=_check_nothing,
        to_json=lambda entry: entry,
        max_entries=1,
    )
)

__all__ = ["CALENDAR", "CALENDAR_USAGE", "check_calendar_entry", "SLOT_ID"]
