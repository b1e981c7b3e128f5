"""The start screen's footer tells the truth about the queue: on a stick-only kiosk it speaks of
the next USB transport, it notices changes made behind its back, and a refusing town hall is
named calmly instead of an endless "waiting for a connection"."""

from __future__ import annotations

from kiosk.forms import FormSession
from kiosk.ui.app import KioskApp
from kiosk.ui.screens import start
from sync.outbox import SyncReport

SCREEN_SIZE = (100, 40)
MESSAGE = {"topic": "strassen", "message": "Die Laterne ist aus.", "name": "Zacharias Quimby", "wants_reply": False}


def send_message(runtime) -> str:
    form = runtime.form("nachricht")
    session = FormSession(form)
    while not session.at_review:
        session.answer(MESSAGE[session.current.id])
    return runtime.submit(form, session.answers()).reference


def footer(app) -> str:
    return str(app.screen.query_one("#connection").content)


async def wait_for_footer(pilot, words: str, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if words in footer(pilot.app):
            return
        await pilot.pause(0.05)
    raise AssertionError(f"{words!r} never appeared; the footer says: {footer(pilot.app)!r}")


async def test_a_stick_only_kiosk_speaks_of_the_next_usb_transport(runtime, visitor_for):
    send_message(runtime)
    send_message(runtime)
    runtime.store.record_sync("2026-11-20T09:30:00Z")
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE):
        text = footer(app)
        assert "2 Anträge warten auf den nächsten USB-Transport ins Rathaus" in text
        assert "Letzte Übergabe: 20.11.2026" in text
        assert "Verbindung" not in text  # no connection is ever coming to this kiosk


async def test_a_kiosk_with_a_link_still_speaks_of_the_connection(open_kiosk, visitor_for):
    runtime = open_kiosk(server_url="http://127.0.0.1:9", sync_interval_seconds=3600)
    send_message(runtime)
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE):
        await app.workers.wait_for_complete()
        assert "1 application is waiting for a connection" in footer(app)


async def test_the_footer_notices_queue_changes_made_elsewhere(runtime, visitor_for, monkeypatch):
    monkeypatch.setattr(start, "CONNECTION_REFRESH_SECONDS", 0.2)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        assert "Alle Anträge sind beim Rathaus angekommen" in footer(app)
        send_message(runtime)  # e.g. by another process, or a stick transfer
        await wait_for_footer(pilot, "1 Antrag wartet auf den nächsten USB-Transport ins Rathaus")


async def test_a_refusing_town_hall_is_named_calmly_until_an_exchange_succeeds(open_kiosk, visitor_for, monkeypatch):
    runtime = open_kiosk(server_url="http://127.0.0.1:9", sync_interval_seconds=3600)
    send_message(runtime)
    refused = SyncReport(
        error="The town hall refused the transfer (kiosk_revoked). Please tell the town hall staff.",
        refused=True,
    )
    link_down = SyncReport(error="No connection to the town hall.")
    answers = [refused, link_down, SyncReport()]
    monkeypatch.setattr(runtime, "sync_now", lambda **options: answers.pop(0))
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = footer(app)
        assert "Das Rathaus nimmt von diesem Kiosk zurzeit keine Anträge an." in text
        assert "bitte sagen Sie im Rathaus Bescheid" in text
        assert "kiosk_revoked" not in text and "wartet auf Verbindung" not in text

        app.sync_in_background()  # a dead link says nothing about whether the town hall accepts us
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "zurzeit keine Anträge an" in footer(app)

        app.sync_in_background()  # accepted again
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "1 Antrag wartet auf Verbindung" in footer(app)


async def test_applications_written_to_the_stick_are_told_apart_from_those_still_waiting(runtime, visitor_for, tmp_path):
    from sync.usb import kiosk_export

    send_message(runtime)
    kiosk_export(tmp_path, runtime.store, kiosk=runtime.kiosk_keys, townhall=runtime.townhall)
    send_message(runtime)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE):
        text = footer(app)
        assert "1 Antrag wartet auf den nächsten USB-Transport ins Rathaus" in text
        assert "1 Antrag ist auf dem USB-Stick unterwegs ins Rathaus" in text
