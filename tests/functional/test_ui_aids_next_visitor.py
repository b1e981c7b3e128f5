"""Nothing of one visitor reaches the next through the visitor aids: the voice (F5/F6) and the
answers the kiosk offers again."""

from __future__ import annotations

import os
import stat

import pytest

from assisted_mode import credentials
from kiosk.store import StatusRecord
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.screens.status import StatusScreen
from tests.functional.test_ui_assisted import BADGE_SECRET, helpers  # noqa: F401  (fixture)
from tests.functional.test_ui_status import look_up, open_status, send_message

SCREEN_SIZE = (100, 40)
TOWN_HALL_MESSAGE = "Bitte rufen Sie Frau Krause an: 03935 9300."


@pytest.fixture
def quiet_voice(tmp_path, monkeypatch):
    """An espeak-ng that ends at once (nothing to hear in a test), first on PATH."""
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "espeak-ng"
    program.write_text("#!/bin/sh\ncat > /dev/null\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return program


async def test_f6_never_repeats_the_status_the_last_visitor_had_read_aloud(runtime, visitor_for, quiet_voice):
    code = send_message(runtime)
    runtime.store.apply_status(
        [StatusRecord(code, "needs_information", TOWN_HALL_MESSAGE, "2026-11-20T09:30:00Z", 1)]
    )
    app = KioskApp(runtime, kiosk_mode=True, lang="de", idle_seconds=60)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_status(visitor)
        await look_up(visitor, code)
        assert TOWN_HALL_MESSAGE in visitor.text
        await visitor.press("f5")  # the town hall's answer, read aloud
        await pilot.pause()
        assert TOWN_HALL_MESSAGE in app.speaker.last_text
        await visitor.press("escape")  # the visitor goes back to the start and leaves
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        app.idle_seconds = 0.1  # nobody there for a while: the start screen stays as it is
        await pilot.pause(0.6)
        app.idle_seconds = 60

        await visitor.press("f6")  # the next person asks to hear it again
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        assert TOWN_HALL_MESSAGE not in app.speaker.last_text
        assert code not in app.speaker.last_text
        assert "Herzlich willkommen" in app.speaker.last_text  # the screen in front of them


async def test_on_an_outreach_day_the_next_visitor_is_not_offered_the_last_ones_name(
    runtime, visitor_for, helpers  # noqa: F811
):
    from kiosk.ui.screens.outreach import OutreachScreen
    from kiosk.ui.screens.question import QuestionScreen
    from kiosk.ui.widgets.service_button import ServiceButton
    from textual.widgets import Input

    form = runtime.form("nachricht")
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Someone is helping me")
        await visitor.press_button("Volunteers: open an outreach day")
        await visitor.type(credentials.badge_code("V0007", BADGE_SECRET) + "\n")
        await visitor.settle()
        assert isinstance(app.screen, OutreachScreen)

        async def next_visitor_to_the_name_question() -> None:
            await visitor.press_button("Welcome the next visitor")
            await visitor.settle()
            await visitor.press_button("Yes, I agree")
            await visitor.settle()
            await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
            await visitor.press("enter")
            await visitor.answer(form.field("topic"), "strassen")
            await visitor.answer(form.field("message"), "Gullydeckel lose")
            assert isinstance(app.screen, QuestionScreen)
            assert visitor.question_label() == form.field("name").text("label", "en")

        await next_visitor_to_the_name_question()  # the first visitor gives a name, then stops
        await visitor.answer(form.field("name"), "Gertrud Wendeborn")
        await visitor.press("f9")
        await visitor.press_button("Yes, stop the help")
        await visitor.settle()
        await visitor.press("enter")  # the notice: "Everything typed so far has been deleted."
        await visitor.settle()
        assert isinstance(app.screen, OutreachScreen)

        await next_visitor_to_the_name_question()  # someone else
        assert app.screen.query_one("#answer-text", Input).value == ""
        assert "Gertrud" not in visitor.text


async def test_stopping_the_help_forgets_the_answers_it_would_offer_again(runtime, visitor_for, helpers):  # noqa: F811
    """F9 says everything typed so far is deleted: the name typed with the helper is not offered
    again either (the visitor's own choices, such as larger text, stay)."""
    from textual.widgets import Input

    from tests.functional.test_ui_assisted import _ask_for_help, _scan, _start_message

    form = runtime.form("nachricht")
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f4")
        await _ask_for_help(visitor, "A volunteer with a badge or volunteer number")
        await _scan(visitor, credentials.badge_code("V0007", BADGE_SECRET))
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        await _start_message(visitor)
        await visitor.answer(form.field("topic"), "strassen")
        await visitor.answer(form.field("message"), "Gullydeckel lose")
        await visitor.answer(form.field("name"), "Gertrud Wendeborn")
        await visitor.press("f9")
        await visitor.press_button("Yes, stop the help")
        await visitor.settle()
        assert "Everything typed so far has been deleted." in visitor.text
        await visitor.press("enter")
        await visitor.settle()
        assert isinstance(app.screen, StartScreen)

        await _start_message(visitor)  # on their own now, or someone else
        await visitor.answer(form.field("topic"), "strassen")
        await visitor.answer(form.field("message"), "Gullydeckel lose")
        assert visitor.question_label() == form.field("name").text("label", "en")
        assert app.screen.query_one("#answer-text", Input).value == ""
        assert app.visit.large_text  # the visitor's own choice stays


@pytest.fixture
def listening_voice(tmp_path, monkeypatch):
    """An espeak-ng that keeps everything it was asked to say in a file, and takes its time."""
    folder = tmp_path / "voice-bin"
    folder.mkdir()
    said = tmp_path / "said.txt"
    program = folder / "espeak-ng"
    program.write_text(f"#!/bin/sh\ncat >> {said}\necho '---' >> {said}\nsleep 30\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return said


async def test_a_visitor_who_listens_hears_the_more_time_question_too(runtime, visitor_for, listening_voice):
    from kiosk.ui.screens.question import QuestionScreen
    from kiosk.ui.screens.still_there import StillThereScreen
    from kiosk.ui.widgets.service_button import ServiceButton

    app = KioskApp(runtime, kiosk_mode=True, lang="de", idle_seconds=60, answer_seconds=30)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
        await visitor.press("enter")
        await visitor.press("f5")  # this visitor listens
        await visitor.press("f5")  # and stops it
        app.idle_seconds = 0.1
        for _ in range(100):
            if isinstance(app.screen, StillThereScreen):
                break
            await pilot.pause(0.05)
        app.idle_seconds = 60
        assert isinstance(app.screen, StillThereScreen)
        await pilot.pause(0.3)
        assert app.speaker.speaking
        assert "Brauchen Sie noch Zeit?" in app.speaker.last_text
        assert "30 Sekunden" in app.speaker.last_text
        for _ in range(40):  # what the voice was given
            if "Brauchen Sie noch Zeit?" in (listening_voice.read_text() if listening_voice.exists() else ""):
                break
            await pilot.pause(0.05)
        assert "Brauchen Sie noch Zeit?" in listening_voice.read_text()
        process = app.speaker._process
        await visitor.press("space")  # any key: still here, and the question falls silent
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen)
        assert process.poll() is not None


async def test_a_visitor_who_never_listened_is_asked_on_screen_only(runtime, visitor_for, listening_voice):
    from kiosk.ui.screens.still_there import StillThereScreen
    from kiosk.ui.widgets.service_button import ServiceButton

    app = KioskApp(runtime, kiosk_mode=True, lang="de", idle_seconds=60, answer_seconds=30)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
        await visitor.press("enter")
        app.idle_seconds = 0.1
        for _ in range(100):
            if isinstance(app.screen, StillThereScreen):
                break
            await pilot.pause(0.05)
        app.idle_seconds = 60
        await pilot.pause(0.3)
        assert not app.speaker.speaking and not listening_voice.exists()
