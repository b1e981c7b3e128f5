"""The example shown under a question and in its help window.

Forms are written once and used for years: a fixed example date for a day to come would soon lie
in the past, so such questions get an example worked out on the day they are asked.
"""

from __future__ import annotations

import datetime as dt

from kiosk.forms import Field
from kiosk.forms.datelimits import resolve_limit

FUTURE_EXAMPLE_DAYS = 14  # an example day for a question about a day to come


def example_for(field: Field, lang: str, today: dt.date | None = None) -> str:
    """The form's example; for a day to come without one, a day two weeks ahead (inside the
    allowed range), so the example is never a day that has already passed."""
    example = field.text("example", lang)
    if example or field.type != "date" or not field.earliest:
        return example
    today = today or dt.date.today()
    if resolve_limit(field.earliest, today) < today:
        return ""
    day = max(resolve_limit(field.earliest, today), today + dt.timedelta(days=FUTURE_EXAMPLE_DAYS))
    if field.latest:
        day = min(day, resolve_limit(field.latest, today))
    return day.strftime("%d.%m.%Y")
