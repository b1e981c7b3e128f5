"""Wrong receipt codes are counted once per try, not once per look at the screen: switching the
language while a 'no such code' message is shown must not count the code again (a senior who
switches back and forth would otherwise lock the kiosk for everybody)."""

from __future__ import annotations

from kiosk import refcode
from kiosk.appointments import throttle
from kiosk.ui.app import KioskApp
from tests.functional.test_ui_status import SCREEN_SIZE, look_up, open_status


def kiosk_failures(runtime) -> int:
    row = runtime.store.db.execute("SELECT failures FROM wrong_tries WHERE scope = ?", [throttle.KIOSK_SCOPE]).fetchone()
    return 0 if row is None else int(row[0])


async def test_switching_the_language_does_not_count_an_unknown_code_again(runtime, visitor_for):
    unknown = refcode.display(refcode.new_reference())
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await open_status(visitor)
        await look_up(visitor, unknown)
        assert "liegt an diesem Gerät kein Antrag vor" in visitor.text
        assert kiosk_failures(runtime) == 1
        for _ in range(12):  # back and forth: more than the kiosk's free wrong tries
            await visitor.press("f2")
            await visitor.settle()
        assert kiosk_failures(runtime) == 1
        assert "kein Antrag vor" in visitor.text  # an even number of switches: German again
        assert "Too many wrong tries" not in visitor.text and "Zu viele" not in visitor.text
