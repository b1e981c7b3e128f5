"""Escrow (demarcation) of appointment slots between the town hall and its kiosks.

Every capacity unit has exactly one holder at any moment: the town hall or one kiosk. A kiosk may
hand out a unit it holds alone, offline, until the unit's **cutoff** (its start minus the lead
time) by the kiosk's own clock; the town hall is the authority for everything else. A unit a kiosk
holds comes back to the town hall only when it is *settled*: the town hall can prove from what
the kiosk itself signed that the kiosk can no longer hand it out and did not.

The proof is a **usage report**: every download request a kiosk signs names the calendar version
it holds and how many bookings it has made from its quota so far (each booking carries its
number, 1, 2, 3 …). A unit held by a kiosk is settled when a report from that kiosk

* was made (kiosk clock) at or after the unit's cutoff, or names a calendar version at or after
  the one that withdrew the unit from it, and
* names n bookings, all n of which have reached the town hall, and none of them is on the unit.

Both times in the first condition come from the same kiosk clock, so no agreement between the
clocks of kiosk and town hall is needed for safety; see docs/booking.md §4.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from booking.units import UnitKey

DEFAULT_LEAD = dt.timedelta(hours=24)


def quota_cutoff(start: dt.datetime, lead: dt.timedelta) -> dt.datetime:
    """The moment a kiosk stops handing out a unit starting at ``start``."""
    if start.tzinfo is None:
        raise ValueError("slot times carry their time zone")
    return start - lead


def kiosk_may_hand_out(start: dt.datetime, lead: dt.timedelta, now: dt.datetime) -> bool:
    """The kiosk's rule, checked with its own clock at the moment of booking."""
    if now.tzinfo is None:
        raise ValueError("the kiosk's clock is read with its time zone")
    return now < quota_cutoff(start, lead)


@dataclass(frozen=True)
class Grant:
    """One unit a kiosk holds as its quota; ``withdrawn_version`` once the town hall recalled it."""

    key: UnitKey
    kiosk_id: str
    start: dt.datetime
    granted_version: int
    withdrawn_version: int | None = None
    reference: str | None = None  # the booking the kiosk made on it, once that has arrived


@dataclass(frozen=True)
class UsageReport:
    """What one signed download request of a kiosk says about its quota."""

    kiosk_id: str
    made_at: dt.datetime  # the request's created_at: the kiosk's own clock
    calendar_version: int  # the calendar snapshot version the kiosk held then
    bookings_made: int  # quota bookings made on the kiosk up to then


def all_bookings_arrived(report: UsageReport, arrived_serials: Iterable[int]) -> bool:
    """Every quota booking the report counts has reached the town hall."""
    arrived = set(arrived_serials)
    return all(serial in arrived for serial in range(1, report.bookings_made + 1))


def grant_is_settled(
    grant: Grant, report: UsageReport | None, lead: dt.timedelta, arrived_serials: Iterable[int]
) -> bool:
    """Whether the town hall may take ``grant`` back (it is provably unused at its kiosk)."""
    if report is None or grant.reference is not None or report.kiosk_id != grant.kiosk_id:
        return False
    frozen = report.made_at >= quota_cutoff(grant.start, lead) or (
        grant.withdrawn_version is not None and report.calendar_version >= grant.withdrawn_version
    )
    return frozen and all_bookings_arrived(report, arrived_serials)


def choose_top_up(
    free: Sequence[tuple[UnitKey, dt.datetime]], held: int, target: int
) -> list[UnitKey]:
    """Which free units to add to a kiosk holding ``held`` of ``target`` for one service.

    Spread over days: first the earliest free unit of each day, then the second of each day, and
    so on, so one kiosk never holds a whole morning while the next days have nothing for it.
    ``free`` must hold only units whose cutoff is still ahead.
    """
    wanted = target - held
    if wanted <= 0:
        return []
    by_day: dict[dt.date, list[UnitKey]] = defaultdict(list)
    seen_slots: dict[dt.date, set[str]] = defaultdict(set)
    for key, start in sorted(free, key=lambda pair: (pair[1], pair[0])):
        if key.slot_id in seen_slots[start.date()]:
            continue  # one unit per slot: several people at one kiosk rarely want the same minute
        seen_slots[start.date()].add(key.slot_id)
        by_day[start.date()].append(key)
    chosen: list[UnitKey] = []
    depth = 0
    while len(chosen) < wanted and any(len(units) > depth for units in by_day.values()):
        for day in sorted(by_day):
            if depth < len(by_day[day]) and len(chosen) < wanted:
                chosen.append(by_day[day][depth])
        depth += 1
    return chosen
