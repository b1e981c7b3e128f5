"""The answers the compression dictionary is trained and measured on are answers a kiosk accepts."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.answers import TODAY, samples
from kiosk.forms import parse_answer


def _as_typed(value):
    """What a person enters for a stored answer (numbers are typed as text)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


@pytest.mark.parametrize("held_out", [False, True])
def test_every_generated_answer_is_what_the_kiosk_itself_would_store(held_out):
    forms_seen = set()
    for form, answers in samples(300, seed=11, held_out=held_out):
        forms_seen.add(form.id)
        assert answers, form.id
        for field_id, value in answers.items():
            field = form.field(field_id)
            assert field.when is None or field.when.holds(answers), field_id
            assert parse_answer(field, _as_typed(value), "de", today=TODAY) == value, (form.id, field_id)
        missing = [f.id for f in form.fields if f.required and f.id not in answers and (f.when is None or f.when.holds(answers))]
        assert missing == [], (form.id, missing)
    assert len(forms_seen) == 6


def test_the_generator_is_reproducible():
    assert list(samples(20, seed=5)) == list(samples(20, seed=5))
    assert isinstance(TODAY, dt.date)
