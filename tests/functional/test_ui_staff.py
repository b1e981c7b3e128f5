"""After F12 and the PIN, staff carry applications by USB stick and close the kiosk from its own
keyboard: a kiosk without a console must not need one for the stick."""

from __future__ import annotations

import errno

from textual.widgets import Input, OptionList

from kiosk import refcode
from kiosk.config import KioskConfig, save_config
from kiosk.forms import FormSession
from kiosk.runtime import open_runtime
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.widgets.service_button import ServiceButton
from sync.allowlist import Allowlist
from sync.keys import load_townhall_keys
from sync.server import open_storage
from sync.usb import townhall_import

SCREEN_SIZE = (100, 40)
STAFF_PIN = "246813"
MESSAGE = {"topic": "strassen", "message": "Die Laterne ist aus.", "name": "Zacharias Quimby", "wants_reply": False}


def send_message(runtime) -> str:
    form = runtime.form("nachricht")
    session = FormSession(form)
    while not session.at_review:
        session.answer(MESSAGE[session.current.id])
    return runtime.submit(form, session.answers()).reference


async def open_staff_screen(visitor) -> None:
    await visitor.press("f12")
    await visitor.type(STAFF_PIN)
    await visitor.press("enter")
    await visitor.pilot.pause()
    assert isinstance(visitor.app.screen, StaffScreen)
    assert visitor.app.return_code is None, "the right PIN no longer ends the kiosk at once"


async def use_folder(visitor, folder) -> None:
    box = visitor.app.screen.query_one("#usb-dir", Input)
    await visitor.tab_to(lambda w: w is box)
    await visitor.press("home", "ctrl+k")
    await visitor.type(str(folder))


async def test_staff_carry_applications_and_answers_by_stick_without_a_console(enrol, tmp_path, _staff_pin_hash, visitor_for):
    kiosk_dir, townhall_dir = enrol("kiosk-stick")
    save_config(kiosk_dir, KioskConfig(staff_pin_hash=_staff_pin_hash))
    stick = tmp_path / "stick"
    stick.mkdir()
    with open_runtime(kiosk_dir) as runtime:
        send_message(runtime)
        send_message(runtime)
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            await open_staff_screen(visitor)
            assert "/media/rathaus-stick" in visitor.text  # where the stick is expected
            assert "Jetzt mit dem Rathaus abgleichen" not in visitor.text  # no link on this kiosk

            await use_folder(visitor, stick)
            await visitor.press_button("Anträge auf USB-Stick schreiben")
            await visitor.settle()
            assert "2 Anträge wurden auf den USB-Stick geschrieben." in visitor.text
            assert "Bitte bringen Sie den Stick ins Rathaus." in visitor.text
            assert list((stick / "rathaus-transfer" / "to-townhall" / "kiosk-stick").glob("*.batch"))

            with open_storage(townhall_dir) as storage:  # meanwhile, at the town hall
                imported = townhall_import(
                    stick, storage, Allowlist(townhall_dir),
                    townhall=load_townhall_keys(townhall_dir, need_encryption=False),
                )
            assert imported.batches_received == 1

            await visitor.press_button("Antworten vom USB-Stick holen")
            await visitor.settle()
            assert "Das Rathaus hat 1 Lieferung bestätigt" in visitor.text
            assert runtime.waiting_count() == 0

            await visitor.press_button("Zurück zum Kiosk")
            assert isinstance(app.screen, StartScreen)
            assert "Alle Anträge sind beim Rathaus angekommen" in visitor.text
            assert app.return_code is None


async def test_a_missing_or_broken_stick_is_one_plain_sentence(runtime, visitor_for, tmp_path, monkeypatch):
    send_message(runtime)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_staff_screen(visitor)
        await use_folder(visitor, tmp_path / "not-plugged-in")
        await visitor.press_button("Anträge auf USB-Stick schreiben")
        await visitor.settle()
        assert "Ist der USB-Stick eingesteckt und eingebunden?" in visitor.text

        def read_only(*args, **kwargs):
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr("sync.usb.kiosk_export", read_only)
        await use_folder(visitor, tmp_path)
        await visitor.press_button("Anträge auf USB-Stick schreiben")
        await visitor.settle()
        text = visitor.text
        assert f"Der USB-Stick unter {tmp_path} lässt sich nicht lesen oder beschreiben." in text
        assert "Errno" not in text and "Traceback" not in text
        assert runtime.waiting_count() == 1  # nothing lost
        assert isinstance(app.screen, StaffScreen)


async def test_the_sync_button_is_offered_only_with_a_town_hall_address(open_kiosk, visitor_for):
    runtime = open_kiosk(server_url="http://127.0.0.1:9", sync_interval_seconds=3600)
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.settle()
        await open_staff_screen(visitor)
        await visitor.press_button("Exchange with the town hall now")
        await visitor.settle()
        assert "no connection" in visitor.text.lower() or "cannot" in visitor.text.lower(), visitor.text
        assert isinstance(app.screen, StaffScreen)


async def test_staff_close_the_kiosk_from_the_staff_screen(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_staff_screen(visitor)
        await visitor.press_button("Kiosk beenden")
        await pilot.pause()
        assert app.return_code == 0


async def test_the_staff_screen_never_stays_open_for_the_next_citizen(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de", idle_seconds=60)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_staff_screen(visitor)
        await visitor.press("f12")
        assert isinstance(app.screen, StaffScreen), "no PIN window over the staff screen"
        app.idle_seconds = 0.2  # staff walk away
        for _ in range(60):
            if isinstance(app.screen, StartScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, StartScreen)
        assert len(app.screen_stack) == 1
        assert "Herzlich willkommen" in visitor.text


def listed_receipts(app) -> list[str]:
    """The lines of the receipt list as they stand on screen."""
    options = app.screen.query_one("#receipts", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def send_message_and_lose_power_before_the_receipt(visitor) -> None:
    """A citizen sends a message; the power goes after it is saved, before the receipt shows
    (``KioskApp.on_submission_queued`` does nothing meanwhile)."""
    app = visitor.app
    await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
    await visitor.press("enter")
    while not isinstance(app.screen, ReviewScreen):
        await visitor.answer(app.session.current, MESSAGE[app.session.current.id])
    await visitor.press_button("Absenden")
    await visitor.settle()
    assert not isinstance(app.screen, ReceiptScreen)


async def test_staff_print_again_a_receipt_a_power_cut_kept_off_the_screen(open_kiosk, visitor_for, monkeypatch):
    runtime = open_kiosk()
    with monkeypatch.context() as power_cut:
        power_cut.setattr(KioskApp, "on_submission_queued", lambda app, message: None)
        async with KioskApp(runtime, kiosk_mode=True, lang="de").run_test(size=SCREEN_SIZE) as pilot:
            await send_message_and_lose_power_before_the_receipt(visitor_for(pilot))
    (reference,) = [r.reference for r in runtime.store.recent_receipts()]
    code = refcode.display(reference)
    runtime.close()

    with open_runtime(runtime.data_dir) as restarted:  # the kiosk starts again
        app = KioskApp(restarted, kiosk_mode=True, lang="de")
        async with app.run_test(size=SCREEN_SIZE) as pilot:
            visitor = visitor_for(pilot)
            assert code not in visitor.text  # the next visitor sees nothing of it
            await open_staff_screen(visitor)
            await visitor.press_button("Beleg noch einmal drucken")
            assert "Die letzten Belege dieses Kiosks" in visitor.text
            (line,) = listed_receipts(app)
            assert code in line and "Nachricht an das Rathaus" in line
            assert isinstance(visitor.focused, OptionList)
            await visitor.press("enter")
            await visitor.settle()
            saved = restarted.data_dir / "receipts" / f"{reference}.pdf"
            assert f"Der Beleg {code} ist als {saved} gespeichert" in visitor.text
            assert saved.read_bytes().startswith(b"%PDF")

            await visitor.press("escape")
            assert isinstance(app.screen, StaffScreen)
            await visitor.press_button("Zurück zum Kiosk")
            assert isinstance(app.screen, StartScreen)
            assert code not in visitor.text


async def test_a_receipt_printed_again_goes_to_the_kiosks_printer(open_kiosk, visitor_for, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    printed = tmp_path / "lp.log"
    lp = bin_dir / "lp"
    lp.write_text(f'#!/bin/sh\necho "$@" >> {printed}\n')
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    runtime = open_kiosk(printer="Foyer")
    older, newest = send_message(runtime), send_message(runtime)
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_staff_screen(visitor)
        await visitor.press_button("Print a receipt again")
        lines = listed_receipts(app)
        assert [refcode.display(older) in lines[1], refcode.display(newest) in lines[0]] == [True, True]
        await visitor.press("down", "enter")  # the older one
        await visitor.settle()
        assert f"The receipt {refcode.display(older)} has been printed again." in visitor.text
    assert printed.read_text().split() == ["-d", "Foyer", str(runtime.data_dir / "receipts" / f"{older}.pdf")]


async def test_the_receipt_list_goes_away_with_the_staff_screen_when_left_alone(runtime, visitor_for):
    send_message(runtime)
    app = KioskApp(runtime, kiosk_mode=True, lang="de", idle_seconds=60)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_staff_screen(visitor)
        await visitor.press_button("Beleg noch einmal drucken")
        app.idle_seconds = 0.2  # staff walk away from the list
        for _ in range(60):
            if isinstance(app.screen, StartScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, StartScreen) and len(app.screen_stack) == 1


async def test_the_staff_screen_opens_with_the_focus_on_the_stick_folder(runtime, visitor_for, tmp_path):
    """Staff who type the stick's folder straight away find it in the folder box, not lost."""
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=(80, 25)) as pilot:
        visitor = visitor_for(pilot)
        await open_staff_screen(visitor)
        box = app.screen.query_one("#usb-dir", Input)
        assert visitor.focused is box
        await visitor.press("end")
        await visitor.type("/stick2")
        assert box.value.endswith("/stick2")
