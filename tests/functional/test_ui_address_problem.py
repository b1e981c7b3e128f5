"""A wrong postcode's message is in sight on a small console (80×25), not below the visible part
of the question where only a scrollbar hints at it."""

from __future__ import annotations

import pytest

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.widgets.service_button import ServiceButton

ADDRESS_ONLY = """
format = 1
id = "anschrift"
version = "1.0"
order = 1
title.de = "Anschrift"
title.en = "Address"
summary.de = "Nur die Anschrift."
summary.en = "Only the address."

[receipt]
next.de = "Nichts weiter."
next.en = "Nothing else."

[[fields]]
id = "home"
type = "address"
label = { de = "Wo wohnen Sie?", en = "Where do you live?" }
help = { de = "Ihre Anschrift.", en = "Your address." }
"""


@pytest.fixture
def address_kiosk(open_kiosk, tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "anschrift.toml").write_text(ADDRESS_ONLY, encoding="utf-8")
    return open_kiosk(forms_dir=str(forms))


async def test_a_wrong_postcode_message_is_on_screen_at_80_by_25(address_kiosk, visitor_for):
    form = address_kiosk.form("anschrift")
    app = KioskApp(address_kiosk, kiosk_mode=True, lang="de")
    async with app.run_test(size=(80, 25)) as pilot:
        visitor = visitor_for(pilot)
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton))
        await visitor.press("enter")
        assert isinstance(app.screen, QuestionScreen)
        wrong = {"street": "Hauptstraße", "number": "12", "postcode": "395", "town": "Lüderitz"}
        await visitor.answer(form.field("home"), wrong)
        await pilot.pause()
        await pilot.pause()
        assert "Postleitzahl" in visitor.problem()
        problem = app.screen.query_one("#problem")
        body = app.screen.query_one("#question-body")
        shown = problem.region  # the part of the message actually drawn on screen
        assert shown.height > 0, "the message is scrolled out of sight"
        assert body.region.contains_region(shown)
        assert app.screen.region.contains_region(shown)
        postcode = app.screen.query_one("#answer-postcode")
        assert app.focused is postcode and body.region.contains_region(postcode.region)
