"""Applications per week and service, counted for a small server-drawn bar chart.

Only the clear routing data is counted (service and time of arrival), so the chart needs no key.
The geometry is computed here and drawn by ``templates/_weekly_chart.html`` as inline SVG, with
the same numbers in a table beside it for screen readers and for those who rather read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from sync.envelope import parse_timestamp
from sync.server.storage import ItemRecord


@dataclass(frozen=True)
class Week:
    monday: dt.date

    @property
    def label(self) -> str:
        year, week, _day = self.monday.isocalendar()
        return f"{week:02d}/{year % 100:02d}"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    week: str


@dataclass(frozen=True)
class ServiceSeries:
    form_id: str
    title: str
    counts: list[int]
    bars: list[Bar]
    total: int


def recent_weeks(today: dt.date, count: int) -> list[Week]:
    monday = today - dt.timedelta(days=today.weekday())
    return [Week(monday - dt.timedelta(weeks=back)) for back in range(count - 1, -1, -1)]


def weekly_series(
    items: Iterable[ItemRecord], titles: dict[str, str], weeks: list[Week], *, width: float = 320, height: float = 60
) -> list[ServiceSeries]:
    """One series per service that had applications in these weeks, bars scaled to the largest."""
    first = weeks[0].monday
    index = {week.monday: position for position, week in enumerate(weeks)}
    counts: dict[str, list[int]] = {}
    for item in items:
        try:
            day = parse_timestamp(item.received_at).date()
        except ValueError:
            continue
        monday = day - dt.timedelta(days=day.weekday())
        if monday < first or monday not in index:
            continue
        counts.setdefault(item.form_id, [0] * len(weeks))[index[monday]] += 1
    peak = max((max(values) for values in counts.values()), default=0) or 1
    slot = width / len(weeks)
    series = []
    for form_id, values in counts.items():
        bars = []
        for position, value in enumerate(values):
            bar_height = (height - 14) * value / peak
            bars.append(
                Bar(
                    x=round(position * slot + 2, 1),
                    y=round(height - bar_height, 1),
                    width=round(slot - 4, 1),
                    height=round(bar_height, 1),
                    count=value,
                    week=weeks[position].label,
                )
            )
        series.append(ServiceSeries(form_id, titles.get(form_id, form_id), values, bars, sum(values)))
    return sorted(series, key=lambda s: (-s.total, s.title.lower()))
