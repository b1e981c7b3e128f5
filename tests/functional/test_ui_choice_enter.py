"""Enter on a choice saves the answer the person has highlighted, and the chosen answer is marked
by its sign (● chosen, ○ not), not only by colour.

Found walking through the demo at 80×25: Enter, Down, Enter on the first question of "Nachricht an
das Rathaus" went on with the first answer, not the highlighted one.
"""

from __future__ import annotations

from textual.widgets import RadioButton

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.widgets.service_button import ServiceButton


async def open_message_service(visitor) -> None:
    await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
    await visitor.press("enter")
    assert isinstance(visitor.app.screen, QuestionScreen)


async def test_enter_down_enter_goes_on_with_the_highlighted_answer(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=(80, 25)) as pilot:
        visitor = visitor_for(pilot)
        await open_message_service(visitor)
        assert app.session.current.id == "topic"
        await visitor.press("enter")  # the first answer, highlighted: chosen, and on
        await pilot.pause()
        assert app.session.current.id == "message"
        assert app.session.answers()["topic"] == "strassen"
        await visitor.press("escape")  # back; the first answer is chosen and highlighted
        await pilot.pause()
        await visitor.press("down", "enter")
        await pilot.pause()
        answered = app.session.answers()
        assert app.session.current.id != "topic", "Enter on the highlighted answer did not go on"
        assert answered.get("topic") == "sauberkeit", answered


async def test_enter_chooses_the_highlighted_answer_and_goes_on_at_once(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=(80, 25)) as pilot:
        visitor = visitor_for(pilot)
        await open_message_service(visitor)
        await visitor.press("down", "enter")
        await pilot.pause()
        assert app.session.current.id == "message"
        await visitor.press("escape")  # back to the question: the answer is kept and shown
        await pilot.pause()
        assert app.session.current.id == "topic"
        marks = {str(b.label): b.render().plain[:3] for b in app.screen.query(RadioButton)}
        assert "●" in marks["Müll und Sauberkeit"], marks
        others = [mark for label, mark in marks.items() if label != "Müll und Sauberkeit"]
        assert others and all("○" in mark and "●" not in mark for mark in others), marks
