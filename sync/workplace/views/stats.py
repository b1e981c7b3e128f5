"""Applications per week and service, as a small chart and the same numbers as a table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiosk.i18n import N_
from sync.workplace.app import Workplace, bind, needs
from sync.workplace.areas import Area, register_area
from sync.workplace.chart import recent_weeks, weekly_series

WEEKS = 8


@needs("stats.view")
def stats_page(wp: Workplace, request: Request) -> Response:
    inbox = wp.inbox(request)
    weeks = recent_weeks(dt.datetime.now(dt.timezone.utc).date(), WEEKS)
    items = wp.storage.items()
    titles = {form_id: inbox.catalogue.title(form_id, inbox.lang) for form_id in {i.form_id for i in items}}
    series = weekly_series(items, titles, weeks)
    return wp.render(request, "stats.html", weeks=weeks, series=series, chart_width=320, chart_height=60)


def routes(wp: Workplace) -> list[Any]:
    return [Route("/stats", bind(wp, stats_page), methods=["GET"])]


register_area(Area("stats", N_("Applications per week"), "/stats", "stats.view", routes, order=30))
