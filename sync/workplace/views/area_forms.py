"""Small helpers the assisted-mode and booking areas share: read a bounded form, then run the view."""

from __future__ import annotations

from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sync.workplace.app import Workplace, bind

MAX_FIELDS = 40


def with_form(wp: Workplace, view: Callable[[Workplace, Request], Response]) -> Callable:
    """An async endpoint that reads the small form (no files) into ``request.scope["state"]["form"]``
    and runs ``view`` in the thread pool (the libraries it calls use SQLite)."""
    bound = bind(wp, view)

    async def endpoint(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
        state = request.scope.setdefault("state", {})
        state["form"] = {key: value for key, value in form.items() if isinstance(value, str)}
        state["form_lists"] = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form.keys()}
        return await run_in_threadpool(bound, request)

    endpoint.__name__ = view.__name__
    return endpoint


def form(request: Request) -> dict[str, str]:
    return request.scope["state"]["form"]


def form_list(request: Request, key: str) -> list[str]:
    return request.scope["state"]["form_lists"].get(key, [])
