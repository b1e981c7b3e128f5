"""Wrong answers get one plain sentence right under the input, and nothing typed is lost.

A service with one question of every type is filled in with a mistake at each question; the
language is switched while the mistake is on screen; then the mistake is corrected.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, RadioButton, RadioSet, SelectionList, Static, TextArea

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.widgets.answer_input import AnswerInput
from kiosk.ui.widgets.service_button import ServiceButton

SCREEN_SIZE = (100, 40)

EVERY_TYPE = """
format = 1
id = "alle_arten"
version = "1.0"
order = 1
title.de = "Alle Arten von Fragen"
title.en = "Every kind of question"
summary.de = "Eine Frage von jeder Art."
summary.en = "One question of every kind."

[receipt]
next.de = "Nichts weiter."
next.en = "Nothing else."

[[fields]]
id = "name"
type = "text"
max_length = 10
label = { de = "Wie heißen Sie?", en = "What is your name?" }
help = { de = "Ihr Name.", en = "Your name." }

[[fields]]
id = "note"
type = "multiline"
max_length = 20
label = { de = "Was möchten Sie sagen?", en = "What would you like to say?" }
help = { de = "Kurz bitte.", en = "Briefly, please." }

[[fields]]
id = "birthday"
type = "date"
earliest = "-120y"
latest = "today"
label = { de = "Wann sind Sie geboren?", en = "When were you born?" }
help = { de = "Ihr Geburtstag.", en = "Your birthday." }

[[fields]]
id = "children"
type = "number"
max = 20
label = { de = "Wie viele Kinder haben Sie?", en = "How many children do you have?" }
help = { de = "Eine Zahl.", en = "A number." }

[[fields]]
id = "fee"
type = "money"
max = 1000
label = { de = "Wie hoch war der Beitrag?", en = "How much was the fee?" }
help = { de = "In Euro.", en = "In euros." }

[[fields]]
id = "colour"
type = "choice"
label = { de = "Welche Farbe?", en = "Which colour?" }
help = { de = "Eine Farbe.", en = "One colour." }
options = [
  { value = "rot", de = "Rot", en = "Red" },
  { value = "blau", de = "Blau", en = "Blue" },
]

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

[[fields]]
id = "agree"
type = "yesno"
must_be_yes = true
label = { de = "Stimmen Ihre Angaben?", en = "Are your details correct?" }
help = { de = "Bitte bestätigen.", en = "Please confirm." }

[[fields]]
id = "home"
type = "address"
label = { de = "Wo wohnen Sie?", en = "Where do you live?" }
help = { de = "Ihre Anschrift.", en = "Your address." }

[[fields]]
id = "iban"
type = "iban"
label = { de = "Wie lautet Ihre IBAN?", en = "What is your IBAN?" }
help = { de = "Auf der Bankkarte.", en = "On your bank card." }

[[fields]]
id = "mail"
type = "email"
label = { de = "Ihre E-Mail-Adresse?", en = "Your e-mail address?" }
help = { de = "Für Rückfragen.", en = "For questions." }

[[fields]]
id = "phone"
type = "phone"
label = { de = "Ihre Telefonnummer?", en = "Your phone number?" }
help = { de = "Mit Vorwahl.", en = "With area code." }
"""

HOME_WITH_SHORT_POSTCODE = {"street": "Hauptstraße", "number": "5", "postcode": "3951", "town": "Lüderitz"}

# question id, what is typed wrongly, German message, English message, the correction
MISTAKES: list[tuple[str, Any, str, str, Any]] = [
    ("name", "Erika Mustermann", "Bitte kürzen Sie Ihre Antwort auf 10 Zeichen", "shorten your answer to 10", "Erika"),
    ("note", "Das ist viel zu lang\nfür dieses Feld", "auf 20 Zeichen", "to 20 characters", "Hallo"),
    ("birthday", "31.02.1950", "31.02.1950", "31.02.1950", "28.02.1950"),
    ("children", "2,5", "ganze Zahl", "whole number", "2"),
    ("fee", "12,3456", "zwei", "two digits", "12,34"),
    ("colour", None, "Bitte wählen Sie eine der Antworten.", "Please choose one of the answers.", "blau"),
    ("days", [], "mindestens eine", "at least one", ["di"]),
    ("agree", False, "wenn Sie dies bestätigen", "confirmed", True),
    ("home", HOME_WITH_SHORT_POSTCODE, "Postleitzahl mit 5 Ziffern", "postcode with 5 digits",
     {**HOME_WITH_SHORT_POSTCODE, "postcode": "39517"}),
    ("iban", "DE88 3704 0044 0532 0130 00", "IBAN", "IBAN", "DE89 3704 0044 0532 0130 00"),
    ("mail", "erika@", "E-Mail-Adresse", "e-mail address", "erika@example.de"),
    ("phone", "12", "Vorwahl", "area code", "03935 123456"),
]


# One question per kind of input widget: one line, several lines, one choice, several choices,
# yes/no, address.
SWITCH_LANGUAGE_AT = {"name", "note", "colour", "days", "agree", "home"}


@pytest.fixture
def every_type_kiosk(open_kiosk, tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "alle_arten.toml").write_text(EVERY_TYPE, encoding="utf-8")
    return open_kiosk(forms_dir=str(forms))


def what_is_entered(screen, field) -> Any:
    """Read the input back as the person sees it."""
    if field.type == "multiline":
        return screen.query_one(TextArea).text
    if field.type == "address":
        return {p: screen.query_one(f"#answer-{p}", Input).value for p in ("street", "number", "postcode", "town")}
    if field.type == "yesno":
        pressed = [b.value for b in screen.query_one(RadioSet).query(RadioButton)]
        return {(True, False): True, (False, True): False}.get(tuple(pressed))
    if field.type == "choice" and field.multiple:
        return sorted(screen.query_one(SelectionList).selected)
    if field.type == "choice":
        pressed = [i for i, b in enumerate(screen.query_one(RadioSet).query(RadioButton)) if b.value]
        return field.options[pressed[0]].value if pressed else None
    return screen.query_one("#answer-text", Input).value


def assert_message_under_the_input(screen, expected: str) -> None:
    problem = screen.query_one("#problem", Static)
    answer = screen.query_one(AnswerInput)
    assert problem.display, "no message shown"
    assert expected in str(problem.content)
    assert 0 <= problem.region.y - answer.region.bottom <= 2, "the message is not right under the input"


async def test_mistakes_at_every_kind_of_question_are_explained_and_nothing_is_lost(
    every_type_kiosk, visitor_for
):
    form = every_type_kiosk.form("alle_arten")
    app = KioskApp(every_type_kiosk, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton))
        await visitor.press("enter")
        for field_id, wrong, german, english, right in MISTAKES:
            field = form.field(field_id)
            assert isinstance(app.screen, QuestionScreen)
            assert visitor.question_label() == field.text("label", "de")
            await visitor.answer(field, wrong, confirm=False)
            await visitor.press_button("Weiter")
            assert visitor.question_label() == field.text("label", "de"), f"{field_id}: accepted {wrong!r}"
            assert_message_under_the_input(app.screen, german)
            shown = what_is_entered(app.screen, field)
            assert shown == (sorted(wrong) if isinstance(wrong, list) else wrong), f"{field_id}: typing lost"
            if field.type == "address":
                assert app.focused is app.screen.query_one("#answer-postcode", Input)

            if field_id in SWITCH_LANGUAGE_AT:  # once for every kind of input
                await visitor.press("f2")  # to English, with the message showing
                assert visitor.question_label() == field.text("label", "en")
                assert_message_under_the_input(app.screen, english)
                assert what_is_entered(app.screen, field) == shown
                await visitor.press("f2")
                assert visitor.question_label() == field.text("label", "de")
                assert_message_under_the_input(app.screen, german)

            await visitor.answer(field, right)
            if isinstance(app.screen, QuestionScreen):
                assert visitor.question_label() != field.text("label", "de"), visitor.problem()

        assert isinstance(app.screen, ReviewScreen)
        review = visitor.text
        for words in ("Erika", "28.02.1950", "12,34\xa0€", "Blau", "Dienstag", "Ja",
                      "Hauptstraße 5, 39517 Lüderitz", "DE89 3704 0044 0532 0130 00", "03935 123456"):
            assert words in review
        await visitor.press("f2")
        review = visitor.text
        for words in ("Blue", "Tuesday", "Yes", "Change", "Send", "28 Feb 1950"):
            assert words in review


async def test_language_switch_on_the_start_screen_and_back_keeps_answers(runtime, visitor_for):
    form = runtime.form("termin_buergerbuero")
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("English")
        assert "Welcome! What would you like to do?" in visitor.text
        assert form.text("title", "en") in visitor.text
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == form.id)
        await visitor.press("enter")
        assert "Question 1 of" in visitor.text
        await visitor.answer(form.field("concern"), "sonstiges")
        await visitor.type("Parkaus")
        await visitor.press("f2")
        assert "Frage 2 von" in visitor.text
        assert app.screen.query_one("#answer-text", Input).value == "Parkaus"
        await visitor.press("escape")
        assert visitor.question_label() == form.field("concern").text("label", "de")
        assert what_is_entered(app.screen, form.field("concern")) == "sonstiges"
        await visitor.press("enter")  # Enter keeps the chosen answer and goes on
        assert app.screen.query_one("#answer-text", Input).value == "Parkaus"  # Back kept the half answer

        await visitor.press_button("Antrag abbrechen")
        await visitor.press_button("Ja, abbrechen")
        assert "Herzlich willkommen! Was möchten Sie erledigen?" in visitor.text  # in German again
        assert form.text("title", "de") in visitor.text
