"""A public terminal cannot be left by citizens, staff leave with a PIN, and nobody is rushed.

Answers left behind are cleared for the next person only after the kiosk asked "Do you need more
time?" and nobody answered.
"""

from __future__ import annotations

import asyncio

import pytest

from textual.command import CommandPalette
from textual.widgets import Input

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.staff_pin import StaffPinScreen
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.screens.still_there import StillThereScreen
from kiosk.ui.widgets.service_button import ServiceButton

SCREEN_SIZE = (100, 40)
STAFF_PIN = "246813"


async def open_first_question(visitor, form_id: str = "nachricht") -> None:
    await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == form_id)
    await visitor.press("enter")
    assert isinstance(visitor.app.screen, QuestionScreen)


async def test_quit_keys_and_command_palette_do_nothing_in_kiosk_mode(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_first_question(visitor, "termin_buergerbuero")
        before = visitor.text
        for key in ("ctrl+q", "ctrl+c", "ctrl+p", "ctrl+z", "ctrl+backslash"):
            await visitor.press(key)
            assert app.return_code is None, f"{key} ended the kiosk"
            assert isinstance(app.screen, QuestionScreen), f"{key} changed the screen"
            assert not isinstance(app.screen, CommandPalette)
        assert visitor.text == before
        assert not app._notifications, "not even a hint about quitting may appear"


async def test_a_helpers_own_computer_quits_normally(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=False)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        await visitor_for(pilot).press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0


async def test_staff_leave_with_the_right_pin_only(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f12")
        assert isinstance(app.screen, StaffPinScreen)
        assert "Nur für Mitarbeitende" in visitor.text
        pin = app.screen.query_one("#pin", Input)
        assert pin.password, "the PIN must not be readable on screen"

        await visitor.type("1357")
        await visitor.press("enter")
        assert app.return_code is None
        assert "Diese PIN ist nicht richtig." in visitor.text
        assert pin.value == ""

        await visitor.press("escape")
        assert isinstance(app.screen, StartScreen)
        assert app.return_code is None

        await visitor.press("f12")
        await visitor.type(STAFF_PIN)
        await visitor.press("enter")
        await pilot.pause()
        assert app.return_code is None, "the PIN opens the staff screen first"
        await visitor.press_button("Kiosk beenden")
        await pilot.pause()
        assert app.return_code == 0


async def type_pins(visitor, *pins: str) -> None:
    for pin in pins:
        await visitor.type(pin)
        await visitor.press("enter")


def pin_field_shown(app) -> bool:
    return app.screen.query_one("#pin", Input).display


@pytest.fixture
def clock(monkeypatch):
    """The wall clock the PIN lock-out reads, moved on by hand (``clock[0] += seconds``)."""
    from kiosk import staff_access

    now = [1_900_000_000.0]
    monkeypatch.setattr(staff_access, "_clock", lambda: now[0])
    return now


async def test_three_wrong_pins_lock_the_staff_window_and_say_how_long(runtime, visitor_for, clock):
    app = KioskApp(runtime, kiosk_mode=True)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f12")
        await type_pins(visitor, "111111", "222222", "333333")
        assert isinstance(app.screen, StaffPinScreen)
        assert "Zu viele falsche PINs. Bitte warten Sie 1 Minute" in visitor.text
        assert not pin_field_shown(app), "no field to type the next PIN into"
        assert app.return_code is None


async def test_a_new_pin_window_does_not_give_new_tries(runtime, visitor_for, clock):
    """Two wrong, Esc, F12, two more: the three-tries limit holds across windows."""
    app = KioskApp(runtime, kiosk_mode=True)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f12")
        await type_pins(visitor, "111111", "222222")
        assert "Diese PIN ist nicht richtig." in visitor.text
        await visitor.press("escape")
        assert isinstance(app.screen, StartScreen)
        await visitor.press("f12")
        await type_pins(visitor, "333333")
        assert "Bitte warten Sie 1 Minute" in visitor.text
        assert not pin_field_shown(app)
        await type_pins(visitor, "444444")  # typed blind: goes nowhere, Enter closes the window
        assert isinstance(app.screen, StartScreen)
        await visitor.press("f12")
        assert "Bitte warten Sie 1 Minute" in visitor.text


async def test_f12_during_the_wait_says_how_long_and_the_field_comes_back_after_it(runtime, visitor_for, clock):
    now = clock
    app = KioskApp(runtime, kiosk_mode=True)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f12")
        await type_pins(visitor, "111111", "222222", "333333")
        await visitor.press("escape")
        assert isinstance(app.screen, StartScreen)

        now[0] += 20
        await visitor.press("f12")  # not a silent key any more
        assert isinstance(app.screen, StaffPinScreen)
        assert "Bitte warten Sie 40 Sekunden" in visitor.text
        assert not pin_field_shown(app)
        await type_pins(visitor, STAFF_PIN)  # even the right PIN goes nowhere during the wait
        assert not isinstance(app.screen, StaffScreen)

        await visitor.press("f12")
        now[0] += 41
        await wait_for(pilot, lambda: pin_field_shown(app))
        assert "Bitte warten" not in visitor.text
        await type_pins(visitor, STAFF_PIN)
        await pilot.pause()
        assert isinstance(app.screen, StaffScreen)


async def test_the_wait_survives_a_restart_and_grows_with_each_wrong_pin(open_kiosk, visitor_for, clock):
    from kiosk.runtime import open_runtime

    now = clock
    runtime = open_kiosk()
    async with KioskApp(runtime, kiosk_mode=True).run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f12")
        await type_pins(visitor, "111111", "222222", "333333")
    runtime.close()  # systemd restarts the kiosk, or the plug is pulled

    with open_runtime(runtime.data_dir) as restarted:
        app = KioskApp(restarted, kiosk_mode=True)
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            await visitor.press("f12")
            assert "Bitte warten Sie 1 Minute" in visitor.text
            now[0] += 61
            await wait_for(pilot, lambda: pin_field_shown(app))
            await type_pins(visitor, "444444")
            assert "Bitte warten Sie 2 Minuten" in visitor.text, "each wrong PIN after the wait doubles it"


async def test_an_older_kiosks_short_pin_still_opens_and_staff_are_asked_for_a_longer_one(open_kiosk, visitor_for):
    import hashlib

    from kiosk.config import load_config

    salt = bytes(range(16))
    old_hash = f"scrypt${salt.hex()}${hashlib.scrypt(b'2468', salt=salt, n=2**14, r=8, p=1).hex()}"
    runtime = open_kiosk(staff_pin_hash=old_hash)  # set up when four digits were enough
    app = KioskApp(runtime, kiosk_mode=True)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f12")
        await type_pins(visitor, "2468")
        await pilot.pause()
        assert isinstance(app.screen, StaffScreen)
        assert "Die PIN für das Personal hat weniger als 6 Ziffern" in visitor.text
        assert "rathaus configure --staff-pin" in visitor.text
    assert load_config(runtime.data_dir).staff_pin_hash.startswith("$argon2id$")


async def wait_for(pilot, condition, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the kiosk did not get there in time")


async def test_a_key_press_after_the_more_time_question_keeps_every_answer(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, idle_seconds=60, answer_seconds=5)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_first_question(visitor, "termin_buergerbuero")
        await visitor.answer(runtime.form("termin_buergerbuero").field("concern"), "sonstiges")
        await visitor.type("Parkaus")  # half typed, not confirmed yet
        app.idle_seconds = 0.2  # the person steps away now

        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen) and visitor.text.strip() != "")
        assert "Brauchen Sie noch Zeit?" in visitor.text
        assert "Sekunden gelöscht" in visitor.text
        app.idle_seconds = 60  # no second question while the test looks at the screen

        await visitor.press("x")  # any key
        assert isinstance(app.screen, QuestionScreen)
        assert app.screen.query_one("#answer-text", Input).value == "Parkaus"  # the x went nowhere
        assert "Frage 2 von" in visitor.text
        assert app.session is not None and app.session.answers() == {"concern": "sonstiges"}


async def test_nobody_answering_clears_the_answers_and_greets_the_next_person(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de", idle_seconds=60, answer_seconds=2.0)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f2")  # an English-speaking visitor
        await open_first_question(visitor, "termin_buergerbuero")
        await visitor.answer(runtime.form("termin_buergerbuero").field("concern"), "reisepass")
        assert "Question 2 of" in visitor.text
        app.idle_seconds = 0.2  # the person walks away

        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen) and visitor.text.strip() != "")
        assert "Do you need more time?" in visitor.text
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        await pilot.pause()
        assert app.session is None
        assert len(app.screen_stack) == 1
        assert "Herzlich willkommen" in visitor.text  # back in the kiosk's own language

        # A quiet start screen is left alone: no question pops up for nobody.
        await asyncio.sleep(0.8)
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)


async def test_more_time_button_also_keeps_the_answers(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, idle_seconds=60, answer_seconds=5)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_first_question(visitor, "termin_buergerbuero")
        await visitor.answer(runtime.form("termin_buergerbuero").field("concern"), "meldung")
        app.idle_seconds = 0.2
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen) and visitor.text.strip() != "")
        app.idle_seconds = 60
        await pilot.click("#more-time")
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen)
        assert app.session.answers() == {"concern": "meldung"}


def test_log_lines_never_appear_on_the_kiosk_screen(open_kiosk, tmp_path):
    """Textual draws on the terminal; a log line written there lands on top of the citizen's
    screen. While the kiosk runs, log lines go to a file in its data folder instead."""
    import io
    import logging

    runtime = open_kiosk()
    terminal = io.StringIO()
    on_the_terminal = logging.StreamHandler(terminal)
    root = logging.getLogger()
    root.addHandler(on_the_terminal)

    async def while_running(pilot) -> None:
        logging.getLogger("rathaus.outbox").warning("sync stopped: /v1/status: ConnectError")
        await pilot.pause()
        pilot.app.exit()

    try:
        KioskApp(runtime, kiosk_mode=True).run(headless=True, size=SCREEN_SIZE, auto_pilot=while_running)
        logging.getLogger("rathaus.outbox").warning("after the kiosk closed")
    finally:
        root.removeHandler(on_the_terminal)
    assert "sync stopped" not in terminal.getvalue()
    log_file = (runtime.data_dir / "kiosk.log").read_text(encoding="utf-8")
    assert "WARNING rathaus.outbox: sync stopped: /v1/status: ConnectError" in log_file
    assert "after the kiosk closed" in terminal.getvalue()  # the terminal is the shell's again
    assert "after the kiosk closed" not in log_file


async def test_an_unexpected_failure_shows_no_answers_and_no_traceback(runtime, visitor_for, monkeypatch, capsys, caplog):
    """A bug ends the kiosk (systemd starts it again); what is printed on tty1 then must be calm
    words, not a traceback listing the variables, which hold what the person typed."""
    from kiosk.forms import FormSession

    def broken_answer(self, raw):
        raise ZeroDivisionError(f"cannot divide {raw}")  # a message that quotes the answer

    monkeypatch.setattr(FormSession, "answer", broken_answer)
    app = KioskApp(runtime, kiosk_mode=True)
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            await open_first_question(visitor, "kita_erstattung")
            await visitor.type("Hildegard Quast")
            await visitor.press("enter")
            await pilot.pause()
    printed = capsys.readouterr()
    shown = printed.err + printed.out
    assert "Hildegard" not in shown
    assert "Traceback" not in shown
    assert "Der Kiosk startet neu" in shown
    assert "ZeroDivisionError" in caplog.text and "broken_answer" in caplog.text  # where, for developers
    assert "Hildegard" not in caplog.text
