"""The shipped plain-language texts keep to the rules a reader can check: short sentences, and
nothing quoted that the visitor cannot find on the screen in front of them (an answer to choose or a
button), so no plain text sends them to a question they already left behind."""

from __future__ import annotations

import re

import pytest

from kiosk.forms.loader import load_forms
from kiosk.i18n import translator

MAX_WORDS = 15  # Netzwerk Leichte Sprache: short sentences; the shipped texts stay well below
QUOTED = {"de": re.compile(r"„([^“]+)“"), "en": re.compile(r"“([^”]+)”")}
SENTENCE_END = re.compile(r"(?<=[.?!:])\s+")


def plain_texts():
    for form in load_forms():
        for field in form.fields:
            for key in ("label", "help", "outside"):
                for lang in ("de", "en"):
                    text = field.plain_text(key, lang)
                    if text:
                        yield pytest.param(field, lang, text, id=f"{form.id}.{field.id}.{key}.{lang}")


def on_screen(field, lang: str) -> set[str]:
    """What a visitor sees on a question screen to choose or press."""
    _ = translator(lang)
    words = {_("Next"), _("Back"), _("Yes"), _("No")}
    words.update(option.text(lang) for option in field.options)
    return words


@pytest.mark.parametrize(("field", "lang", "text"), list(plain_texts()))
def test_plain_sentences_are_short(field, lang, text):
    long = [s for s in SENTENCE_END.split(text) if len(s.split()) > MAX_WORDS]
    assert long == []


@pytest.mark.parametrize(("field", "lang", "text"), list(plain_texts()))
def test_plain_texts_quote_only_what_is_on_the_screen(field, lang, text):
    """A quoted question names another screen; a quoted phrase is an answer or a button to find.
    (A single quoted word is an example term, such as „Handel“.)"""
    quoted = QUOTED[lang].findall(text)
    assert [q for q in quoted if q.rstrip().endswith("?")] == []
    assert [q for q in quoted if len(q.split()) > 1 and q not in on_screen(field, lang)] == []
