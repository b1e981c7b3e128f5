"""One server for many towns: ``rathaus server --towns DIR``.

A district (Landkreis) or a municipal IT service runs one server for all its towns. Each town is a
town-hall data directory of its own under ``DIR`` (``DIR/tangerhuette``, ``DIR/lueeritz``): its own
keys (so its own encryption key, which opens only its applications), forms, calendar, warnings
area, staff and enrolled kiosks. Each holds a ``server.toml`` naming the shared PostgreSQL database
and the town's id, which must be the directory's name, so that the staff inbox run with
``--data-dir DIR/tangerhuette`` reads exactly that town's records.

Kiosks of a town talk to ``/towns/<town>/v1/...`` (their server URL is
``https://district.example/towns/tangerhuette``). Behind that prefix is the very same app a single
town runs (``sync.server.app.create_app``), over a storage, an upload spool and a list of enrolled
kiosks scoped to that town. So a kiosk enrolled for one town is unknown to every other town's
endpoints (refused like a stranger), a batch sealed for another town's key is ``wrong_recipient``,
and no query of one town can reach another's rows.

``/v1/health`` says the process is alive; ``/v1/ready`` whether the database answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator
from sync.keys import townhall_is_initialised
from sync.server.app import MAX_BUFFERED_BYTES, READY_PATH, BodyBudget, create_app, readiness
from sync.server.database import database_config
from sync.server.jsonlog import current_town
from sync.server.serving import quiet_accept_errors
from sync.server.storage import open_storage

TOWNS_PREFIX = "/towns"


def town_dirs(towns_dir: Path) -> dict[str, Path]:
    """Every town under ``towns_dir`` by its id; each must be set up and configured for PostgreSQL
    with its directory's name as its town id (a mismatch would mix towns' records)."""
    _ = translator(language_from_environment())
    towns: dict[str, Path] = {}
    if not towns_dir.is_dir():
        raise RathausError(_("The towns folder {path} does not exist.").format(path=towns_dir))
    for town_dir in sorted(p for p in towns_dir.iterdir() if p.is_dir()):
        if not townhall_is_initialised(town_dir):
            continue
        config = database_config(town_dir)
        if not config.is_postgres or config.town != town_dir.name:
            raise RathausError(
                _('{path} must name the district\'s PostgreSQL database and town = "{town}".').format(
                    path=town_dir / "server.toml", town=town_dir.name
                )
            )
        towns[config.town] = town_dir
    if not towns:
        raise RathausError(_("No town is set up under {path}.").format(path=towns_dir))
    return towns


class _InTown:
    """One town's app, its log lines marked with the town (``sync.server.jsonlog``)."""

    def __init__(self, town: str, app: Starlette) -> None:
        self.town, self.app = town, app

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        token = current_town.set(self.town)
        try:
            await self.app(scope, receive, send)
        finally:
            current_town.reset(token)


def create_district_app(towns_dir: Path) -> Starlette:
    """The app serving every town under ``towns_dir`` at ``/towns/<town>``."""
    towns = town_dirs(Path(towns_dir))
    budget = BodyBudget(MAX_BUFFERED_BYTES)  # request bodies of all towns together, as for one town
    apps = {town: create_app(town_dir, body_budget=budget) for town, town_dir in towns.items()}
    probe = open_storage(next(iter(towns.values())))  # one pool for all towns: one ping suffices

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def ready(request: Request) -> Response:
        return await run_in_threadpool(readiness, probe)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": code, "message": str(exc.detail)}, status_code=exc.status_code)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        quiet_accept_errors(asyncio.get_running_loop())
        async with contextlib.AsyncExitStack() as stack:
            for town_app in apps.values():  # a mounted app's own start and stop are ours to run
                await stack.enter_async_context(town_app.router.lifespan_context(town_app))
            try:
                yield
            finally:
                probe.close()

    return Starlette(
        routes=[
            Route("/v1/health", health, methods=["GET"]),
            Route(READY_PATH, ready, methods=["GET"]),
            *(Mount(f"{TOWNS_PREFIX}/{town}", app=_InTown(town, town_app)) for town, town_app in apps.items()),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
