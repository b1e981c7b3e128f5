"""Looking up an application with the code from the receipt, in plain words.

The status screen shows the service, where the application is and the town hall's message; a
mistyped code is caught by its check character before anything is looked up.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from kiosk import refcode
from kiosk.config import KioskConfig, save_config
from kiosk.forms import FormSession
from kiosk.runtime import open_runtime
from kiosk.store import StatusRecord
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.screens.status import StatusScreen
from sync.allowlist import Allowlist
from sync.embedded import start_embedded_server
from sync.inbox import Inbox
from sync.keys import enrolment_request_path, init_kiosk, init_townhall, townhall_public_keys_path
from sync.server import create_app

SCREEN_SIZE = (100, 40)
MESSAGE = {
    "topic": "strassen",
    "message": "Die Laterne in der Lindenstraße ist aus.",
    "name": "Zacharias Quimby",
    "wants_reply": False,
}


def send_message(runtime) -> str:
    """An application queued at this kiosk, as if it had been filled in earlier."""
    form = runtime.form("nachricht")
    session = FormSession(form)
    while not session.at_review:
        session.answer(MESSAGE[session.current.id])
    return runtime.submit(form, session.answers()).reference


def mistype(code: str) -> str:
    """The same code with its fifth character swapped for another valid one."""
    wrong = refcode.ALPHABET[(refcode.ALPHABET.index(code[4]) + 1) % len(refcode.ALPHABET)]
    return code[:4] + wrong + code[5:]


async def open_status(visitor) -> None:
    await visitor.press_button("Status eines Antrags abfragen")
    assert isinstance(visitor.app.screen, StatusScreen)
    assert visitor.focused is visitor.app.screen.query_one("#code", Input)


async def look_up(visitor, typed: str) -> None:
    box = visitor.app.screen.query_one("#code", Input)
    if visitor.focused is not box:
        await visitor.tab_to(lambda w: w is box)
    await visitor.clear_text()
    await visitor.type(typed)
    await visitor.press("enter")


async def test_a_waiting_application_and_an_answered_one_in_plain_words(runtime, visitor_for):
    waiting = send_message(runtime)
    answered = send_message(runtime)
    runtime.store.apply_status(
        [StatusRecord(answered, "needs_information", "Bitte rufen Sie Frau Krause an: 03935 9300.",
                      "2026-11-20T09:30:00Z", 1)]
    )
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        assert "2 Anträge warten auf den nächsten USB-Transport ins Rathaus" in visitor.text
        await open_status(visitor)

        await look_up(visitor, refcode.display(waiting).lower())  # case and dashes do not matter
        text = visitor.text
        assert "Nachricht an das Rathaus" in text
        assert "an diesem Kiosk gespeichert" in text  # still waiting for the town hall
        assert "Nachricht vom Rathaus" not in text
        for private in ("Zacharias", "Laterne", "Lindenstraße"):
            assert private not in text

        await look_up(visitor, answered)
        text = visitor.text
        assert "Das Rathaus braucht noch Angaben von Ihnen." in text
        assert "Nachricht vom Rathaus:" in text
        assert "Bitte rufen Sie Frau Krause an: 03935 9300." in text

        await visitor.press("f2")
        text = visitor.text
        assert "The town hall needs more information from you." in text
        assert "Message from the town hall:" in text
        assert app.screen.query_one("#code", Input).value == answered

        await visitor.press("escape")
        assert isinstance(app.screen, StartScreen)


async def test_a_mistyped_code_is_caught_by_its_check_character(runtime, visitor_for):
    code = send_message(runtime)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_status(visitor)
        typo = mistype(code)
        await look_up(visitor, refcode.display(typo))
        text = visitor.text
        assert "Vermutlich ist ein Zeichen vertippt" in text
        assert "Nachricht an das Rathaus" not in text
        assert app.screen.query_one("#code", Input).value == refcode.display(typo)  # kept to correct

        await look_up(visitor, code[:5])
        assert "Ein Beleg-Code hat 9 Zeichen; Sie haben 5 eingegeben." in visitor.text

        await look_up(visitor, refcode.new_reference())  # a valid code, not from this kiosk
        assert "liegt an diesem Gerät kein Antrag vor" in visitor.text

        await look_up(visitor, code)
        assert "Vermutlich" not in visitor.text
        assert "Nachricht an das Rathaus" in visitor.text


async def wait_for_text(visitor, words: str, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if words in visitor.text:
            return
        await visitor.pilot.pause(0.1)
    raise AssertionError(f"{words!r} never appeared; the screen shows:\n{visitor.text}")


@pytest.mark.slow
async def test_the_start_screen_follows_the_exchange_with_the_town_hall(tmp_path, visitor_for):
    townhall_dir, kiosk_dir = tmp_path / "townhall", tmp_path / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(kiosk_dir, kiosk_id="kiosk-sync", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "kiosk-sync"))
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url, sync_interval_seconds=1))
        with open_runtime(kiosk_dir) as runtime:
            code = send_message(runtime)
            send_message(runtime)
            Inbox(townhall_dir)  # the town hall is ready to answer
            app = KioskApp(runtime, kiosk_mode=True, lang="de")
            async with app.run_test(size=SCREEN_SIZE) as pilot:
                visitor = visitor_for(pilot)
                await wait_for_text(visitor, "Alle Anträge sind beim Rathaus angekommen")
                assert runtime.waiting_count() == 0

                Inbox(townhall_dir).set_status(code, "accepted", "Alles erledigt.")
                await open_status(visitor)
                for _ in range(150):  # the next exchange brings the answer
                    await look_up(visitor, code)
                    if "Alles erledigt." in visitor.text:
                        break
                    await pilot.pause(0.1)
                assert "Alles erledigt." in visitor.text
                await app.workers.wait_for_complete()


async def test_no_link_to_the_town_hall_bothers_nobody(open_kiosk, visitor_for, monkeypatch):
    runtime = open_kiosk(server_url="http://127.0.0.1:9", sync_interval_seconds=3600)
    send_message(runtime)
    reports = []
    real_sync = runtime.sync_now

    def watched_sync(**options):
        reports.append(real_sync(**options))
        return reports[-1]

    monkeypatch.setattr(runtime, "sync_now", watched_sync)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(reports) == 1 and reports[0].error  # it tried, and failed quietly
        assert isinstance(app.screen, StartScreen)  # no error window for the citizen
        assert "1 Antrag wartet auf Verbindung" in visitor.text
