"""Nothing of one visitor reaches the next through the visitor aids: the voice (F5/F6) and the
answers the kiosk offers again."""

from __future__ import annotations

import os
import stat

import pytest

from kiosk.store import StatusRecord
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.screens.status import StatusScreen
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
