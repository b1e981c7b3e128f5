"""The example shown under a question, in its help window, and in the message about a wrong answer.

One function for all three, so a date question never shows one example in its hint and another
when the answer was typed wrong.

Forms are written once and used for years: a fixed example date for a day to come would soon lie
in the past, so such questions get an example worked out on the day they are asked. Where a form
gives no example, some types have one of their own, written the way of the language on screen
(an amount is 12,50 in German and 12.50 in English, like the amounts on the review).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk.forms.model import Field
from kiosk.forms.datelimits import resolve_limit
from kiosk.i18n import format_amount

FUTURE_EXAMPLE_DAYS = 14  # an example day for a question about a day to come


def example_for(field: Field, lang: str, today: dt.date | None = None) -> str:
    """The form's example; for a date question, only if it is a date that may be given today.

    A date question that reaches into the future without a fitting example gets a day two weeks
    ahead (inside the allowed range), so the example is never a day that has already passed.
    """
    example = field.text("example", lang)
    if field.type != "date":
        return example
    today = today or dt.date.today()
    earliest = resolve_limit(field.earliest, today) if field.earliest else None
    latest = resolve_limit(field.latest, today) if field.latest else None

    def allowed(day: dt.date) -> bool:
        return (earliest is None or day >= earliest) and (latest is None or day <= latest)

    if example:
        try:
            fixed = dt.datetime.strptime(example.strip(), "%d.%m.%Y").date()
        except ValueError:
            return example  # words, not a date: the form's author knows best
        if allowed(fixed):
            return example
    if latest is not None and latest <= today:
        return ""  # a day in the past (a birth date): no day can be worked out that fits everyone
    day = today + dt.timedelta(days=FUTURE_EXAMPLE_DAYS)
    if earliest is not None:
        day = max(day, earliest)
    if latest is not None:
        day = min(day, latest)
    return day.strftime("%d.%m.%Y")


def type_example(field_type: str, lang: str) -> str:
    """The example for a question of this type that has none of its own ("" if the type has none)."""
    if field_type == "money":
        return format_amount(Decimal("12.50"), lang)
    return {"number": "3", "phone": "03935 123456", "email": "name@example.de"}.get(field_type, "")
