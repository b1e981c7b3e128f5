"""A kiosk clock set back behind a download request the kiosk already signed must not hand out a
quota time again: the town hall took it back on the strength of that request (docs/booking.md §4)."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.escrow import quota_cutoff
from kiosk.appointments.booking import TimeNoLongerFree, read_calendar
from kiosk.appointments.calendar import appointment_field
from kiosk.runtime import open_runtime
from sync import downloads
from sync.envelope.fields import utc_timestamp
from tests.functional.test_ui_booking import calendar_by_stick, town  # noqa: F401  (fixture)


def test_a_time_whose_cutoff_a_signed_request_passed_is_not_offered_after_the_clock_went_back(town, monkeypatch):  # noqa: F811
    townhall_dir, kiosk_dir = town
    with open_runtime(kiosk_dir) as runtime:
        calendar_by_stick(runtime, townhall_dir, kiosk_dir)
        form = runtime.form("termin_buergerbuero")
        offered = appointment_field(runtime.appointments.prepare(form)).options
        first = next(option.value for option in offered if option.value != "request")
        calendar = read_calendar(runtime.store)
        cutoff = quota_cutoff(calendar.unit(first).start, calendar.lead)

        # The kiosk's clock runs ahead past the cutoff and it signs a request (a stick is written):
        # the town hall will take the unit back when it reads it.
        ahead = cutoff + dt.timedelta(minutes=5)
        monkeypatch.setattr(downloads, "utc_timestamp", lambda: utc_timestamp(ahead))
        downloads.download_request(runtime.store, runtime.kiosk_keys)
        monkeypatch.undo()

        # Then the clock is set back to today (the real clock, well before the cutoff).
        assert dt.datetime.now(dt.timezone.utc) < cutoff
        values = [option.value for option in appointment_field(runtime.appointments.prepare(form)).options]
        assert first not in values
        with pytest.raises(TimeNoLongerFree):
            runtime.appointments.book(form, {"appointment": first}, "de")
        assert runtime.store.db.execute("SELECT COUNT(*) FROM appointments").fetchone()[0] == 0
