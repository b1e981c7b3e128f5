"""Small prompts that decide whether a person gets on: an example day that has not passed, a hint
that says how to leave a multiple choice, a status box ready for the next code."""

from __future__ import annotations

import datetime as dt
import re

from textual.widgets import Button, Input

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.help import HelpScreen
from kiosk.ui.screens.question import QuestionScreen, hint_for
from kiosk.ui.widgets.service_button import ServiceButton

SCREEN_SIZE = (100, 40)
DATE = re.compile(r"\b(\d{2})\.(\d{2})\.(\d{4})\b")


def dates_in(text: str) -> list[dt.date]:
    return [dt.date(int(y), int(m), int(d)) for d, m, y in DATE.findall(text)]


async def test_the_appointment_question_never_offers_a_past_day(runtime, visitor_for):
    form = runtime.form("termin_buergerbuero")
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == form.id)
        await visitor.press("enter")
        await visitor.answer(app.session.current, "reisepass")
        assert visitor.question_label() == form.field("appointment").text("label", "de")
        await visitor.answer(app.session.current, "request")  # no time of its own: wished days
        assert isinstance(app.screen, QuestionScreen)
        assert visitor.question_label() == form.field("windows").text("label", "de")
        offered = [option.value for option in app.session.current.options]
        assert offered
        assert all(dt.date.fromisoformat(value[:10]) > dt.date.today() for value in offered)
        from textual.widgets import SelectionList

        shown = str(app.screen.query_one(SelectionList).get_option_at_index(0).prompt)
        weekdays = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag")
        assert shown.startswith(weekdays) and ("vormittags" in shown or "nachmittags" in shown), shown


def test_no_shipped_question_about_a_day_to_come_shows_a_past_day(runtime):
    from kiosk.forms.datelimits import resolve_limit

    today = dt.date.today()
    for form in runtime.forms:
        for field in form.fields:
            if field.type == "date" and field.earliest and resolve_limit(field.earliest, today) >= today:
                for lang in ("de", "en"):
                    assert all(day >= today for day in dates_in(hint_for(field, lang))), (form.id, field.id)


DAYS_FORM = """
format = 1
id = "tage"
version = "1.0"
order = 1
title.de = "Tage"
title.en = "Days"
summary.de = "Eine Frage."
summary.en = "One question."

[receipt]
next.de = "Nichts weiter."
next.en = "Nothing else."

[[fields]]
id = "days"
type = "choice"
multiple = true
label = { de = "An welchen Tagen?", en = "On which days?" }
help = { de = "Einer oder mehrere.", en = "One or more." }
options = [
  { value = "mo", de = "Montag", en = "Monday" },
  { value = "di", de = "Dienstag", en = "Tuesday" },
]
"""


async def test_the_multiple_choice_hint_says_how_to_go_on(open_kiosk, tmp_path, visitor_for):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "tage.toml").write_text(DAYS_FORM, encoding="utf-8")
    runtime = open_kiosk(forms_dir=str(forms))
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "tage")
        await visitor.press("enter")
        hint = str(app.screen.query_one("#question-hint").content)
        assert "Mit der Leertaste an- und abwählen, mit Tab zu „Weiter“" in hint

        await visitor.press("space", "tab")  # just as the hint says
        assert isinstance(visitor.focused, Button) and str(visitor.focused.label) == "Weiter"
        await visitor.press("f2")
        await pilot.pause()
        assert "Space ticks or unticks, Tab goes on to “Next”" in str(app.screen.query_one("#question-hint").content)


async def test_after_an_answer_the_next_code_can_be_typed_at_once(runtime, visitor_for):
    from kiosk import refcode
    from kiosk.forms import FormSession
    from kiosk.store import StatusRecord

    form = runtime.form("nachricht")
    codes = []
    for _ in range(2):
        session = FormSession(form)
        typed = {"topic": "strassen", "message": "Die Laterne ist aus.", "name": "Zacharias Quimby", "wants_reply": False}
        while not session.at_review:
            session.answer(typed[session.current.id])
        codes.append(runtime.submit(form, session.answers()).reference)
    runtime.store.apply_status([StatusRecord(codes[1], "accepted", "Alles erledigt.", "2026-11-20T09:30:00Z", 1)])
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Status eines Antrags abfragen")
        await visitor.type(refcode.display(codes[0]))
        await visitor.press("enter")
        await pilot.pause()
        assert "Ihre Nachricht ist an diesem Kiosk gespeichert" in visitor.text
        assert visitor.focused is app.screen.query_one("#code", Input), "ready for the next code"

        await visitor.type(refcode.display(codes[1]))  # straight away, no clearing
        await visitor.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#code", Input).value == refcode.display(codes[1])
        assert "Alles erledigt." in visitor.text
