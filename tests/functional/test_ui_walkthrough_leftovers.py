"""What a first-time user still met walking through the demo, each checked on the running kiosk."""

from __future__ import annotations

from textual import events

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.status import StatusScreen
from kiosk.ui.widgets.service_button import ServiceButton


async def test_right_then_enter_right_after_the_start_opens_the_service_to_the_right(runtime, visitor_for):
    """Both keys come in before the kiosk has handled the first (typed quickly, or at once after
    the start screen appears): Enter must press the button Right moved to."""
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(events.Key("right", None))
        app.post_message(events.Key("enter", "\r"))
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, QuestionScreen)
        forms = sorted(runtime.forms, key=lambda f: (f.order, f.id))
        assert app.session.form.id == forms[1].id  # the second button: right of the first


async def test_first_focus_is_on_the_first_service(runtime):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=(100, 30)):
        assert isinstance(app.focused, ServiceButton)
        forms = sorted(runtime.forms, key=lambda f: (f.order, f.id))
        assert app.focused.form.id == forms[0].id


async def test_the_demo_shows_its_sample_codes_where_they_are_typed(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de", demo_codes=("7KQ-M2X-9TJ", "4HP-W7R-2NC"))
    async with app.run_test(size=(100, 30)) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Status eines Antrags abfragen")
        assert isinstance(app.screen, StatusScreen)
        assert "Demo: Beispiel-Codes zum Ausprobieren: 7KQ-M2X-9TJ, 4HP-W7R-2NC" in visitor.text


async def test_a_real_kiosk_shows_no_sample_codes(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=(100, 30)) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Status eines Antrags abfragen")
        assert "Demo" not in visitor.text
