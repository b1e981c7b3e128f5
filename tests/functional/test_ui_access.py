"""A kiosk an 80-year-old can use alone: larger text, plain language, the screen read aloud, and
time that never runs out while someone is there."""

from __future__ import annotations

import array
import asyncio
import math
import os
import shutil
import stat
import wave

import pytest
from textual.widgets import Button, Input, TextArea

from kiosk.store.records import OutboxState
from kiosk.ui.app import MIN_ANSWER_SECONDS, KioskApp
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.screens.still_there import StillThereScreen
from kiosk.ui.widgets.service_button import ServiceButton

SMALL_CONSOLE = (80, 25)
SCREEN_SIZE = (100, 40)
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs Debian package espeak-ng")


async def open_service(visitor, form_id: str) -> None:
    await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == form_id)
    await visitor.press("enter")
    assert isinstance(visitor.app.screen, QuestionScreen)


async def wait_for(pilot, condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the kiosk did not get there in time")


def in_sight(app, widget) -> bool:
    """The widget can be seen: the screen shows it at the middle of its place."""
    region = widget.region
    if not region.area:
        return False
    x, y = region.x + region.width // 2, region.y + region.height // 2
    found, _ = app.screen.get_widget_at(x, y)
    return found is widget or widget in found.ancestors


async def every_button_by_tab(visitor) -> None:
    """Tab goes round the screen once: each button gets the focus and is in sight when it has it."""
    app = visitor.app
    buttons = [b for b in app.screen.query(Button) if b.display and not b.disabled]
    assert buttons
    seen = []
    for _ in range(len(app.screen.focus_chain)):  # once round: the focus ends where it began
        await visitor.press("tab")
        focused = visitor.focused
        if isinstance(focused, Button):
            assert in_sight(app, focused), f"{focused.label} has the focus but is out of sight"
            seen.append(focused)
    missing = [str(b.label) for b in buttons if b not in seen]
    assert missing == [], f"never reached with Tab: {missing}"


# --- larger text --------------------------------------------------------------------------------


async def test_larger_text_at_80x25_every_button_is_reached_with_tab(runtime, visitor_for):
    form = runtime.form("nachricht")
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SMALL_CONSOLE) as pilot:
        visitor = visitor_for(pilot)
        welcome = app.screen.query_one("#welcome")
        assert not app.has_class("-large-text")
        await visitor.press("f4")  # one key
        await pilot.pause()
        assert app.has_class("-large-text")
        assert "Große Schrift ist eingeschaltet." in "\n".join(str(t.message) for t in app._notifications)
        assert app.screen.query_one("#location").styles.text_style.bold  # every text bold now
        assert app.screen.query_one("#service-summary").content_region.width <= 52  # short lines
        await every_button_by_tab(visitor)
        await visitor.press("f1")  # the help window
        await every_button_by_tab(visitor)
        await visitor.press("escape")

        await open_service(visitor, "nachricht")
        await visitor.press("f3")  # plain language too: the longest a question page gets
        await pilot.pause()
        await every_button_by_tab(visitor)
        await visitor.answer(form.field("topic"), "strassen")
        await visitor.press_button("Nachricht verwerfen")  # the window that asks first
        await every_button_by_tab(visitor)
        await visitor.press("escape")
        await visitor.tab_to(lambda w: isinstance(w, TextArea))
        await visitor.answer(form.field("message"), "Die Laterne ist aus.")
        await visitor.answer(form.field("name"), "Zacharias Quimby")
        await visitor.answer(form.field("wants_reply"), True)
        await visitor.answer(form.field("reply_by"), "brief")
        assert visitor.question_label() == form.field("reply_address").text("label", "de")
        await every_button_by_tab(visitor)
        await visitor.answer(form.field("reply_address"), {"street": "Hauptstraße", "number": "12", "postcode": "39517", "town": "Lüderitz"})
        assert isinstance(app.screen, ReviewScreen)
        await every_button_by_tab(visitor)
        await visitor.press_button("Absenden")
        await visitor.settle()
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        await every_button_by_tab(visitor)
        assert app.has_class("-large-text")  # for the whole visit

        await visitor.press_button("Fertig")  # the visit ends: the next person starts as usual
        await pilot.pause()
        assert isinstance(app.screen, StartScreen) and not app.has_class("-large-text")


# --- plain language -----------------------------------------------------------------------------


async def test_plain_language_stands_beside_the_question_and_the_message(runtime, visitor_for):
    form = runtime.form("kita_erstattung")
    field = form.field("parent_name")
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SMALL_CONSOLE) as pilot:
        visitor = visitor_for(pilot)
        await open_service(visitor, "kita_erstattung")
        assert "In einfacher Sprache" not in visitor.text
        await visitor.answer(field, "12.08.1964")  # a date where the name belongs
        official = visitor.problem()
        assert official == "Bitte schreiben Sie hier einen Namen, in Buchstaben. Ein Datum oder eine Zahl gehört zu einer anderen Frage."

        await visitor.press("f3")
        await pilot.pause()
        assert visitor.question_label() == field.text("label", "de")  # the official wording stays
        assert "In einfacher Sprache:" in visitor.text
        assert field.plain_text("label", "de") in visitor.text
        plain = app.screen.query_one("#question-plain")
        assert in_sight(app, plain)  # never scrolled away, also not on a small console
        assert visitor.problem().startswith("Schreiben Sie hier einen Namen. Nutzen Sie Buchstaben.")
        await visitor.press("f1")  # the help window: the official help and the plain one
        assert field.text("help", "de") in visitor.text
        assert field.plain_text("help", "de") in visitor.text
        await visitor.press("escape")
        assert app.screen.query_one("#answer-text", Input).value == "12.08.1964"  # nothing lost

        await visitor.press("f2")  # in English too
        await pilot.pause()
        assert field.plain_text("label", "en") in visitor.text
        assert visitor.problem().startswith("Type a name here. Use letters.")

        await visitor.press("f3")  # and off again
        await pilot.pause()
        assert "In plain language" not in visitor.text
        assert visitor.problem().startswith("Please type a name here, in letters.")


# --- reading aloud ------------------------------------------------------------------------------


def rms(path) -> float:
    with wave.open(str(path), "rb") as sound:
        assert sound.getsampwidth() == 2
        samples = array.array("h", sound.readframes(sound.getnframes()))
    assert len(samples) > 8000, "less than half a second of speech"
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@needs_espeak
async def test_f5_reads_the_question_aloud_in_the_language_on_screen(runtime, visitor_for, tmp_path):
    form = runtime.form("termin_buergerbuero")
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_service(visitor, "termin_buergerbuero")
        app.speaker.record_to = tmp_path / "frage.wav"  # the loudspeaker, as a file
        await visitor.press("f5")
        await wait_for(pilot, lambda: not app.speaker.speaking)
        spoken = app.speaker.last_text
        assert spoken.startswith(form.field("concern").text("label", "de"))
        assert form.field("concern").text("help", "de") in spoken
        assert all(option.text("de") in spoken for option in form.field("concern").options)
        assert app.speaker.last_language == "de"
        assert rms(tmp_path / "frage.wav") > 300  # speech, not silence

        await visitor.press("f2")  # English on screen: read in English
        await pilot.pause()
        app.speaker.record_to = tmp_path / "question.wav"
        await visitor.press("f5")
        await wait_for(pilot, lambda: not app.speaker.speaking)
        assert app.speaker.last_language == "en"
        assert app.speaker.last_text.startswith(form.field("concern").text("label", "en"))
        assert rms(tmp_path / "question.wav") > 300

        (tmp_path / "question.wav").unlink()
        await visitor.press("f6")  # say it again
        await wait_for(pilot, lambda: not app.speaker.speaking)
        assert rms(tmp_path / "question.wav") > 300


@pytest.fixture
def slow_voice(tmp_path, monkeypatch):
    """An espeak-ng that takes its time (as reading a long help does), first on PATH."""
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "espeak-ng"
    program.write_text("#!/bin/sh\ncat > /dev/null\nsleep 30\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return program


async def test_f5_again_stops_and_leaving_the_screen_stops_too(runtime, visitor_for, slow_voice):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_service(visitor, "nachricht")
        await visitor.press("f5")
        assert app.speaker.speaking
        process = app.speaker._process
        await visitor.press("f5")  # again: silence at once
        assert not app.speaker.speaking and process.poll() is not None

        await visitor.press("f5")
        process = app.speaker._process
        await visitor.answer(runtime.form("nachricht").field("topic"), "lob")  # the next question
        assert not app.speaker.speaking and process.poll() is not None

        await visitor.press("f5")
        process = app.speaker._process
        assert app.speaker.speaking
        await visitor.press("escape")  # back to the question before: the voice does not go on
        await pilot.pause()
        assert visitor.question_label() == runtime.form("nachricht").field("topic").text("label", "de")
        assert process.poll() is not None

        await visitor.press("f5")
        process = app.speaker._process
        await visitor.press("f1")  # a window over the question: silence too
        assert process.poll() is not None


async def test_without_espeak_the_key_says_speech_is_not_set_up(runtime, visitor_for, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no espeak-ng anywhere
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_service(visitor, "nachricht")
        await visitor.press("f5")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert "Vorlesen ist an diesem Kiosk nicht eingerichtet. Bitte fragen Sie das Personal." in messages
        assert isinstance(app.screen, QuestionScreen)  # and nothing else changed


# --- time ---------------------------------------------------------------------------------------


async def test_the_more_time_question_gives_20_seconds_and_extends_without_limit(open_kiosk, visitor_for):
    runtime = open_kiosk(answer_seconds=5)  # a town's setting below the minimum
    app = KioskApp(runtime, kiosk_mode=True, lang="de", idle_seconds=60)
    assert app.answer_seconds == MIN_ANSWER_SECONDS == 20
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_service(visitor, "termin_buergerbuero")
        await visitor.answer(runtime.form("termin_buergerbuero").field("concern"), "reisepass")
        for _ in range(4):  # as often as the person needs
            app.idle_seconds = 0.2
            await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen) and visitor.text.strip() != "")
            assert "in 20 Sekunden gelöscht" in visitor.text
            app.idle_seconds = 60
            await visitor.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, QuestionScreen)
            assert app.session.answers() == {"concern": "reisepass"}


async def test_f7_gives_ten_times_the_time_and_reading_aloud_counts_as_being_there(
    runtime, visitor_for, slow_voice
):
    app = KioskApp(runtime, kiosk_mode=True, lang="de", idle_seconds=0.15, answer_seconds=30)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f7")  # at the start: much more time
        assert "Sie haben jetzt mehr Zeit" in "\n".join(str(n.message) for n in app._notifications)
        await open_service(visitor, "nachricht")
        await asyncio.sleep(0.75)  # five times the usual quiet time
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen)
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen), seconds=6)
        assert "in 300 Sekunden" in visitor.text  # the answer time is ten times longer too
        await visitor.press("f5")  # reading aloud is an answer: someone is there
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen)
        assert app.speaker.speaking
        await asyncio.sleep(2)  # listening for longer than ten times the quiet time
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen)
        app.speaker.stop()


async def test_nobody_there_after_sending_wipes_the_visit_but_keeps_the_application(
    runtime, visitor_for
):
    form = runtime.form("nachricht")
    app = KioskApp(runtime, kiosk_mode=True, lang="de", idle_seconds=60, answer_seconds=1.0)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press("f3")
        await open_service(visitor, "nachricht")
        for field_id, typed in (("topic", "lob"), ("message", "Danke für die Bank."), ("name", "Zacharias Quimby"), ("wants_reply", False)):
            await visitor.answer(form.field(field_id), typed)
        await visitor.press_button("Absenden")
        await visitor.settle()
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        (reference,) = [r.reference for r in runtime.store.recent_receipts()]
        app.idle_seconds = 0.2  # the person walks away with the receipt

        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen) and visitor.text.strip() != "")
        assert "gespeichert" in visitor.text and "gelöscht" not in visitor.text  # nothing to fear for
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        assert app.visit.offer(form.field("name")) is None and not app.visit.plain_language
        assert runtime.store.counts()[OutboxState.QUEUED] == 1  # the message waits for the town hall
        assert [r.reference for r in runtime.store.recent_receipts()] == [reference]


# --- what the kiosk already knows ---------------------------------------------------------------


async def test_a_name_given_in_one_service_is_offered_in_the_next(runtime, visitor_for):
    message = runtime.form("nachricht")
    appointment = runtime.form("termin_buergerbuero")
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_service(visitor, "nachricht")
        for field_id, typed in (("topic", "lob"), ("message", "Danke für die Bank."), ("name", "Zacharias Quimby"), ("wants_reply", True), ("reply_by", "telefon"), ("reply_phone", "03935 123456")):
            await visitor.answer(message.field(field_id), typed)
        await visitor.press_button("Absenden")
        await visitor.settle()
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        await visitor.press_button("Weiteres Anliegen")  # the same person goes on
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)

        await open_service(visitor, "termin_buergerbuero")
        await visitor.answer(appointment.field("concern"), "reisepass")
        await visitor.answer(app.session.current, "request")  # no time of its own: wished days
        await visitor.answer(app.session.current, [app.session.current.options[0].value])
        assert visitor.question_label() == appointment.field("name").text("label", "de")
        assert app.screen.query_one("#answer-text", Input).value == "Zacharias Quimby"  # offered
        assert "Sie haben diese Antwort in diesem Besuch schon gegeben" in visitor.text
        await visitor.press("enter")  # confirmed with one key, nothing retyped
        await pilot.pause()
        assert app.screen.query_one("#answer-text", Input).value == "03935 123456"

        app.answer_seconds, app.idle_seconds = 0.5, 0.2  # the person walks away: the visit ends
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        app.idle_seconds = 60
        await open_service(visitor, "termin_buergerbuero")
        await visitor.answer(appointment.field("concern"), "reisepass")
        await visitor.answer(app.session.current, "request")  # no time of its own: wished days
        await visitor.answer(app.session.current, [app.session.current.options[0].value])
        assert app.screen.query_one("#answer-text", Input).value == ""  # the next person sees nothing
