"""The town hall's appointments: the calendar file, its tables, the staff desk, the download source.

``AppointmentDesk`` (``sync.calendar.desk``) is the library the CLI (``rathaus calendar``) and the
staff workplace call; ``open_desk(townhall_dir)`` opens it on a town hall's data folder.
"""

from __future__ import annotations

from pathlib import Path

from sync.calendar.config import CalendarConfig, calendar_path, load_calendar
from sync.calendar.desk import AppointmentDesk, DayView, SlotView, UnitView, unit_from_text
from sync.calendar.store import CalendarStore


def open_desk(townhall_dir: Path, *, lang: str | None = None) -> AppointmentDesk:
    """The desk on the town hall's ``calendar.toml`` and database; a plain error without the file."""
    from kiosk.errors import RathausError
    from kiosk.i18n import language_from_environment, translator
    from sync.calendar.source import calendar_store

    config = load_calendar(townhall_dir)
    if config is None:
        _ = translator(lang or language_from_environment())
        raise RathausError(
            _("No calendar is set up: {path} is missing. Create it with 'rathaus calendar init'.").format(
                path=calendar_path(townhall_dir)
            )
        )
    return AppointmentDesk(config, calendar_store(townhall_dir), lang=lang)


__all__ = [
    "AppointmentDesk",
    "CalendarConfig",
    "CalendarStore",
    "DayView",
    "SlotView",
    "UnitView",
    "load_calendar",
    "open_desk",
    "unit_from_text",
]
