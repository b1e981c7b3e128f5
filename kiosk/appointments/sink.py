"""The kiosk applies the ``calendar`` snapshot as it came (its entries in the store) and keeps its
own count of quota bookings as the ``calendar-usage`` version (never lowered by an answer)."""

from __future__ import annotations

import sync.envelope.calendar  # noqa: F401  (registers the channel formats)
from kiosk.appointments.calendar import CALENDAR, CALENDAR_USAGE
from sync.downloads import ChannelSink, KioskContext, register_sink, snapshot_sink
from sync.envelope.downloads import ChannelPart


_replace_snapshot = snapshot_sink(CALENDAR).apply


def _apply_calendar(context: KioskContext, part: ChannelPart) -> int:
    """The town hall raises the version whenever a kiosk's calendar changes; the same version
    again means the same calendar (or a town hall that cannot read its calendar file just now):
    keep what is held, only note the as-of time."""
    held = context.store.channel_state(CALENDAR).version
    if held and part.version == held:
        context.store.record_channel(CALENDAR, version=part.version, as_of=part.as_of)
        return 0
    return _replace_snapshot(context, part)


def _apply_usage(context: KioskContext, part: ChannelPart) -> int:
    context.store.record_channel(CALENDAR_USAGE, version=part.version, as_of=part.as_of)
    return 0


register_sink(ChannelSink(CALENDAR, _apply_calendar), replace=True)
register_sink(ChannelSink(CALENDAR_USAGE, _apply_usage), replace=True)
