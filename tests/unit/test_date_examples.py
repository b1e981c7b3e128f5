"""A date question shows one example: the same under the question and in the message about a date
typed the wrong way."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kiosk.errors import AnswerError
from kiosk.forms import load_forms
from kiosk.forms.answers import parse_answer
from kiosk.forms.examples import example_for

TODAY = dt.date(2026, 12, 5)
DATE_QUESTIONS = [
    (form.id, field.id)
    for form in load_forms(None)
    for field in form.fields
    if field.type == "date"
]


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("form_id, field_id", DATE_QUESTIONS)
def test_the_wrong_way_message_shows_the_example_under_the_question(form_id, field_id, lang):
    field = next(f for f in load_forms(None) if f.id == form_id).field(field_id)
    hint = example_for(field, lang, TODAY)
    with pytest.raises(AnswerError) as caught:
        parse_answer(field, "nächste Woche", lang, today=TODAY)
    shown = re.findall(r"\d{2}\.\d{2}\.\d{4}", caught.value.message)
    assert len(shown) == 1
    if re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", hint):
        assert shown == [hint], f"hint {hint!r}, message {caught.value.message!r}"
    # the example in the message is itself an answer the question takes
    assert parse_answer(field, shown[0], lang, today=TODAY)


def test_a_question_about_a_day_to_come_has_the_same_example_in_both_places():
    field = next(f for f in load_forms(None) if f.id == "hausnummer").field("completion_date")
    assert example_for(field, "de", TODAY) == "19.12.2026"
    with pytest.raises(AnswerError) as caught:
        parse_answer(field, "morgen", "de", today=TODAY)
    assert "19.12.2026" in caught.value.message
