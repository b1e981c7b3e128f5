"""Whatever a person types (or a broken keyboard sends), every question of every shipped service
either takes it as a value of the documented type (docs/architecture.md, Answers) or refuses it
with an ``AnswerError`` that says what to type. Nothing else is ever raised."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.errors import AnswerError
from kiosk.forms import FormSession, load_forms
from kiosk.forms.answers import display_answer, parse_answer
from kiosk.forms.model import ADDRESS_PARTS
from tests.fuzz.support import fuzz_settings

FORMS = load_forms()
FIELDS = {f"{form.id}.{field.id}": field for form in FORMS for field in form.fields}
TYPES = sorted({field.type for field in FIELDS.values()})


def _variants(field):
    """The question as shipped, optional, and with limits at the edges of what a form may set."""
    yield field
    yield dataclasses.replace(field, required=not field.required)
    if field.type == "number":
        yield dataclasses.replace(field, minimum=-5, maximum=5)
    if field.type == "money":
        yield dataclasses.replace(field, minimum=Decimal("0.01"), maximum=Decimal("99999999.99"))
    if field.type == "date":
        yield dataclasses.replace(field, earliest="-120y", latest="+90d")
    if field.type in ("text", "multiline"):
        yield dataclasses.replace(field, max_length=1)


VARIANTS = [variant for field in FIELDS.values() for variant in _variants(field)]

typed_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.from_regex(r"\A\s*\d{1,4}\s*[./\- ]\s*\d{1,4}\s*[./\- ]\s*\d{0,6}\s*\Z"),  # dates
    st.from_regex(r"\A\s*[-+]?[\d .]{0,30}([.,]\d{0,30})?\s*(€|EUR)?\s*\Z"),  # numbers, money
    st.from_regex(r"\A[A-Za-z]{2}\d{2}[\dA-Za-z ]{0,40}\Z"),  # IBAN-like
    st.from_regex(r"\A[\w.+-]{0,30}@[\w.-]{0,30}\Z"),  # e-mail-like
    st.from_regex(r"\A\+?[\d ()/\-]{0,30}\Z"),  # phone-like
    st.sampled_from(["", " ", "\t\n", "0", "-0", "1e309", "NaN", "∞", "٣", "²", "ja", "Nein", "yes", "\x00", "\ud7ff"]),
)


def raw_for(field):
    """Any text in the shape the screens hand over for this type (``Raw`` in kiosk.forms.answers):
    typed text, the four address boxes, the options picked (or any other text as an option), a
    Yes/No button; ``None`` for nothing at all. Another shape is a programming error, not input."""
    if field.type == "address":
        return st.dictionaries(st.sampled_from(ADDRESS_PARTS), typed_text, max_size=4)
    if field.type == "choice":
        values = st.sampled_from([option.value for option in field.options])
        return st.one_of(st.none(), values, typed_text, st.lists(values | typed_text, max_size=6))
    if field.type == "yesno":
        return st.one_of(st.none(), st.booleans(), typed_text)
    return st.one_of(st.none(), typed_text)


def conforms(field, value) -> bool:
    kind = field.type
    if kind in ("text", "multiline", "email", "phone"):
        return isinstance(value, str) and value == value.strip() and value != ""
    if kind == "date":
        return isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value) is not None and bool(
            dt.date.fromisoformat(value)
        )
    if kind == "number":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "money":
        return isinstance(value, str) and re.fullmatch(r"-?\d+\.\d\d", value) is not None
    if kind == "choice":
        values = {option.value for option in field.options}
        if field.multiple:
            return isinstance(value, list) and bool(value) and set(value) <= values and len(set(value)) == len(value)
        return isinstance(value, str) and value in values
    if kind == "yesno":
        return isinstance(value, bool)
    if kind == "address":
        return (isinstance(value, dict) and set(value) == set(ADDRESS_PARTS)
                and all(isinstance(part, str) for part in value.values()))
    if kind == "iban":
        return isinstance(value, str) and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{1,30}", value) is not None
    raise AssertionError(f"a field type without a rule here: {kind}")


def test_the_shipped_services_use_every_field_type():
    assert set(TYPES) >= {"text", "multiline", "email", "phone", "date", "number", "money", "choice",
                          "yesno", "address", "iban"}


@pytest.mark.parametrize("kind", ["text", "multiline"])
def test_control_characters_alone_are_no_answer(kind):
    """Found by the fuzzing below: an escape code alone passed a required question as ""."""
    field = next(v for v in VARIANTS if v.type == kind and v.required)
    for typed in ("\x1b", "\x00\x07\x7f", " \x1b\t", "\r\n\x1b"):
        with pytest.raises(AnswerError):
            parse_answer(field, typed, "de")
        assert parse_answer(dataclasses.replace(field, required=False), typed, "de") is None


@pytest.mark.parametrize("kind", TYPES)
@fuzz_settings(60)
@given(data=st.data(), lang=st.sampled_from(["de", "en"]), today=st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)))
def test_every_answer_is_a_documented_value_or_a_plain_refusal(kind, data, lang, today):
    field = data.draw(st.sampled_from([v for v in VARIANTS if v.type == kind]))
    raw = data.draw(raw_for(field))
    try:
        value = parse_answer(field, raw, lang, today=today)
    except AnswerError as refusal:
        assert refusal.message.strip() and "Traceback" not in refusal.message
        return
    if value is None:
        assert not field.required
        return
    assert conforms(field, value), (field.id, raw, value)
    json.dumps(value)
    shown = display_answer(field, value, lang)
    assert isinstance(shown, str)


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.id)
@fuzz_settings(10)
@given(data=st.data(), lang=st.sampled_from(["de", "en"]))
def test_a_session_fed_anything_only_ever_refuses_in_plain_words(form, data, lang):
    session = FormSession(form, lang=lang)
    for _ in range(data.draw(st.integers(1, 15))):
        if session.at_review:
            break
        try:
            if data.draw(st.booleans()) and not session.current.required:
                session.skip()
            else:
                session.answer(data.draw(raw_for(session.current)))
        except AnswerError as refusal:
            assert refusal.message.strip()
    json.dumps(session.answers())
    for field, shown in session.review():
        assert isinstance(shown, str)
