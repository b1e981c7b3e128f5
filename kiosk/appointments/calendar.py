"""What the kiosk knows of the town hall's calendar: its last ``calendar`` snapshot, read back.

The snapshot (docs/booking.md §10) is kept as it came, in the store's channel entries; this module
turns it into what the screens need: the times this kiosk may still give away for a service (its
quota, minus what it booked, minus what is past the lead time by its own clock), the days a
citizen may wish for, the town hall's answers by receipt code and the sealed vaccination records.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from babel.dates import format_datetime as babel_datetime
from babel.dates import format_date as babel_date

from booking.escrow import kiosk_may_hand_out
from booking.record_box import SealedRecord
from booking.units import parse_unit
from booking.windows import Window
from kiosk.forms import FormDefinition
from kiosk.forms.model import Field, Option
from kiosk.forms.schema import APPOINTMENT_REQUEST

CALENDAR = "calendar"
CALENDAR_USAGE = "calendar-usage"
MAX_WINDOWS = 3
_LOCALES = {"de": "de_DE", "en": "en_GB"}


@dataclass(frozen=True)
class OfferedUnit:
    unit: str
    service: str
    place: str
    start: dt.datetime
    end: dt.datetime


@dataclass
class KioskCalendar:
    lead: dt.timedelta = dt.timedelta(hours=24)
    horizon_days: int = 21
    places: dict[str, Mapping[str, str]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    quota: list[OfferedUnit] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[str, SealedRecord] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, entries: list[Any]) -> "KioskCalendar":
        calendar = cls()
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            kind = entry.get("kind")
            if kind == "info":
                calendar.lead = dt.timedelta(minutes=int(entry["lead_minutes"]))
                calendar.horizon_days = int(entry["horizon_days"])
            elif kind == "place":
                calendar.places[entry["id"]] = entry["name"]
            elif kind == "service":
                calendar.services[entry["id"]] = entry
            elif kind == "quota":
                calendar.quota.append(
                    OfferedUnit(
                        entry["unit"], entry["service"], entry["place"],
                        dt.datetime.fromisoformat(entry["start"]), dt.datetime.fromisoformat(entry["end"]),
                    )
                )
            elif kind == "answer":
                calendar.answers[entry["reference"]] = entry
            elif kind == "vaccination":
                calendar.records[entry["reference"]] = SealedRecord(
                    entry["reference"], base64.b64decode(entry["salt"]), base64.b64decode(entry["nonce"]),
                    base64.b64decode(entry["box"]),
                )
        calendar.quota.sort(key=lambda unit: (unit.start, unit.unit))
        return calendar

    def place_name(self, place: str, lang: str) -> str:
        names = self.places.get(place) or {}
        return names.get(lang) or names.get("de") or place

    def service_title(self, service: str, lang: str) -> str:
        titles = (self.services.get(service) or {}).get("title") or {}
        return titles.get(lang) or titles.get("de") or service

    def is_vaccination(self, service: str) -> bool:
        return bool((self.services.get(service) or {}).get("vaccination"))

    def offered(self, service: str, booked: set[str], now: dt.datetime) -> list[OfferedUnit]:
        """The kiosk's own units of ``service`` it may still give away now (its clock), one per
        slot (the first free unit of it)."""
        seen: set[str] = set()
        result = []
        for unit in self.quota:
            slot = unit.unit.split("#")[0]
            if unit.service != service or unit.unit in booked or slot in seen:
                continue
            if kiosk_may_hand_out(unit.start, self.lead, now):
                seen.add(slot)
                result.append(unit)
        return result

    def unit(self, text: str) -> OfferedUnit | None:
        for unit in self.quota:
            if unit.unit == text:
                return unit
        return None

    def windows(self, service: str, today: dt.date) -> list[Window]:
        """Days and parts of day the service is open, from tomorrow within the horizon."""
        days = (self.services.get(service) or {}).get("days")
        if days is None:  # no calendar yet: any weekday, morning or afternoon
            result = []
            for offset in range(1, 15):
                day = today + dt.timedelta(days=offset)
                if day.weekday() < 5:
                    result += [Window(day, "am"), Window(day, "pm")]
            return result
        return [
            Window(dt.date.fromisoformat(day[0]), part)
            for day in days
            for part in day[1:]
            if dt.date.fromisoformat(day[0]) > today
        ]


def when_text(start: dt.datetime, lang: str) -> str:
    """``Montag, 14. Dezember 2026, 09:00 Uhr`` / ``Monday, 14 December 2026, 09:00``."""
    pattern = "EEEE, d. MMMM y, HH:mm 'Uhr'" if lang == "de" else "EEEE, d MMMM y, HH:mm"
    return babel_datetime(start, pattern, tzinfo=start.tzinfo, locale=_LOCALES.get(lang, "de_DE"))


def window_text(window: Window, lang: str) -> str:
    day = babel_date(window.day, "EEEE, d. MMMM" if lang == "de" else "EEEE, d MMMM", locale=_LOCALES.get(lang, "de_DE"))
    parts = {
        "de": {"am": "vormittags", "pm": "nachmittags", "any": "ganztags"},
        "en": {"am": "morning", "pm": "afternoon", "any": "any time"},
    }
    return f"{day}, {parts.get(lang, parts['de'])[window.part]}"


def _both(make) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {lang: make(lang) for lang in ("de", "en")}


REQUEST_LABEL = {
    "de": "Keine dieser Zeiten – ich nenne meine Wunschzeiten",
    "en": "None of these times – I will say when I would like to come",
}
NO_TIME_LABEL = {
    "de": "Der Kiosk hat gerade keine freie Zeit – ich nenne meine Wunschzeiten",
    "en": "The kiosk has no free time right now – I will say when I would like to come",
}


def materialize(
    form: FormDefinition, calendar: KioskCalendar, booked: set[str], now: dt.datetime
) -> FormDefinition:
    """The form as a citizen fills it in now: its ``appointment`` question becomes a choice of the
    kiosk's free times plus "request", its ``windows`` question a choice of up to three days.
    The id, version and content hash stay the file's, so the town hall reads the answers as
    usual."""
    if not any(f.type in ("appointment", "windows") for f in form.fields):
        return form
    service = next((f.service for f in form.fields if f.type == "appointment"), None)
    fields: list[Field] = []
    for question in form.fields:
        if question.type == "appointment":
            offered = calendar.offered(question.service or "", booked, now)
            options = [
                Option(
                    unit.unit,
                    _both(lambda lang, u=unit: f"{when_text(u.start, lang)} · {calendar.place_name(u.place, lang)}"),
                )
                for unit in offered
            ]
            options.append(Option(APPOINTMENT_REQUEST, REQUEST_LABEL if offered else NO_TIME_LABEL))
            fields.append(replace(question, type="choice", options=tuple(options), multiple=False))
        elif question.type == "windows":
            windows = calendar.windows(service or "", now.date())
            options = [Option(str(w), _both(lambda lang, w=w: window_text(w, lang))) for w in windows]
            fields.append(
                replace(question, type="choice", options=tuple(options), multiple=True, maximum=MAX_WINDOWS, service=service)
            )
        else:
            fields.append(question)
    return replace(form, fields=tuple(fields))


def appointment_field(form: FormDefinition) -> Field | None:
    """The (materialized) appointment question of a form, if it has one."""
    for question in form.fields:
        if question.service and not question.multiple and question.type in ("choice", "appointment"):
            return question
    return None


def valid_unit(text: str) -> bool:
    try:
        parse_unit(text)
    except ValueError:
        return False
    return True
