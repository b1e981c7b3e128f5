"""Wrong receipt codes are counted once per try, not once per look at the screen: switching the
language while a 'no such code' message is shown must not count the code again (a senior who
switches back and forth would otherwise lock the kiosk for everybody). And a booking that reached
the town hall is not said to have "no answer yet" right above its confirmed time."""

from __future__ import annotations

from kiosk import refcode
from kiosk.appointments import throttle
from kiosk.appointments.calendar import appointment_field
from kiosk.runtime import open_runtime
from kiosk.ui.app import KioskApp
from tests.functional.test_ui_booking import calendar_by_stick, town  # noqa: F401  (fixture)
from tests.functional.test_ui_status import SCREEN_SIZE, look_up, open_status, wait_for_text


def kiosk_failures(runtime) -> int:
    row = runtime.store.db.execute("SELECT failures FROM wrong_tries WHERE scope = ?", [throttle.KIOSK_SCOPE]).fetchone()
    return 0 if row is None else int(row[0])


async def test_switching_the_language_does_not_count_an_unknown_code_again(runtime, visitor_for):
    unknown = refcode.display(refcode.new_reference())
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_status(visitor)
        await look_up(visitor, unknown)
        assert "liegt an diesem Gerät kein Antrag vor" in visitor.text
        assert kiosk_failures(runtime) == 1
        for _ in range(12):  # back and forth: more than the kiosk's free wrong tries
            await visitor.press("f2")
            await visitor.settle()
        assert kiosk_failures(runtime) == 1
        assert "kein Antrag vor" in visitor.text  # an even number of switches: German again
        assert "Too many wrong tries" not in visitor.text and "Zu viele" not in visitor.text


async def test_a_booking_at_the_town_hall_is_not_said_to_have_no_answer_beside_its_confirmed_time(town, visitor_for):  # noqa: F811
    townhall_dir, kiosk_dir = town
    with open_runtime(kiosk_dir) as runtime:
        calendar_by_stick(runtime, townhall_dir, kiosk_dir)
        form = runtime.form("termin_buergerbuero")
        offered = appointment_field(runtime.appointments.prepare(form)).options
        unit = next(option.value for option in offered if option.value != "request")
        booked = runtime.appointments.book(
            form, {"concern": "reisepass", "appointment": unit, "name": "Erika Mustermann", "phone": "03935 123456",
                   "needs_support": False}, "de",
        )
        batch = runtime.store.take_batch(lambda items, seq, bid: b"".join(items))
        runtime.store.mark_acknowledged(batch.batch_id)  # the booking has reached the town hall
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            await open_status(visitor)
            await look_up(visitor, refcode.display(booked.reference))
            await wait_for_text(visitor, "Ihr Termin ist bestätigt.")
            text = visitor.text
            assert "Ihre Buchung ist im Rathaus angekommen." in text
            assert "Eine Antwort gibt es noch nicht" not in text


def test_the_wait_after_wrong_dates_of_birth_is_said_in_correct_german(runtime):
    appointments = runtime.appointments
    assert "warten Sie bitte 1 Minute und" in appointments._wait_message(30, "de")
    assert "please wait 1 minute and" in appointments._wait_message(30, "en")
    assert "warten Sie bitte 15 Minuten und" in appointments._wait_message(900, "de")
