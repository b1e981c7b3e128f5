"""The town hall's appointment desk and the rules it shares with the kiosks, one case at a time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from booking.escrow import UsageReport, kiosk_may_hand_out
from booking.record_box import WrongSecret, open_record, SealedRecord
from booking.units import UnitKey
from kiosk.appointments.calendar import KioskCalendar
from kiosk.errors import EnvelopeError, RathausError
from sync.calendar.config import CalendarFileError, TIMEZONE, parse_calendar
from sync.calendar.desk import AppointmentDesk
from sync.calendar.store import CalendarStore
from sync.envelope.calendar import check_calendar_entry

CALENDAR = b"""
format = 1
state = "ST"
closed = ["2026-12-09"]
lead_hours = 24
horizon_days = 7

[[places]]
id = "rathaus"
name.de = "Rathaus"

[[services]]
id = "impfung"
form = "impftermin"
title.de = "Impftermin"
minutes = 30
capacity = 1
places = ["rathaus"]
kiosk_quota = 2
vaccination = true
hours.mon = ["09:00-10:00"]
hours.tue = ["09:00-10:00"]
hours.wed = ["09:00-10:00"]
hours.thu = ["09:00-10:00"]
hours.fri = ["09:00-10:00"]
"""
MONDAY = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.timezone.utc)  # 07:00 in Tangerhütte


class Clock:
    def __init__(self) -> None:
        self.now = MONDAY

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def desk():
    clock = Clock()
    store = CalendarStore.open_sqlite(":memory:")
    yield AppointmentDesk(parse_calendar(CALENDAR, Path("calendar.toml")), store, clock=clock, lang="en")
    store.close()


def report(desk, kiosk: str, *, at: dt.datetime, version: int, bookings: int) -> UsageReport:
    return UsageReport(kiosk, at, version, bookings)


def test_public_holidays_of_saxony_anhalt_and_the_towns_own_days_are_closed(desk):
    config = desk.config
    assert config.slots_on(dt.date(2026, 10, 31)) == []  # Reformation Day in Saxony-Anhalt (a Saturday anyway)
    assert config.slots_on(dt.date(2027, 1, 6)) == []  # Epiphany: a holiday in Saxony-Anhalt, not in Berlin
    assert config.closed_reason(dt.date(2027, 1, 6))
    assert config.slots_on(dt.date(2026, 12, 9)) == []  # the town's own closed day
    assert [s.start.strftime("%H:%M") for s in config.slots_on(dt.date(2026, 12, 8))] == ["09:00", "09:30"]


def test_a_calendar_file_with_a_mistake_is_refused_by_name():
    broken = CALENDAR.replace(b'hours.fri = ["09:00-10:00"]', b'hours.fri = ["10:00-09:00"]')
    with pytest.raises(CalendarFileError, match="closes before it opens"):
        parse_calendar(broken, Path("calendar.toml"))


def test_quota_goes_to_the_kiosk_and_the_counter_cannot_take_it(desk):
    version, entries = desk.snapshot_for("kiosk-a", None)
    quota = [e for e in entries if e["kind"] == "quota"]
    assert version == 1 and len(quota) == 2
    assert {e["start"][:10] for e in quota} == {"2026-12-08", "2026-12-10"}  # spread over days; the 9th is closed
    held = UnitKey(*quota[0]["unit"].split("#")[:1], int(quota[0]["unit"].split("#")[1]))
    with pytest.raises(RathausError, match="not free"):
        desk.book_at_counter(held)
    assert desk.snapshot_for("kiosk-a", None)[0] == 1  # nothing changed: the same version


def test_an_unused_quota_time_returns_after_the_lead_time_only_on_the_kiosks_word(desk):
    _, entries = desk.snapshot_for("kiosk-a", None)
    unit = next(e["unit"] for e in entries if e["kind"] == "quota" and e["start"].startswith("2026-12-08"))
    other = next(e["unit"] for e in entries if e["kind"] == "quota" and e["unit"] != unit)
    key = UnitKey(unit.split("#")[0], 0)
    cutoff = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.timezone.utc)  # Tuesday 09:00 local minus 24 h
    desk.clock.now = cutoff + dt.timedelta(hours=5)  # the town hall's clock is past the cutoff …
    desk.snapshot_for("kiosk-a", report(desk, "kiosk-a", at=cutoff - dt.timedelta(minutes=1), version=1, bookings=0))
    assert desk.store.unit(key).holder == "kiosk-a"  # … but the kiosk's own clock was not yet: still its
    desk.snapshot_for("kiosk-a", report(desk, "kiosk-a", at=cutoff, version=1, bookings=1))
    assert desk.store.unit(key).holder == "kiosk-a"  # booking no. 1 has not arrived: it may be on this unit
    desk.register_kiosk_booking("kiosk-a", "7KQM2X9TJ", UnitKey(other.split("#")[0], 0), 1, "2026-12-07T07:00:00Z")
    desk.snapshot_for("kiosk-a", report(desk, "kiosk-a", at=cutoff, version=1, bookings=1))
    assert desk.store.unit(key) is None  # frozen and unused: free at the counter
    desk.book_at_counter(key, label="Frau Schulze")


def test_a_kiosk_booking_stands_and_a_withdrawn_time_returns_once_the_kiosk_knows(desk):
    _, entries = desk.snapshot_for("kiosk-a", None)
    first, second = [e["unit"] for e in entries if e["kind"] == "quota"]
    key_1, key_2 = (UnitKey(u.split("#")[0], int(u.split("#")[1])) for u in (first, second))
    booking = desk.register_kiosk_booking("kiosk-a", "7KQM2X9TJ", key_1, 1, "2026-12-07T08:10:00Z")
    assert booking.state == "confirmed" and desk.store.unit(key_1).reference == "7KQM2X9TJ"
    assert desk.withdraw("kiosk-a", key_2)
    version, entries = desk.snapshot_for("kiosk-a", report(desk, "kiosk-a", at=MONDAY, version=1, bookings=1))
    assert second not in [e["unit"] for e in entries if e["kind"] == "quota"]
    assert desk.store.unit(key_2).holder == "kiosk-a"  # the kiosk has not seen that version yet
    desk.snapshot_for("kiosk-a", report(desk, "kiosk-a", at=MONDAY, version=version, bookings=1))
    assert desk.store.unit(key_2) is None
    view = desk.day_view(dt.date(2026, 12, 8))
    assert [(u.state, u.source, u.reference) for u in view.bookings()] == [("booked", "kiosk-a", "7KQM2X9TJ")]


def test_a_written_off_kiosk_coming_back_has_its_booking_moved_and_the_citizen_told(desk):
    _, entries = desk.snapshot_for("kiosk-a", None)
    unit = next(e["unit"] for e in entries if e["kind"] == "quota")
    key = UnitKey(unit.split("#")[0], int(unit.split("#")[1]))
    assert desk.write_off("kiosk-a") == 2
    desk.book_at_counter(key, label="Herr Krause")  # the counter gives the time away
    moved = desk.register_kiosk_booking("kiosk-a", "7KQM2X9TJ", key, 1, "2026-12-07T08:10:00Z")
    assert moved.state == "moved" and moved.key != key and moved.reason == "slot_taken"
    _, entries = desk.snapshot_for("kiosk-a", report(desk, "kiosk-a", at=MONDAY, version=1, bookings=1))
    answer = next(e for e in entries if e["kind"] == "answer" and e["reference"] == "7KQM2X9TJ")
    assert answer["state"] == "moved" and answer["start"] == moved.starts_at


def test_a_request_without_any_free_time_is_declined_with_a_reason(desk):
    for day in range(8, 32):  # the counter has given away every time of December
        for slot in desk.config.slots_on(dt.date(2026, 12, day)):
            for key in slot.units():
                desk.book_at_counter(key)
    desk.register_request("kiosk-a", "7KQM2X9TJ", "impfung", ["2026-12-08/am"], "2026-12-07T08:10:00Z")
    desk.answer_requests_automatically()
    declined = desk.store.booking("kiosk-a", "7KQM2X9TJ")
    assert declined.state == "declined" and declined.reason == "no_free_time"


def test_the_vaccination_record_opens_only_with_code_and_birth_date(desk):
    slot = desk.config.slots_on(dt.date(2026, 12, 8))[0]
    booking = desk.book_at_counter(slot.units()[0], reference="7KQM2X9TJ")
    desk.record_vaccination(
        booking.reference, birth_date=dt.date(1942, 3, 5), vaccine="Influvac Tetra", lot="AB1234",
        given_on=dt.date(2026, 12, 8), place="Rathaus, Raum 12", given_by="Dr. Weber", memory_kib=1024,
    )
    _, entries = desk.snapshot_for("", None)
    (box,) = [check_calendar_entry(e, 0) for e in entries if e["kind"] == "vaccination"]
    assert "Influvac" not in str(box) and "1942" not in str(box)  # nothing readable travels
    sealed = KioskCalendar.from_entries([box]).records["7KQM2X9TJ"]
    assert open_record(sealed, "7KQM2X9TJ", dt.date(1942, 3, 5), memory_kib=1024)["lot"] == "AB1234"
    with pytest.raises(WrongSecret):
        open_record(sealed, "7KQM2X9TJ", dt.date(1942, 3, 6), memory_kib=1024)


@pytest.mark.parametrize(
    "entry",
    [
        {"kind": "quota", "unit": "impfung@rathaus@2026-12-08T09:00#0", "service": "buergerbuero",
         "place": "rathaus", "start": "2026-12-08T09:00+01:00", "end": "2026-12-08T09:30+01:00"},
        {"kind": "answer", "reference": "7KQM2X9TA", "state": "confirmed", "service": "impfung", "place": "",
         "start": "", "end": "", "reason": ""},
        {"kind": "answer", "reference": "7KQM2X9TJ", "state": "maybe", "service": "impfung", "place": "",
         "start": "", "end": "", "reason": ""},
        {"kind": "place", "id": "rathaus", "name": {"de": "x" * 201}},
        {"kind": "info", "horizon_days": 7, "lead_minutes": 60, "extra": 1},
        {"kind": "weather"},
    ],
    ids=["unit-of-another-service", "bad-check-symbol", "unknown-state", "text-too-long", "unknown-key", "unknown-kind"],
)
def test_a_calendar_entry_that_does_not_fit_is_refused(entry):
    with pytest.raises(EnvelopeError):
        check_calendar_entry(entry, 0)


def test_the_kiosk_stops_handing_out_at_the_cutoff_by_its_own_clock():
    start = dt.datetime(2026, 12, 8, 9, 0, tzinfo=TIMEZONE)
    lead = dt.timedelta(hours=24)
    assert kiosk_may_hand_out(start, lead, start - lead - dt.timedelta(seconds=1))
    assert not kiosk_may_hand_out(start, lead, start - lead)


def test_a_broken_calendar_file_leaves_the_kiosk_its_calendar_and_answers_still_flow(tmp_path, enrol):
    """A typo in calendar.toml must neither stop the other downloads nor empty the kiosk's quota."""
    import shutil

    from kiosk.runtime import open_runtime
    from sync.allowlist import Allowlist
    from sync.calendar.config import EXAMPLE, calendar_path
    from sync.calendar.source import forget_calendar_stores
    from sync.downloads import apply_download, download_request
    from sync.keys import load_townhall_keys
    from sync.server.downloads import answer_download_request
    from sync.server.storage import open_storage

    kiosk_dir, townhall_dir = enrol("kiosk-1")
    shutil.copyfile(EXAMPLE, calendar_path(townhall_dir))

    def exchange(runtime):
        request = download_request(runtime.store, runtime.kiosk_keys)
        with open_storage(townhall_dir) as storage:
            answer = answer_download_request(
                storage, Allowlist(townhall_dir), request,
                townhall=load_townhall_keys(townhall_dir, need_encryption=False), townhall_dir=townhall_dir,
            )
        apply_download(answer, store=runtime.store, kiosk=runtime.kiosk_keys, kiosk_dir=kiosk_dir)

    try:
        with open_runtime(kiosk_dir) as runtime:
            exchange(runtime)
            before = runtime.store.channel_entries("calendar")
            assert any(entry["kind"] == "quota" for entry in before)
            calendar_path(townhall_dir).write_text("format = 1\nstate = 'XX'\n", encoding="utf-8")
            exchange(runtime)  # no error: status and keys still come
            assert runtime.store.channel_entries("calendar") == before
    finally:
        forget_calendar_stores()
