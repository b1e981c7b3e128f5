"""The whole journey as the people involved live it, with the real server on 127.0.0.1.

A visitor at the kiosk fills in a message by keyboard and takes the receipt; the kiosk delivers it
by itself; a clerk opens it in the inbox and answers; the visitor comes back, types the receipt
code, and reads the answer.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from kiosk.config import KioskConfig, save_config
from kiosk.runtime import open_runtime
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.widgets.reference_code import ReferenceCode
from kiosk.ui.widgets.service_button import ServiceButton
from sync.embedded import start_embedded_server
from sync.inbox import Inbox
from sync.server import create_app, open_storage

SCREEN_SIZE = (100, 40)
TYPED = {
    "topic": "strassen",
    "message": "Am Feldweg hinter der Kirche in Lüderitz liegt ein umgestürzter Baum.",
    "name": "Gertrud Wendeborn-Quast",
    "wants_reply": False,
}


async def wait_for(pilot, condition, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError("the screen never got there")


@pytest.mark.slow
async def test_typed_at_the_kiosk_read_and_answered_at_the_town_hall_seen_again_at_the_kiosk(
    enrol, visitor_for
):
    kiosk_dir, townhall_dir = enrol("kirche-luederitz")

    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url, sync_interval_seconds=1))
        with open_runtime(kiosk_dir) as runtime:
            app = KioskApp(runtime, kiosk_mode=True, lang="de")
            async with app.run_test(size=SCREEN_SIZE) as pilot:
                visitor = visitor_for(pilot)
                form = runtime.form("nachricht")

                # At the kiosk: one question per screen, by keyboard, then the receipt.
                await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
                await visitor.press("enter")
                for field_id in ("topic", "message", "name", "wants_reply"):
                    await visitor.answer(form.field(field_id), TYPED[field_id])
                await visitor.press_button("Absenden")
                await visitor.settle()
                assert isinstance(app.screen, ReceiptScreen)
                code = app.screen.query_one(ReferenceCode).code
                await visitor.press_button("Fertig")
                assert isinstance(app.screen, StartScreen)

                # The kiosk delivers it in the background and says so calmly.
                await wait_for(pilot, lambda: "Alle Anträge sind beim Rathaus angekommen" in visitor.text)

                # At the town hall: exactly what was typed, once; the clerk answers.
                with Inbox(townhall_dir, lang="de") as inbox:
                    opened = inbox.open(code)
                    assert opened.answers == {
                        "topic": "strassen",
                        "message": TYPED["message"],
                        "name": TYPED["name"],
                        "wants_reply": False,
                    }
                    inbox.set_status(code, "accepted", "Der Bauhof räumt den Weg am Donnerstag.")
                storage = open_storage(townhall_dir)
                try:
                    assert storage.counts().items == 1
                finally:
                    storage.close()

                # Back at the kiosk: the receipt code brings the answer, in plain words.
                await visitor.press_button("Status eines Antrags abfragen")
                box = app.screen.query_one("#code", Input)

                def answer_shown() -> bool:
                    return "Der Bauhof räumt den Weg am Donnerstag." in visitor.text

                for _ in range(100):  # the next background round brings the answer
                    box.value = ""
                    await visitor.type(code.lower())
                    await visitor.press("enter")
                    await pilot.pause(0.2)
                    if answer_shown():
                        break
                assert answer_shown()
                assert TYPED["name"] not in visitor.text  # the status shows nothing of the application
                await app.workers.wait_for_complete()

    # Nothing the visitor typed is readable anywhere on the kiosk's disk.
    raw = b"".join(p.read_bytes() for p in kiosk_dir.rglob("*") if p.is_file())
    for value in ("Wendeborn-Quast", "umgestürzter Baum", "Feldweg"):
        assert value.encode() not in raw
