"""Booking at the kiosk, driven by keys: a time from the kiosk's quota confirmed offline and printed
on the receipt; a request answered by the town hall through the real server on 127.0.0.1 and seen
by receipt code; a vaccination appointment cancelled with code + date of birth, after which the
counter's day view shows the time free; wrong dates of birth are refused and slowed down."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from kiosk.config import KioskConfig, save_config
from kiosk.refcode import display
from kiosk.runtime import open_runtime
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.screens.review import ReviewScreen
from sync.allowlist import Allowlist
from sync.calendar import open_desk
from sync.calendar.arrivals import take_arrivals
from sync.calendar.config import EXAMPLE, calendar_path
from sync.downloads import apply_download, download_request
from sync.embedded import start_embedded_server
from sync.inbox import Inbox
from sync.keys import enrolment_request_path, init_kiosk, init_townhall, load_townhall_keys, townhall_public_keys_path
from sync.server import create_app
from sync.server.downloads import answer_download_request
from sync.server.storage import open_storage
from tests.functional.test_ui_status import SCREEN_SIZE, look_up, open_status, wait_for_text

KIOSK = "kiosk-lueder"


@pytest.fixture
def town(tmp_path):
    """A town hall with the example calendar and one enrolled kiosk (not yet synced)."""
    townhall_dir, kiosk_dir = tmp_path / "townhall", tmp_path / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    shutil.copyfile(EXAMPLE, calendar_path(townhall_dir))
    init_kiosk(kiosk_dir, kiosk_id=KIOSK, townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, KIOSK))
    save_config(kiosk_dir, KioskConfig(municipality="Einheitsgemeinde Tangerhütte", sync_interval_seconds=3600))
    yield townhall_dir, kiosk_dir
    from sync.calendar.source import forget_calendar_stores

    forget_calendar_stores()


def calendar_by_stick(runtime, townhall_dir, kiosk_dir) -> None:
    """The kiosk's last contact with the town hall: its signed request answered and applied
    (as a USB stick carries them); afterwards the kiosk is offline."""
    request = download_request(runtime.store, runtime.kiosk_keys)
    with open_storage(townhall_dir) as storage:
        answer = answer_download_request(
            storage, Allowlist(townhall_dir), request,
            townhall=load_townhall_keys(townhall_dir, need_encryption=False), townhall_dir=townhall_dir,
        )
    apply_download(answer, store=runtime.store, kiosk=runtime.kiosk_keys, kiosk_dir=kiosk_dir)


async def fill_booking(visitor, answers: dict) -> None:
    """Answer the questions of the open booking form, each with keys, then send."""
    app = visitor.app
    while app.session is not None and not app.session.at_review:
        field = app.session.current
        await visitor.answer(field, answers[field.id])
        await visitor.settle()
    assert isinstance(app.screen, ReviewScreen)
    await visitor.press_button("Absenden")
    for _ in range(100):
        if isinstance(app.screen, ReceiptScreen):
            await wait_for_text(visitor, "Bitte bereithalten oder mitbringen")
            return
        await visitor.pilot.pause(0.05)
    raise AssertionError(f"no receipt; the screen shows:\n{visitor.text}")


def first_offered(app, field_id: str = "appointment") -> str:
    return app.session.form.field(field_id).options[0].value


async def test_a_time_from_the_quota_is_confirmed_offline_and_printed_on_the_receipt(town, visitor_for):
    townhall_dir, kiosk_dir = town
    with open_runtime(kiosk_dir) as runtime:
        calendar_by_stick(runtime, townhall_dir, kiosk_dir)
        assert not runtime.config.server_url  # no link at all from here on
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            await visitor.press_button("Termin im Bürgerbüro")
            await visitor.answer(app.session.current, "reisepass")
            offered = app.session.form.field("appointment")
            assert "Stand der freien Zeiten:" in offered.text("help", "de")  # F1 says how fresh the times are
            unit = offered.options[0]
            assert unit.value != "request"  # the kiosk's own time is offered first
            await fill_booking(
                visitor,
                {"appointment": unit.value, "name": "Erika Mustermann", "phone": "03935 123456", "needs_support": False},
            )
            text = visitor.text
            assert "Ihr Termin ist bestätigt." in text
            assert unit.text("de").split(" · ")[0] in text  # day and time, e.g. "Montag, 7. Dezember 2026, 09:00 Uhr"
            assert "Rathaus Tangerhütte, Bürgerbüro, Bismarckstraße 5" in text
            assert "Personalausweis" in text  # what to bring
            assert "absagen" in text  # how to cancel
            code = app.screen.queued.reference
        row = runtime.store.db.execute("SELECT unit, serial FROM appointments WHERE reference = ?", [code]).fetchone()
        assert tuple(row) == (unit.value, 1)
        assert runtime.store.lookup(code).state.value == "queued"  # sealed, waiting for a link


@pytest.mark.slow
async def test_a_request_is_answered_through_the_server_and_shown_by_receipt_code(town, visitor_for):
    townhall_dir, kiosk_dir = town
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url, sync_interval_seconds=3600))
        with open_runtime(kiosk_dir) as runtime:
            assert runtime.sync_now(lang="de").error is None  # quota and open days arrive
            app = KioskApp(runtime, kiosk_mode=True, lang="de")
            async with app.run_test(size=SCREEN_SIZE) as pilot:
                visitor = visitor_for(pilot)
                await app.workers.wait_for_complete()
                await visitor.press_button("Termin im Bürgerbüro")
                await visitor.answer(app.session.current, "meldung")
                await visitor.answer(app.session.current, "request")
                windows = app.session.current
                assert windows.id == "windows"
                wished = [windows.options[0].value, windows.options[1].value]
                await fill_booking(
                    visitor,
                    {"windows": wished, "name": "Erika Mustermann", "phone": "03935 123456", "needs_support": False},
                )
                code = app.screen.queued.reference
                assert "Das Rathaus beantwortet Ihre Terminanfrage." in visitor.text
                await visitor.press_button("Fertig")
                await app.workers.wait_for_complete()
                for _ in range(50):  # sent at once while the link is up
                    if runtime.store.lookup(code).state.value != "queued":
                        break
                    await pilot.pause(0.1)

                with Inbox(townhall_dir) as inbox:
                    desk = open_desk(townhall_dir)
                    assert take_arrivals(desk, inbox).requests == 1
                    (request,) = desk.pending_requests()
                    assert request.reference == code and list(request.windows) == wished
                    desk.answer_requests_automatically()
                    answered = desk.store.booking(KIOSK, code)
                assert answered.state == "confirmed"

                await open_status(visitor)
                await look_up(visitor, display(code))
                await wait_for_text(visitor, "Ihr Termin ist bestätigt.", seconds=8)
                start = dt.datetime.fromisoformat(answered.starts_at)
                assert f"{start:%H:%M} Uhr" in visitor.text
                assert "Stand:" in visitor.text  # the as-of time of the calendar the answer came in


async def book_vaccination(app, visitor) -> str:
    await visitor.press_button("Impftermin vereinbaren")
    unit = None
    answers = {
        "vaccine": "grippe", "dose": "erste", "name": "Karl Muster", "birth_date": "05.03.1942",
        "phone": None, "needs_help": False, "note": None,
    }
    while not app.session.at_review:
        field = app.session.current
        if field.id == "appointment":
            unit = field.options[0].value
            answers["appointment"] = unit
        await visitor.answer(field, answers[field.id])
        await visitor.settle()
    await visitor.press_button("Absenden")
    for _ in range(100):
        if isinstance(app.screen, ReceiptScreen):
            break
        await visitor.pilot.pause(0.05)
    await wait_for_text(visitor, "mit diesem Code und Ihrem Geburtsdatum")  # how to cancel
    return unit


async def enter_birth_date(visitor, typed: str) -> None:
    await wait_for_text(visitor, "Wann sind Sie geboren?")
    await visitor.type(typed)
    await visitor.press("enter")
    await visitor.pilot.pause(0.2)  # the check waits for the next answer in a worker: no settle()


@pytest.mark.slow
async def test_cancelled_with_code_and_birth_date_the_time_is_free_at_the_counter(town, visitor_for):
    townhall_dir, kiosk_dir = town
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url, sync_interval_seconds=3600))
        with open_runtime(kiosk_dir) as runtime:
            assert runtime.sync_now(lang="de").error is None
            app = KioskApp(runtime, kiosk_mode=True, lang="de")
            async with app.run_test(size=SCREEN_SIZE) as pilot:
                visitor = visitor_for(pilot)
                await app.workers.wait_for_complete()
                unit = await book_vaccination(app, visitor)
                code = app.screen.queued.reference
                await visitor.press_button("Fertig")
                await app.workers.wait_for_complete()
                assert runtime.sync_now(lang="de").error is None
                desk = open_desk(townhall_dir)
                with Inbox(townhall_dir) as inbox:
                    take_arrivals(desk, inbox)
                day = dt.date.fromisoformat(unit.split("@")[2][:10])
                booked = {f"{u.key.slot_id}#{u.key.unit}": u for u in desk.day_view(day).bookings()}
                assert booked[unit].reference == code and booked[unit].source == KIOSK  # kiosk booking in the day view

                await open_status(visitor)
                await look_up(visitor, display(code))
                await wait_for_text(visitor, "Ihr Termin ist bestätigt.")
                await visitor.press_button("Diesen Termin absagen")
                await enter_birth_date(visitor, "06.03.1942")  # wrong
                await wait_for_text(visitor, "passen nicht zusammen")
                assert "Karl" not in visitor.text
                await visitor.press_button("Diesen Termin absagen")
                await enter_birth_date(visitor, "05.03.1942")
                await wait_for_text(visitor, "Termin absagen?")
                await visitor.press_button("Ja, absagen")
                await wait_for_text(visitor, "Möchten Sie jetzt eine neue Zeit wählen?")
                await visitor.press_button("Nein, danke")
                await wait_for_text(visitor, "Dieser Termin ist abgesagt.")
                await app.workers.wait_for_complete()

            assert runtime.sync_now(lang="de").error is None
            with Inbox(townhall_dir) as inbox:
                assert take_arrivals(desk, inbox).cancellations == 1
            states = {f"{u.key.slot_id}#{u.key.unit}": u.state for s in desk.day_view(day).slots for u in s.units}
            assert states[unit] == "free"
            desk.book_at_counter(__import__("booking").parse_unit(unit), label="Frau Schulze")  # the counter can book it


async def test_wrong_birth_dates_are_refused_and_slowed_down_per_code(town, visitor_for):
    townhall_dir, kiosk_dir = town
    with open_runtime(kiosk_dir) as runtime:
        calendar_by_stick(runtime, townhall_dir, kiosk_dir)
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            await book_vaccination(app, visitor)
            code = app.screen.queued.reference
            await visitor.press_button("Fertig")
            await open_status(visitor)
            await look_up(visitor, display(code))
            await wait_for_text(visitor, "Ihr Termin ist bestätigt.")
            for wrong in ("01.01.1950", "02.01.1950", "03.01.1950"):
                await visitor.press_button("Diesen Termin absagen")
                await enter_birth_date(visitor, wrong)
                await wait_for_text(visitor, "passen nicht zusammen")
            await visitor.press_button("Diesen Termin absagen")
            await enter_birth_date(visitor, "05.03.1942")  # right, but now too soon after three wrong ones
            await wait_for_text(visitor, "Zu viele falsche Versuche")
            assert "Termin absagen?" not in visitor.text
    with open_runtime(kiosk_dir) as again:  # a restart does not reset the count
        from kiosk.appointments import throttle

        assert throttle.seconds_to_wait(again.store, [throttle.code_scope(code)]) > 0
        assert again.appointments.find(code).info.state == "confirmed"


async def test_codes_this_kiosk_never_issued_are_slowed_down_for_the_whole_kiosk(runtime, visitor_for):
    from kiosk.refcode import new_reference

    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_status(visitor)
        for _ in range(10):  # somebody tries codes
            await look_up(visitor, display(new_reference()))
            await wait_for_text(visitor, "liegt an diesem Gerät kein Antrag vor")
        await look_up(visitor, display(new_reference()))
        await wait_for_text(visitor, "Zu viele falsche Versuche")


async def test_the_vaccination_record_is_shown_with_code_and_birth_date_and_written_nowhere(town, visitor_for):
    from booking import parse_unit

    townhall_dir, kiosk_dir = town
    with open_runtime(kiosk_dir) as runtime:
        calendar_by_stick(runtime, townhall_dir, kiosk_dir)
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            unit = await book_vaccination(app, visitor)
            code = app.screen.queued.reference
            await visitor.press_button("Fertig")

            # At the town hall (the booking's arrival is the sealed flow's own test): staff record it.
            desk = open_desk(townhall_dir)
            desk.register_kiosk_booking(KIOSK, code, parse_unit(unit), 1, "2026-12-07T08:00:00Z")
            desk.record_vaccination(
                code, kiosk_id=KIOSK, birth_date=dt.date(1942, 3, 5), vaccine="Influvac Tetra", lot="AB1234",
                given_on=dt.date(2026, 12, 8), place="Rathaus Tangerhütte, Raum 12", given_by="Dr. Weber",
            )
            calendar_by_stick(runtime, townhall_dir, kiosk_dir)  # the sealed record comes down

            await open_status(visitor)
            await look_up(visitor, display(code))
            await wait_for_text(visitor, "Meinen Impfnachweis drucken")
            await visitor.press_button("Meinen Impfnachweis drucken")
            await enter_birth_date(visitor, "05.03.1942")
            await wait_for_text(visitor, "Chargennummer: AB1234")
            assert "Influvac Tetra" in visitor.text and "Dr. Weber" in visitor.text
            assert "keinen Drucker" in visitor.text
    on_disk = b"".join(path.read_bytes() for path in kiosk_dir.rglob("*") if path.is_file())
    assert b"AB1234" not in on_disk and b"Influvac" not in on_disk  # only the sealed box was kept


async def test_a_paused_booking_carries_on_with_the_free_times_and_is_confirmed(town, visitor_for, monkeypatch):
    from kiosk.ui.screens.pause_slip import PauseSlipScreen
    from kiosk.ui.screens.question import QuestionScreen
    from tests.assisted_support import cheap_argon2

    cheap_argon2(monkeypatch)
    townhall_dir, kiosk_dir = town
    with open_runtime(kiosk_dir) as runtime:
        calendar_by_stick(runtime, townhall_dir, kiosk_dir)
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            await visitor.press_button("Termin im Bürgerbüro")
            await visitor.answer(app.session.current, "reisepass")
            unit = first_offered(app)
            await visitor.answer(app.session.current, unit)
            await visitor.settle()
            assert app.session.current.id == "name"
            await visitor.press("f8")  # pause with a slip, carry on later
            for _ in range(100):
                if isinstance(app.screen, PauseSlipScreen):
                    break
                await pilot.pause(0.05)
            slip = app.screen.slip.display_code
            await visitor.press_button("Fertig")
            await visitor.settle()

            await open_status(visitor)
            await look_up(visitor, slip)
            for _ in range(100):
                if isinstance(app.screen, QuestionScreen):
                    break
                await pilot.pause(0.05)
            assert app.session.current.id == "name"
            offered = app.session.form.field("appointment")
            assert offered.type == "choice" and unit in [option.value for option in offered.options]
            await fill_booking(visitor, {"name": "Erika Mustermann", "phone": "03935 123456", "needs_support": False})
            assert "Ihr Termin ist bestätigt." in visitor.text
            code = app.screen.queued.reference
        row = runtime.store.db.execute("SELECT unit FROM appointments WHERE reference = ?", [code]).fetchone()
        assert row[0] == unit


async def test_the_date_of_birth_window_stays_open_with_plain_language_and_larger_text(town, visitor_for):
    from kiosk.ui.screens.birth_date import BirthDateScreen

    townhall_dir, kiosk_dir = town
    with open_runtime(kiosk_dir) as runtime:
        calendar_by_stick(runtime, townhall_dir, kiosk_dir)
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            await book_vaccination(app, visitor)
            code = app.screen.queued.reference
            await visitor.press_button("Fertig")
            await open_status(visitor)
            await look_up(visitor, display(code))
            await wait_for_text(visitor, "Ihr Termin ist bestätigt.")
            await visitor.press_button("Diesen Termin absagen")
            await wait_for_text(visitor, "Wann sind Sie geboren?")
            await visitor.type("05.03.19")
            from kiosk.ui.read_aloud import screen_reading

            spoken = screen_reading(app.screen, "de")  # what F5 reads aloud: the window's question and hint
            assert "Wann sind Sie geboren?" in spoken and "05.03.1942" in spoken
            for key in ("f3", "f4"):  # plain language and larger text keep the window and what is typed
                await visitor.press(key)
                await pilot.pause(0.2)
                assert isinstance(app.screen, BirthDateScreen)
                assert app.screen.query_one("#birth-date").value == "05.03.19"
            await visitor.type("42")
            await visitor.press("enter")
            await wait_for_text(visitor, "Termin absagen?")


def test_a_booking_made_with_a_helper_seals_who_helped_and_enters_the_audit_chain(town):
    from assisted_mode.record import ASSISTANCE_KEY
    from assisted_mode.visit import AssistedVisit
    from booking.answers import read_booking_answer
    from sync.envelope import open_item
    from sync.keys import load_townhall_keys

    townhall_dir, kiosk_dir = town
    with open_runtime(kiosk_dir) as runtime:
        calendar_by_stick(runtime, townhall_dir, kiosk_dir)
        form = runtime.prepare_form(runtime.form("termin_buergerbuero"))
        unit = form.field("appointment").options[0].value
        helper = AssistedVisit.by_person("Anna Muster").with_consent()
        queued = runtime.submit(
            form,
            {"concern": "reisepass", "appointment": unit, "name": "Erika Mustermann", "phone": "03935 123456",
             "needs_support": False},
            helper,
            lang="en",
        )
        assert queued.appointment.state == "confirmed"  # from the quota, at once, with help as without
        assert [entry.reference for entry in runtime.store.audit_entries()][-1:] == [queued.reference]
        (sealed,) = runtime.store.db.execute("SELECT sealed FROM outbox WHERE reference = ?", [queued.reference]).fetchone()
    _meta, answers = open_item(bytes(sealed), load_townhall_keys(townhall_dir).encryption)
    assert answers[ASSISTANCE_KEY]["helper"]["name"] == "Anna Muster"
    booked = read_booking_answer(answers)  # the town hall still reads the booking beside who helped
    assert booked is not None and not booked.is_request and booked.serial == 1
