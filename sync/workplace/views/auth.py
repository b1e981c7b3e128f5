"""Logging in and out, and the language switch: the only pages open without a session."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kiosk.i18n import LANGUAGES, translator
from sync.workplace.accounts import LoginRefused
from sync.workplace.app import LANG_COOKIE, SESSION_COOKIE, Workplace, bind, safe_next


def login_page(wp: Workplace, request: Request) -> Response:
    if wp.staff(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return wp.render(request, "login.html", next=safe_next(request.query_params.get("next")))


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=50)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def routes(wp: Workplace) -> list[Any]:
    async def login(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        form = await _form(request)
        return await run_in_threadpool(_login, wp, request, form)

    async def logout(request: Request) -> Response:
        token = wp.session_token(request)
        if token is not None:
            wp.accounts.logout(token)
        response = RedirectResponse("/login?bye=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=wp.secure(request.scope))
        return response

    async def language(request: Request) -> Response:
        form = await _form(request)
        lang = form.get("lang", "")
        response = RedirectResponse(safe_next(form.get("next")), status_code=303)
        if lang in LANGUAGES:
            response.set_cookie(
                LANG_COOKIE, lang, max_age=365 * 86400, path="/", httponly=True, samesite="strict",
                secure=wp.secure(request.scope),
            )
        return response

    def home(request: Request) -> Response:
        staff = wp.staff(request)
        if staff is None:
            return RedirectResponse("/login", status_code=303)
        from sync.workplace.areas import areas
        from sync.workplace.permissions import may

        for area in areas():
            if may(staff, area.action):
                return RedirectResponse(area.path, status_code=303)
        _ = translator(wp.lang(request))
        return wp.problem(request, _("This page is not open to your role."), status_code=403)

    return [
        Route("/", home, methods=["GET"]),
        Route("/login", bind(wp, login_page), methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/language", language, methods=["POST"]),
    ]


def _login(wp: Workplace, request: Request, form: dict[str, str]) -> Response:
    target = safe_next(form.get("next"))
    username = form.get("username", "")
    try:
        staff, token = wp.accounts.login(username, form.get("password", ""))
    except LoginRefused as exc:
        return wp.render(request, "login.html", status_code=401, next=target, error=exc.message, username=username)
    previous = wp.session_token(request)
    if previous is not None:
        # Someone else logging in at the same browser ends the session that was open there.
        wp.accounts.logout(previous)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        wp.signer.sign(token.encode("ascii")).decode("ascii"),
        max_age=wp.config.max_session_hours * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=wp.secure(request.scope),
    )
    request.scope.setdefault("state", {})["staff"] = staff
    return response
