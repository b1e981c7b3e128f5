"""The town hall's calendar file: bookable services, places, opening hours and closed days.

``calendar.toml`` in the town hall's data folder is a file staff edit (an example ships as
``calendar.example.toml``; ``rathaus calendar init`` copies it). From it come the concrete slots:
per service and place, one slot every ``minutes`` within the opening hours of each open day, each
with ``capacity`` units. Closed are the public holidays of the town's state (``holidays``
package, e.g. ``ST`` for Saxony-Anhalt) and the dates under ``closed``.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping
from zoneinfo import ZoneInfo

import holidays

from booking.units import MAX_UNITS, UnitKey, slot_id
from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator

CALENDAR_FILE = "calendar.toml"
EXAMPLE = Path(__file__).with_name("calendar.example.toml")
TIMEZONE = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ID = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_RANGE = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
MAX_QUOTA = 50


@dataclass(frozen=True)
class Place:
    id: str
    name: Mapping[str, str]

    def text(self, lang: str) -> str:
        return self.name.get(lang) or self.name.get("de", self.id)


@dataclass(frozen=True)
class Service:
    id: str
    form: str
    title: Mapping[str, str]
    minutes: int
    capacity: int
    places: tuple[str, ...]
    hours: Mapping[str, tuple[tuple[dt.time, dt.time], ...]]
    kiosk_quota: int = 0
    vaccination: bool = False

    def text(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("de", self.id)


@dataclass(frozen=True)
class Slot:
    """One bookable time of one service at one place; ``capacity`` people at once."""

    id: str
    service: str
    place: str
    start: dt.datetime  # aware, Europe/Berlin
    end: dt.datetime
    capacity: int

    def units(self) -> list[UnitKey]:
        return [UnitKey(self.id, unit) for unit in range(self.capacity)]


@dataclass(frozen=True)
class CalendarConfig:
    state: str
    closed: frozenset[dt.date]
    lead: dt.timedelta
    horizon_days: int
    places: Mapping[str, Place]
    services: Mapping[str, Service]
    source: Path = field(default=Path())

    def is_closed(self, day: dt.date) -> bool:
        return day in self.closed or day in _public_holidays(self.state, day.year)

    def closed_reason(self, day: dt.date) -> str | None:
        if day in self.closed:
            return "closed"
        name = _public_holidays(self.state, day.year).get(day)
        return name

    def service(self, service_id: str) -> Service:
        try:
            return self.services[service_id]
        except KeyError:
            _ = translator(language_from_environment())
            raise RathausError(
                _("Unknown bookable service '{id}'. Possible: {ids}").format(
                    id=service_id, ids=", ".join(sorted(self.services))
                )
            ) from None

    def service_for_form(self, form_id: str) -> Service | None:
        for service in self.services.values():
            if service.form == form_id:
                return service
        return None

    def slots_on(self, day: dt.date, service_id: str | None = None) -> list[Slot]:
        """Every slot of the day (of one service or all), in time order."""
        if self.is_closed(day):
            return []
        weekday = WEEKDAYS[day.weekday()]
        found: list[Slot] = []
        for service in self.services.values():
            if service_id is not None and service.id != service_id:
                continue
            for opens, closes in service.hours.get(weekday, ()):
                start = dt.datetime.combine(day, opens, TIMEZONE)
                limit = dt.datetime.combine(day, closes, TIMEZONE)
                step = dt.timedelta(minutes=service.minutes)
                while start + step <= limit:
                    for place in service.places:
                        local = start.strftime("%Y-%m-%dT%H:%M")
                        found.append(
                            Slot(slot_id(service.id, place, local), service.id, place, start, start + step, service.capacity)
                        )
                    start += step
        return sorted(found, key=lambda s: (s.start, s.id))

    def slot(self, slot_id_text: str) -> Slot | None:
        """The slot with this id, if the calendar has it (open day, within the hours)."""
        try:
            service, _place, local = slot_id_text.split("@")
            day = dt.date.fromisoformat(local[:10])
        except ValueError:
            return None
        for candidate in self.slots_on(day, service):
            if candidate.id == slot_id_text:
                return candidate
        return None

    def open_days(self, service_id: str, first: dt.date, days: int) -> list[tuple[dt.date, tuple[str, ...]]]:
        """Days a service is open from ``first`` on, each with the parts of day ("am", "pm")."""
        result = []
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            slots = self.slots_on(day, service_id)
            if not slots:
                continue
            parts = sorted({"am" if s.start.hour < 12 else "pm" for s in slots})
            result.append((day, tuple(parts)))
        return result


@lru_cache(maxsize=16)
def _public_holidays(state: str, year: int) -> Mapping[dt.date, str]:
    return dict(holidays.country_holidays("DE", subdiv=state, years=year, language="de"))


class CalendarFileError(RathausError):
    """``calendar.toml`` is missing or wrong; the message names the file and the entry."""


def _fail(path: Path, what: str) -> CalendarFileError:
    _ = translator(language_from_environment())
    return CalendarFileError(_("The calendar file {path} is not right: {what}").format(path=path, what=what))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _texts(value: Any, path: Path, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("de"), str) or not value["de"].strip():
        raise _fail(path, f"{where} needs a German text (de)")
    texts = {lang: str(text)[:200] for lang, text in value.items() if lang in ("de", "en") and isinstance(text, str)}
    if any(_CONTROL.search(text) for text in texts.values()):  # kiosks refuse them: no calendar at all
        raise _fail(path, f"{where}: a text holds a tab, line break or other control character")
    return texts


def _hours(value: Any, path: Path, where: str) -> dict[str, tuple[tuple[dt.time, dt.time], ...]]:
    if not isinstance(value, dict):
        raise _fail(path, f"{where}: hours must name weekdays (mon … sun)")
    hours: dict[str, tuple[tuple[dt.time, dt.time], ...]] = {}
    for day, ranges in value.items():
        if day not in WEEKDAYS or not isinstance(ranges, list):
            raise _fail(path, f"{where}: unknown weekday {day!r}")
        parsed = []
        for text in ranges:
            match = _RANGE.fullmatch(text) if isinstance(text, str) else None
            if match is None:
                raise _fail(path, f"{where}: {text!r} is not like 09:00-12:00")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            try:
                opens, closes = dt.time(h1, m1), dt.time(h2, m2)
            except ValueError:
                raise _fail(path, f"{where}: {text!r} is not a time of day") from None
            if closes <= opens:
                raise _fail(path, f"{where}: {text!r} closes before it opens")
            parsed.append((opens, closes))
        parsed.sort()
        for (_, closes), (opens, _) in zip(parsed, parsed[1:]):
            if opens < closes:  # the same time twice: the day view and the kiosks would show it twice
                raise _fail(path, f"{where}: the hours of {day} overlap")
        hours[day] = tuple(parsed)
    return hours


def _int(table: dict, key: str, path: Path, where: str, low: int, high: int, default: int | None = None) -> int:
    value = table.get(key, default)
    if type(value) is not int or not low <= value <= high:
        raise _fail(path, f"{where}: {key} must be a whole number from {low} to {high}")
    return value


_TOP_KEYS = frozenset({"format", "state", "closed", "lead_hours", "horizon_days", "places", "services"})
_PLACE_KEYS = frozenset({"id", "name"})
_SERVICE_KEYS = frozenset(
    {"id", "form", "title", "minutes", "capacity", "places", "hours", "kiosk_quota", "vaccination"}
)


def _only_known(table: dict, known: frozenset[str], path: Path, where: str) -> None:
    """A mistyped key (``kiosk_qouta``) would otherwise quietly mean its default (no quota)."""
    unknown = sorted(str(key) for key in table if key not in known)
    if unknown:
        raise _fail(path, f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


def parse_calendar(data: bytes, path: Path) -> CalendarConfig:
    """Check every entry; a mistake is named with its place in the file, never half-loaded."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(path, str(exc)) from None
    if raw.get("format") != 1:
        raise _fail(path, "format = 1 is missing")
    _only_known(raw, _TOP_KEYS, path, "calendar")
    state = raw.get("state", "ST")
    if not isinstance(state, str) or state not in holidays.country_holidays("DE").subdivisions:
        raise _fail(path, f"state {state!r} is not a German state code (e.g. ST)")
    closed = set()
    for text in raw.get("closed", []):
        try:
            closed.add(dt.date.fromisoformat(str(text)))
        except ValueError:
            raise _fail(path, f"closed day {text!r} is not like 2026-12-24") from None
    places: dict[str, Place] = {}
    for index, entry in enumerate(raw.get("places", [])):
        where = f"places[{index}]"
        if not isinstance(entry, dict) or not _ID.fullmatch(str(entry.get("id", ""))):
            raise _fail(path, f"{where}: id must be lower-case letters, digits, - or _")
        _only_known(entry, _PLACE_KEYS, path, where)
        places[entry["id"]] = Place(entry["id"], _texts(entry.get("name"), path, where))
    services: dict[str, Service] = {}
    for index, entry in enumerate(raw.get("services", [])):
        where = f"services[{index}]"
        if not isinstance(entry, dict) or not _ID.fullmatch(str(entry.get("id", ""))):
            raise _fail(path, f"{where}: id must be lower-case letters, digits, - or _")
        if entry["id"] in services:
            raise _fail(path, f"{where}: service {entry['id']!r} twice")
        _only_known(entry, _SERVICE_KEYS, path, where)
        if not isinstance(entry.get("vaccination", False), bool):
            raise _fail(path, f"{where}: vaccination must be true or false")
        service_places = entry.get("places")
        if not isinstance(service_places, list) or not service_places or any(p not in places for p in service_places):
            raise _fail(path, f"{where}: places must name places defined above")
        form = entry.get("form")
        if not isinstance(form, str) or not _ID.fullmatch(form):
            raise _fail(path, f"{where}: form must name the kiosk service (e.g. termin_buergerbuero)")
        services[entry["id"]] = Service(
            id=entry["id"],
            form=form,
            title=_texts(entry.get("title"), path, where),
            minutes=_int(entry, "minutes", path, where, 5, 480),
            capacity=_int(entry, "capacity", path, where, 1, MAX_UNITS, 1),
            places=tuple(service_places),
            hours=_hours(entry.get("hours", {}), path, where),
            kiosk_quota=_int(entry, "kiosk_quota", path, where, 0, MAX_QUOTA, 0),
            vaccination=bool(entry.get("vaccination", False)),
        )
    return CalendarConfig(
        state=state,
        closed=frozenset(closed),
        lead=dt.timedelta(hours=_int(raw, "lead_hours", path, "calendar", 1, 24 * 14, 24)),
        horizon_days=_int(raw, "horizon_days", path, "calendar", 1, 90, 21),
        places=places,
        services=services,
        source=path,
    )


def calendar_path(townhall_dir: Path) -> Path:
    return Path(townhall_dir) / CALENDAR_FILE


def load_calendar(townhall_dir: Path) -> CalendarConfig | None:
    """The town hall's calendar, or ``None`` when it has none yet (nothing is bookable then)."""
    path = calendar_path(townhall_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _fail(path, str(exc)) from None
    return parse_calendar(data, path)


def days(first: dt.date, count: int) -> Iterator[dt.date]:
    for offset in range(count):
        yield first + dt.timedelta(days=offset)
