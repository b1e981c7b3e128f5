"""Date limits written the way a form author thinks: ``"today"``, ``"+90d"``, ``"-18y"``, ``"2026-01-31"``.

Relative limits are worked out on the day the question is answered, so a form written once keeps
working for years. Months and years that land on a day the month does not have (31 March minus one
month, 29 February minus one year) move back to the last day of that month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_RELATIVE = re.compile(r"^([+-])(\d{1,4})([dwmy])$")


def is_valid_limit(spec: str) -> bool:
    """True when ``spec`` is ``today``, a relative limit like ``+30d`` or an ISO date."""
    try:
        resolve_limit(spec, dt.date(2000, 1, 1))
    except ValueError:
        return False
    return True


def resolve_limit(spec: str, today: dt.date) -> dt.date:
    """The date ``spec`` stands for when the question is answered on ``today``."""
    spec = spec.strip()
    if spec == "today":
        return today
    match = _RELATIVE.match(spec)
    if match:
        sign, amount, unit = match.groups()
        count = int(amount) * (1 if sign == "+" else -1)
        if unit == "d":
            return today + dt.timedelta(days=count)
        if unit == "w":
            return today + dt.timedelta(weeks=count)
        return add_months(today, count if unit == "m" else count * 12)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", spec):
        return dt.date.fromisoformat(spec)
    raise ValueError(spec)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, keeping the day of month where the month has it."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))
