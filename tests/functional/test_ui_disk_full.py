"""A citizen presses "Absenden" while the kiosk's disk is full: they read what happened, their
answers are still on the review screen, and the applications queued before are untouched."""

from __future__ import annotations

from kiosk.store import OutboxState
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.widgets.service_button import ServiceButton

SCREEN_SIZE = (100, 40)


def _fill_the_disk(runtime) -> list[str]:
    """Earlier, shorter applications fill the database until not one more fits; returns them."""
    from kiosk.errors import StoreFullError

    conn = runtime.store.db.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    form = runtime.form("nachricht")
    answers = {"topic": "lob", "message": "Gut.", "wants_reply": False}
    earlier = []
    for _ in range(500):
        try:
            earlier.append(runtime.submit(form, answers).reference)
        except StoreFullError:
            return earlier
    raise AssertionError("the database never filled up")


async def _fill_message(visitor, runtime) -> None:
    form = runtime.form("nachricht")
    await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
    await visitor.press("enter")
    assert isinstance(visitor.app.screen, QuestionScreen)
    await visitor.answer(form.field("topic"), "lob")
    await visitor.answer(form.field("message"), "Die Bank am Teich ist kaputt.")
    await visitor.answer(form.field("name"), "Erika")
    await visitor.answer(form.field("wants_reply"), False)
    assert isinstance(visitor.app.screen, ReviewScreen)


async def test_a_full_disk_at_send_is_explained_and_nothing_is_lost(runtime, visitor_for):
    conn = runtime.store.db.conn
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await _fill_message(visitor, runtime)
        earlier = _fill_the_disk(runtime)  # while the citizen was typing
        assert earlier

        await visitor.press_button("Absenden")
        await visitor.settle()
        assert "Der Speicher des Kiosks ist voll" in visitor.text
        assert "Ihre Angaben sind noch da" in visitor.text
        assert "kiosk.db" not in visitor.text and "Traceback" not in visitor.text
        await visitor.press("enter")  # OK
        assert isinstance(app.screen, ReviewScreen)
        assert "Die Bank am Teich ist kaputt." in visitor.text
        assert runtime.waiting_count() == len(earlier)
        assert {runtime.store.lookup(ref).state for ref in earlier} == {OutboxState.QUEUED}

        conn.execute("PRAGMA max_page_count = 1073741823")  # staff made room
        await visitor.press_button("Absenden")
        await visitor.settle()
        assert isinstance(app.screen, ReceiptScreen)
        assert runtime.waiting_count() == len(earlier) + 1
