"""The town hall's source of the ``calendar`` and ``calendar-usage`` download channels.

On every download request of a kiosk the source first records the kiosk's usage report (the
version of ``calendar-usage`` it names, the ``calendar`` version it holds, the request's own time)
and then lets the desk settle and top up that kiosk's quota before it writes the snapshot: "quotas
are topped up at each sync". Without a ``calendar.toml`` the town hall offers nothing bookable
and the part is empty.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from booking.escrow import UsageReport
from sync.calendar.config import CalendarFileError, load_calendar
from sync.calendar.desk import AppointmentDesk, parse_iso
from sync.calendar.store import CalendarStore
from sync.envelope.calendar import CALENDAR, CALENDAR_USAGE
from sync.envelope.downloads import ChannelPart
from sync.server.downloads import ChannelSource, SourceContext, register_source
from sync.server.storage import DB_NAME

log = logging.getLogger("rathaus.calendar")
_STORES: dict[Path, CalendarStore] = {}
_LOCK = threading.Lock()


def calendar_store(townhall_dir: Path) -> CalendarStore:
    """One calendar store per town-hall folder and process (the tables live in ``townhall.db``)."""
    path = Path(townhall_dir).resolve() / DB_NAME
    with _LOCK:
        store = _STORES.get(path)
        if store is None:
            store = _STORES[path] = CalendarStore.open_sqlite(path)
        return store


def forget_calendar_stores() -> None:
    """Close every cached store (tests, and a server shutting down)."""
    with _LOCK:
        for store in _STORES.values():
            store.close()
        _STORES.clear()


def _calendar_part(context: SourceContext, held: int) -> ChannelPart:
    try:
        config = load_calendar(context.townhall_dir) if context.townhall_dir else None
    except CalendarFileError as exc:  # a typo in calendar.toml must not stop answers and key updates
        log.warning("calendar not sent to kiosk %s: %s", context.kiosk_id, exc.message)
        config = None
    if config is None:  # the kiosk keeps what it holds; nothing of it is taken back
        return ChannelPart(CALENDAR, "snapshot", held, held, context.as_of, ())
    desk = AppointmentDesk(config, calendar_store(context.townhall_dir))  # type: ignore[arg-type]
    report = None
    if CALENDAR_USAGE in context.requested and context.requested_at:
        report = UsageReport(
            context.kiosk_id,
            parse_iso(context.requested_at),
            int(context.requested.get(CALENDAR, 0)),
            int(context.requested[CALENDAR_USAGE]),
        )
    version, entries = desk.snapshot_for(context.kiosk_id, report)
    if held and version == held:  # unchanged: the kiosk keeps what it holds; not sent again each minute
        entries = []
    return ChannelPart(CALENDAR, "snapshot", held, version, context.as_of, tuple(entries))


def _usage_part(context: SourceContext, held: int) -> ChannelPart:
    return ChannelPart(CALENDAR_USAGE, "snapshot", held, held, context.as_of, ())


register_source(ChannelSource(CALENDAR, _calendar_part))
register_source(ChannelSource(CALENDAR_USAGE, _usage_part))
