"""The access log for the head of office: who opened which application when (never its content)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiosk import refcode
from kiosk.errors import RathausError
from kiosk.i18n import N_, translator
from sync.inbox import local_time
from sync.workplace.app import Workplace, bind, needs
from sync.workplace.areas import Area, register_area

SHOWN = 500
"""Entries on one page, the latest first; older ones are found by receipt code."""

ACTIONS = {
    "open": N_("opened"),
    "open-damaged": N_("tried to open (damaged)"),
    "pdf": N_("printed as PDF"),
    "pdf-damaged": N_("tried to print (damaged)"),
    "export": N_("exported with its service"),
    "status": N_("answered"),
    "paper": N_("recorded a paper application"),
}


@needs("access_log.view")
def access_log_page(wp: Workplace, request: Request) -> Response:
    lang = wp.lang(request)
    _ = translator(lang)
    typed = (request.query_params.get("code") or "").strip()
    problem = ""
    reference = None
    if typed:
        try:
            reference = refcode.parse(typed, lang)
        except RathausError as exc:
            problem = exc.message
    records = wp.accounts.access_log(reference=reference, limit=SHOWN + 1)
    more = len(records) > SHOWN  # one export of a large service alone can fill the page
    records = records[:SHOWN]
    names = {user.username: user.display_name for user in wp.accounts.users()}
    rows = [
        {
            "at": local_time(r.at, lang),
            "who": names.get(r.username, r.username),
            "username": r.username,
            "action": _(ACTIONS.get(r.action, r.action)),
            # Exports before each exported application was logged named the service only;
            # volunteer and power numbers are not receipt codes.
            "reference": r.reference
            if (r.action == "export" and r.reference == r.service) or r.action.startswith(("volunteer-", "power-"))
            else refcode.display(r.reference),
            "kiosk": r.kiosk_id,
            "service": wp.inbox(request).catalogue.title(r.service, lang) if r.service else "",
        }
        for r in records
    ]
    return wp.render(request, "access_log.html", rows=rows, typed=typed, problem=problem, more=more, shown=SHOWN)


def routes(wp: Workplace) -> list[Any]:
    return [Route("/access-log", bind(wp, access_log_page), methods=["GET"])]


register_area(Area("access_log", N_("Access log"), "/access-log", "access_log.view", routes, order=40))
