"""Helper mode on a relative's own computer: not locked down, and the owner helps every visit
after the parent agreed on screen."""

from __future__ import annotations

from kiosk.cli import build_parser
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.consent import ConsentScreen
from tests.functional.conftest import SCREEN_SIZE


async def test_the_owner_helps_after_consent_and_ctrl_q_quits(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=False, lang="en", helper_name="Tom Schulze")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Someone is helping me")
        await visitor.settle()
        assert isinstance(app.screen, ConsentScreen)
        assert "Tom Schulze will help you fill in this application." in visitor.text
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        assert "Tom Schulze is helping you." in visitor.text
        assert app.return_code is None
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0  # not locked down: Ctrl+Q ends the program


def test_rathaus_kiosk_helper_is_never_locked_down(monkeypatch):
    seen = {}

    class FakeApp:
        def __init__(self, runtime, *, kiosk_mode, lang, helper_name):
            seen.update(kiosk_mode=kiosk_mode, helper_name=helper_name)

        def run(self):
            return None

    import kiosk.cli_kiosk as cli_kiosk
    import kiosk.runtime
    import kiosk.ui.app

    monkeypatch.setattr(kiosk.ui.app, "KioskApp", FakeApp)
    monkeypatch.setattr(kiosk.runtime, "open_runtime", lambda path: type("R", (), {"close": lambda self: None})())
    monkeypatch.setattr(cli_kiosk, "_require_terminal", lambda: None)
    args = build_parser().parse_args(["kiosk", "--helper", "Tom  Schulze"])
    assert args.handler(args) == 0
    assert seen == {"kiosk_mode": False, "helper_name": "Tom Schulze"}
