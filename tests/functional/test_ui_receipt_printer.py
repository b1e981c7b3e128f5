"""The receipt screen with the printers kiosks really have: an 80 mm receipt printer on 127.0.0.1
(with paper and without), an A4 printer through ``lp`` that is missing, and no printer at all.

Printing runs in a worker: the screen stays usable, and when the printer fails the reason is told
under the receipt code, which stays in sight (at 80×25 too) to be copied by hand.
"""

from __future__ import annotations

from textual.widgets import Button

from kiosk import refcode
from kiosk.store import OutboxState
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.widgets.reference_code import ReferenceCode, spaced
from tests.functional.test_ui_first_visit import rendered_lines, rendered_words
from tests.functional.test_ui_services import fill_message
from tests.printer_emulator import LoopbackReceiptPrinter, read_escpos


async def send_and_reach_the_receipt(visitor, runtime) -> str:
    await fill_message(visitor, runtime)  # name "Erika", message "Schön hier."
    await visitor.press_button("Absenden")
    await visitor.settle()
    assert isinstance(visitor.app.screen, ReceiptScreen)
    return visitor.app.screen.query_one(ReferenceCode).code


async def test_the_receipt_comes_out_of_the_receipt_printer_with_code_and_qr_code(open_kiosk, visitor_for):
    with LoopbackReceiptPrinter() as printer:
        runtime = open_kiosk(printer=printer.setting, status_url="https://rathaus.example/s/")
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=(100, 40)) as pilot:
            visitor = visitor_for(pilot)
            code = await send_and_reach_the_receipt(visitor, runtime)
            assert str(visitor.focused.label) == "Beleg drucken"
            await visitor.press("enter")
            await visitor.settle()
            assert "Der Beleg ist gedruckt. Bitte nehmen Sie ihn aus dem Drucker." in visitor.text
    read = read_escpos(printer.printed)
    big = [line for line in read.lines if line.width == 3]
    assert [line.text for line in big] == [refcode.display(code)]
    assert read.qr.data.decode() == f"https://rathaus.example/s/{code}"
    assert runtime.form("nachricht").text("title", "de") in read.text
    for private in (b"Erika", b"Sch\x94n hier", "Schön hier".encode()):  # nothing typed is printed
        assert private not in printer.printed


async def test_paper_out_is_said_under_the_code_which_stays_large_enough_to_copy(open_kiosk, visitor_for):
    with LoopbackReceiptPrinter(paper=False) as printer:
        runtime = open_kiosk(printer=printer.setting)
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=(80, 25)) as pilot:
            visitor = visitor_for(pilot)
            code = await send_and_reach_the_receipt(visitor, runtime)
            await visitor.press("enter")
            await visitor.settle()
            assert isinstance(app.screen, ReceiptScreen)  # no window over the code
            words = rendered_words(app)
            assert (
                f"Im Drucker ist kein Papier mehr. Bitte schreiben Sie sich Ihren Code ab: {refcode.display(code)}"
                in words
            )
            assert any(spaced(code) in line for line in rendered_lines(app))  # the big code is in sight
            assert app.screen.query_one(ReferenceCode).has_class("-copy")
            assert str(visitor.focused.label) == "Fertig"
            # Tab reaches only the buttons (printing again, done, another service in the same
            # visit), each in sight at 80x25; no scroll area takes it
            assert sorted(str(w.label) for w in app.screen.focus_chain) == ["Beleg drucken", "Fertig", "Weiteres Anliegen"]
            for button in app.screen.focus_chain:
                assert button.region.area and app.screen.region.contains_region(button.region), button.label
    assert printer.printed == b""
    assert runtime.store.lookup(code).state is OutboxState.QUEUED  # the application itself is safe


async def test_a_missing_lp_is_said_on_the_receipt_screen(open_kiosk, visitor_for, tmp_path, monkeypatch):
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    runtime = open_kiosk(printer="Foyer")
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=(100, 40)) as pilot:
        visitor = visitor_for(pilot)
        await fill_message_en(visitor, runtime)
        code = app.screen.query_one(ReferenceCode).code
        await visitor.press_button("Print receipt")
        await visitor.settle()
        assert isinstance(app.screen, ReceiptScreen)
        assert f"The printer is not available. Please write down your code: {refcode.display(code)}" in visitor.text


async def fill_message_en(visitor, runtime) -> None:
    from tests.functional.test_ui_services import start_service

    form = runtime.form("nachricht")
    await start_service(visitor, "nachricht")
    await visitor.answer(form.field("topic"), "lob")
    await visitor.answer(form.field("message"), "Nice here.")
    await visitor.answer(form.field("name"), "")
    await visitor.answer(form.field("wants_reply"), False)
    await visitor.press_button("Send")
    await visitor.settle()
    assert isinstance(visitor.app.screen, ReceiptScreen)


async def test_without_a_printer_nothing_offers_to_print_and_the_code_is_to_be_written_down(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=(100, 40)) as pilot:
        visitor = visitor_for(pilot)
        await send_and_reach_the_receipt(visitor, runtime)
        labels = [str(button.label) for button in app.screen.query(Button)]
        assert sorted(labels) == ["Fertig", "Weiteres Anliegen"]  # and no "Beleg drucken"
        assert "Bitte schreiben Sie ihn auf." in visitor.text
        assert str(visitor.focused.label) == "Fertig"


async def test_staff_print_a_receipt_again_on_the_receipt_printer_and_hear_when_paper_is_out(open_kiosk, visitor_for):
    from tests.functional.test_ui_staff import listed_receipts, open_staff_screen, send_message

    with LoopbackReceiptPrinter() as printer:
        runtime = open_kiosk(printer=printer.setting)
        code = send_message(runtime)
        app = KioskApp(runtime, kiosk_mode=True, lang="en")
        async with app.run_test(size=(100, 40)) as pilot:
            visitor = visitor_for(pilot)
            await open_staff_screen(visitor)
            await visitor.press_button("Print a receipt again")
            assert refcode.display(code) in listed_receipts(app)[0]
            await visitor.press("enter")
            await visitor.settle()
            assert f"The receipt {refcode.display(code)} has been printed again." in visitor.text
            assert read_escpos(printer.printed).qr.data == code.encode()
            printer.paper = False
            await visitor.press("enter")
            await visitor.settle()
            assert (
                f"The printer has run out of paper. Please copy your code by hand: {refcode.display(code)}"
                in visitor.text
            )
