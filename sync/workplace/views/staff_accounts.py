"""Accounts at a glance for the head of office and IT: who has one, who is locked out; unlock and
disable without a terminal (new accounts and passwords stay with ``rathaus staff``)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kiosk.errors import RathausError
from kiosk.i18n import N_, translator
from sync.inbox import local_time
from sync.workplace.accounts import ROLES
from sync.workplace.app import Workplace, bind, needs
from sync.workplace.areas import Area, register_area


def _page(wp: Workplace, request: Request, *, status_code: int = 200, **values: Any) -> Response:
    lang = wp.lang(request)
    _ = translator(lang)
    locked = wp.accounts.locked_out()
    users = [
        {
            "user": user,
            "role": _(ROLES.get(user.role, user.role)),
            "created": local_time(user.created_at, lang) if user.created_at else "",
            "locked_minutes": -(-locked[user.username] // 60) if user.username in locked else 0,
        }
        for user in wp.accounts.users()
    ]
    return wp.render(request, "staff_accounts.html", status_code=status_code, users=users, **values)


@needs("accounts.manage")
def accounts_page(wp: Workplace, request: Request) -> Response:
    return _page(wp, request, done=request.query_params.get("done", ""))


@needs("accounts.manage")
def change_view(wp: Workplace, request: Request) -> Response:
    _ = translator(wp.lang(request))
    form = request.scope["state"]["form"]
    username = form.get("username", "")
    me = wp.staff(request)
    assert me is not None
    try:
        if form.get("action") == "unlock":
            wp.accounts.unlock(username)
            return RedirectResponse("/accounts?done=unlocked", status_code=303)
        if form.get("action") == "disable":
            if username == me.username:
                return _page(wp, request, status_code=400, problem=_("You cannot disable your own account here."))
            if form.get("confirm") != "yes":
                return _page(wp, request, status_code=400, problem=_("Please tick the box to confirm that the account {name} is to be disabled.").format(name=username))
            wp.accounts.disable(username)
            return RedirectResponse("/accounts?done=disabled", status_code=303)
    except RathausError as exc:
        return _page(wp, request, status_code=400, problem=exc.message)
    return _page(wp, request, status_code=400, problem=_("Please choose what to do."))


def routes(wp: Workplace) -> list[Any]:
    async def with_form(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=20)
        request.scope.setdefault("state", {})["form"] = {k: v for k, v in form.items() if isinstance(v, str)}
        return await run_in_threadpool(bind(wp, change_view), request)

    return [
        Route("/accounts", bind(wp, accounts_page), methods=["GET"]),
        Route("/accounts", with_form, methods=["POST"]),
    ]


register_area(Area("accounts", N_("Accounts"), "/accounts", "accounts.manage", routes, order=50))
