"""Texts the town hall sends in the calendar must be ones every kiosk accepts: a kiosk refuses the
whole signed answer for one bad calendar entry, and with it status answers and key updates. A tab
in calendar.toml is refused by `rathaus calendar check`; a line break in a decline reason is sent
as one line. Opening hours that overlap are refused too (each time would be shown twice)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.calendar.config import CalendarFileError, parse_calendar
from sync.envelope.calendar import check_calendar_entry
from tests.unit.test_booking_desk import CALENDAR, MONDAY, desk, report  # noqa: F401  (fixture)


def test_a_tab_in_a_place_name_is_refused_by_name():
    broken = CALENDAR.replace(b'name.de = "Rathaus"', b'name.de = "Rathaus,\\tRaum 12"')
    with pytest.raises(CalendarFileError, match="control character"):
        parse_calendar(broken, Path("calendar.toml"))


def test_a_decline_reason_typed_over_two_lines_reaches_the_kiosk(desk):  # noqa: F811
    desk.register_request("kiosk-a", "7KQM2X9TJ", "impfung", ["2026-12-08/am"], "2026-12-07T07:00:00Z")
    declined = desk.answer_request("7KQM2X9TJ", decline="Impfstoff fehlt.\r\nBitte\trufen Sie an: 03935 9300")
    assert declined.reason == "Impfstoff fehlt. Bitte rufen Sie an: 03935 9300"
    _, entries = desk.snapshot_for("kiosk-a", report(desk, "kiosk-a", at=MONDAY, version=0, bookings=0))
    for position, entry in enumerate(entries):
        check_calendar_entry(entry, position)  # what the kiosk checks: nothing refused
    answer = next(e for e in entries if e["kind"] == "answer")
    assert answer["reason"] == "Impfstoff fehlt. Bitte rufen Sie an: 03935 9300"


def test_opening_hours_that_overlap_are_refused_by_name():
    broken = CALENDAR.replace(b'hours.mon = ["09:00-10:00"]', b'hours.mon = ["09:00-10:00", "09:30-11:00"]')
    with pytest.raises(CalendarFileError, match="hours of mon overlap"):
        parse_calendar(broken, Path("calendar.toml"))
    touching = CALENDAR.replace(b'hours.mon = ["09:00-10:00"]', b'hours.mon = ["10:00-11:00", "09:00-10:00"]')
    assert parse_calendar(touching, Path("calendar.toml")).services["impfung"].hours["mon"][0][0].hour == 9


def test_a_lot_number_too_long_is_refused_not_cut_short(desk):  # noqa: F811
    from kiosk.errors import RathausError

    booking = desk.book_at_counter(desk.free_units("impfung", MONDAY.date(), 3)[0][0], label="Frau Lehmann")
    with pytest.raises(RathausError, match="nothing was recorded"):
        desk.record_vaccination(
            booking.reference, birth_date=MONDAY.date().replace(year=1942), vaccine="Comirnaty JN.1",
            lot="HX1234-" + "9" * 40, given_on=MONDAY.date(), place="Rathaus", given_by="Dr. Weber", memory_kib=8,
        )
    assert desk.store.vaccinations_for(booking.kiosk_id, "2000-01-01T00:00:00Z") == []


def test_a_mistyped_key_is_refused_by_name_rather_than_meaning_no_quota():
    for typo, named in (
        (b"kiosk_quota = 2", b"kiosk_qouta = 2"),
        (b"lead_hours = 24", b"lead_hour = 24"),
        (b'name.de = "Rathaus"', b'naem.de = "Rathaus"'),
    ):
        with pytest.raises(CalendarFileError, match=repr(named.split(b".")[0].split(b" ")[0].decode())):
            parse_calendar(CALENDAR.replace(typo, named), Path("calendar.toml"))
    with pytest.raises(CalendarFileError, match="vaccination must be true or false"):
        parse_calendar(CALENDAR.replace(b"vaccination = true", b'vaccination = "false"'), Path("calendar.toml"))
    assert parse_calendar(CALENDAR, Path("calendar.toml")).services["impfung"].kiosk_quota == 2
