"""The town hall's HTTP API for kiosks: receive batches, answer status requests, say it is alive.

Built by ``create_app`` (never at import time), so tests, ``rathaus server`` and the demo each get
their own app over their own data directory. The server only ever holds sealed items and the
town hall's *signing* key; the private encryption key stays where the staff inbox runs.

Every refusal is JSON ``{"error": code, "message": plain words}`` with a fitting status: 400 for a
damaged or misaddressed batch, 403 when the sender is not an enrolled kiosk or the signature does
not hold, 413 for too large a body (checked from ``Content-Length`` and again while reading, before
anything is parsed), 408 for a body that stops coming, 503 ``busy`` (with ``Retry-After``) when
request bodies already fill the memory allowed. An unexpected failure is never a 500 with a
traceback: the transaction is rolled back by the storage, the failure is logged without personal
data, and the kiosk gets 503, which its outbox treats as "try again later".

A sender that has not proved it holds an enrolled kiosk's active key learns nothing about kiosks:
unknown kiosk, revoked kiosk and bad signature all get the same bytes, 403 ``{"error": "refused"}``,
so nobody can find out which kiosk ids exist or when one was blocked. A revoked kiosk is told no
more than a stranger, even when its (revoked) signature holds: whoever uses a revoked key may be
the thief it was revoked for, and the kiosk's own staff hear of a revocation from the town hall.
The exact reason goes to the server's log for staff. Codes after the signature has verified with
the active key (``wrong_recipient``, ``digest_mismatch``, ``stale``, ...) reach only that kiosk
and stay as helpful as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import AsyncIterator, Callable

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk.errors import EnvelopeError
from kiosk.i18n import language_from_environment, translator
from sync.allowlist import Allowlist
from sync.envelope.failures import (
    BAD_SIGNATURE,
    KIND_BATCH,
    KIND_STATUS_REQUEST,
    MALFORMED,
    REVOKED_KIOSK,
    TOO_LARGE,
    UNKNOWN_KIOSK,
    WRONG_KIOSK,
    envelope_error,
)
from sync.envelope.downloads import KIND_DOWNLOAD_REQUEST, MAX_DOWNLOAD_REQUEST_BYTES
from sync.envelope.limits import MAX_BATCH_BYTES, MAX_STATUS_REQUEST_BYTES
from sync.intake import receive_batch, status_updates_for
from sync.keys import TownhallKeys, load_townhall_keys
from sync.server.downloads import DOWNLOADS_PATH, answer_download_request
from sync.server.serving import ThrottledWarning, quiet_accept_errors
from sync.server.storage import Storage, open_storage
from sync.server.upload_store import open_upload_store
from sync.server.uploads import UploadEndpoints

log = logging.getLogger("rathaus.server")
log_busy = ThrottledWarning("request answered 503: request bodies already fill the memory allowed")

# A body must keep coming: no byte for a minute, or a one-shot body not complete in five minutes,
# and the request is closed (408). The proxy in front has the same idle limit (deploy/townhall);
# a batch too large for five minutes on its link goes by the resumable upload instead.
BODY_IDLE_SECONDS = 60.0
BODY_DEADLINE_SECONDS = 300.0
# Request bodies held in memory at once, over all requests (eight of the largest batches).
MAX_BUFFERED_BYTES = 64 * 1024 * 1024

OCTET_STREAM = "application/octet-stream"

# The sender is not an enrolled kiosk, or cannot prove it is; every other code of the envelope
# means the bytes themselves are damaged or not for us (400). 413 is kept for a body that is too
# large as a whole: a too-large length *inside* a batch is damage, not size.
_FORBIDDEN = {UNKNOWN_KIOSK, REVOKED_KIOSK, BAD_SIGNATURE, WRONG_KIOSK}
# Refusals of a sender not (or no longer) authenticated: all answered with the same bytes.
_UNAUTHENTICATED = {UNKNOWN_KIOSK, REVOKED_KIOSK, BAD_SIGNATURE}
REFUSED = "refused"


def status_for(code: str) -> int:
    """The HTTP status that answers an ``EnvelopeError`` code raised while checking a body."""
    return 403 if code in _FORBIDDEN else 400


class _BodyTooLarge(Exception):
    """The request body is over the limit; answered with 413 before anything is parsed."""

    def __init__(self, error: EnvelopeError) -> None:
        super().__init__(error.code)
        self.error = error


def _refusal(exc: EnvelopeError, status_code: int | None = None) -> JSONResponse:
    if exc.code in _UNAUTHENTICATED:
        _ = translator(language_from_environment())
        return JSONResponse({"error": REFUSED, "message": _("The town hall refused this request.")}, status_code=403)
    return JSONResponse(
        {"error": exc.code, "message": exc.message},
        status_code=status_code if status_code is not None else status_for(exc.code),
    )


def _gone(request: Request) -> Response:
    """The link dropped while the kiosk was still sending: nothing was stored, it will send again."""
    log.info("request to %s ended by the client before its body was complete", request.url.path)
    return Response(status_code=400)


class BodyTimeout(Exception):
    """The sender stopped sending (or sends too slowly) before its body was complete."""


class ServerBusy(Exception):
    """Too many request bodies are held in memory right now; the kiosk retries later."""


_CLOSE = {"Connection": "close"}  # a body that stopped coming is not waited for


class BodyBudget:
    """How many bytes of request bodies all requests together may hold in memory at once.

    Taken as bytes actually arrive (a sender trickling a byte a second holds a byte, not the
    8 MiB it announced) and never waited for: a request that would go over is answered 503 at
    once, so the budget can never deadlock and the process's memory stays bounded however many
    large bodies come in together. The app runs in one event loop, so no lock is needed.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> None:
        if self.used + size > self.limit:
            raise ServerBusy()
        self.used += size

    def give(self, size: int) -> None:
        self.used -= size


@contextlib.asynccontextmanager
async def _held(budget: BodyBudget) -> AsyncIterator[Callable[[int], None]]:
    """Take from ``budget`` while a body is read; give all of it back when the request ends."""
    held = 0

    def take(size: int) -> None:
        nonlocal held
        budget.take(size)
        held += size

    try:
        yield take
    finally:
        budget.give(held)


async def read_body(request: Request, limit: int, kind: str, take: Callable[[int], None]) -> memoryview:
    """The request body in one buffer, refused as soon as it is known to exceed ``limit``, and
    never empty. ``take(n)`` is called for every byte held (see ``BodyBudget``).

    The buffer grows as bytes arrive (never allocated ahead from what a stranger announces);
    the result is a read-only view of it, so the body exists once in memory until it is parsed
    and stored. Time limits come from ``_ReadDeadline`` around ``receive``.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise envelope_error(MALFORMED, kind, detail="Content-Length is not a number") from None
        if length > limit:
            log.warning("request to %s refused (too_large): Content-Length %d", request.url.path, length)
            raise _BodyTooLarge(envelope_error(TOO_LARGE, kind, limit=limit, detail=f"Content-Length {length}"))
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            log.warning("request to %s refused (too_large): body over %d bytes", request.url.path, limit)
            raise _BodyTooLarge(envelope_error(TOO_LARGE, kind, limit=limit, detail="body longer than allowed"))
        take(len(chunk))
        body += chunk
    if not body:
        raise envelope_error(MALFORMED, kind, detail="empty body")
    return memoryview(body).toreadonly()


class _ReadDeadline:
    """Every ``receive`` of a request gets a deadline: no byte for ``idle`` seconds, or the whole
    request not read within ``total`` seconds, raises ``BodyTimeout``. So a body held open one
    byte short ends after a bounded time, for every endpoint, without each one taking care."""

    def __init__(self, app: ASGIApp, *, idle: float, total: float) -> None:
        self.app = app
        self.idle = idle
        self.total = total

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        until = anyio.current_time() + self.total

        async def timed_receive() -> Message:
            left = min(self.idle, until - anyio.current_time())
            try:
                with anyio.fail_after(max(left, 0.0)):
                    return await receive()
            except TimeoutError:
                raise BodyTimeout() from None

        await self.app(scope, timed_receive, send)


def _answer_and_let_go(answer: Callable[[memoryview], bytes], box: list[memoryview]) -> bytes:
    """Run ``answer`` on the body in ``box`` (in a worker thread) and keep no reference to it.

    An idle worker thread keeps the arguments, result and exception of its last job until the
    next one comes; were they to reach the body, every thread would hold a batch of up to 8 MiB
    long after its request ended. So the body travels in a box emptied here, and a refusal is
    raised again as a fresh ``EnvelopeError`` without the traceback whose frames hold the body.
    """
    data = box.pop()
    failure: tuple[str, str, str] | None = None
    try:
        return answer(data)
    except EnvelopeError as exc:
        failure = (exc.code, exc.message, exc.detail)
    finally:
        del data
    raise EnvelopeError(failure[0], failure[1], detail=failure[2])


def _too_slow(path: str) -> JSONResponse:
    log.info("request to %s closed: its body did not arrive in time", path)
    _ = translator(language_from_environment())
    return JSONResponse(
        {"error": "timeout", "message": _("The request body did not arrive in time.")}, status_code=408, headers=_CLOSE
    )


def _busy() -> JSONResponse:
    return JSONResponse({"error": "busy"}, status_code=503, headers={"Retry-After": "30"})


class _NeverFiveHundred:
    """Turns any unexpected exception into 503 ``{"error": "server_error"}``, logged plainly.

    Sits inside Starlette's own error middleware, so nothing ever reaches it; the log line names
    the path and the exception type and message (the server holds no unsealed personal data; the
    traceback is logged at DEBUG level only).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except BodyTimeout:
            if not started:
                await _too_slow(scope.get("path", "?"))(scope, receive, send)
        except Exception as exc:
            log.error(
                "unexpected failure on %s %s: %s: %s",
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
                exc,
            )
            log.debug("traceback", exc_info=True)
            if started:
                return  # the answer is already under way; the kiosk will see a broken response and retry
            response = JSONResponse({"error": "server_error"}, status_code=503, headers={"Retry-After": "60"})
            await response(scope, receive, send)


READY_PATH = "/v1/ready"


def readiness(store: Storage) -> JSONResponse:
    """200 ``{"ready": true}`` when the database answers, else 503 ``{"ready": false}`` (the reason
    goes to the log, not to whoever asks)."""
    ping = getattr(store, "ping", None)
    try:
        if ping is not None:
            ping()
    except Exception as exc:
        log.warning("not ready: the database does not answer (%s)", type(exc).__name__)
        return JSONResponse({"ready": False}, status_code=503, headers={"Retry-After": "10"})
    return JSONResponse({"ready": True})


def create_app(
    townhall_dir: Path,
    *,
    storage: Storage | None = None,
    max_body: int = MAX_BATCH_BYTES,
    townhall: TownhallKeys | None = None,
    allowlist: Allowlist | None = None,
    body_idle_timeout: float = BODY_IDLE_SECONDS,
    body_deadline: float = BODY_DEADLINE_SECONDS,
    max_buffered: int = MAX_BUFFERED_BYTES,
    body_budget: BodyBudget | None = None,
) -> Starlette:
    """The Starlette app for one town-hall data directory.

    ``storage`` defaults to ``<townhall_dir>/townhall.db`` (closed when the app shuts down; a
    storage passed in belongs to the caller). Keys are read now, so a missing signing key is
    reported at start, not at the first batch. A request body must keep coming (a byte at least
    every ``body_idle_timeout`` seconds) and be complete within ``body_deadline`` seconds; all
    bodies together hold at most ``max_buffered`` bytes of memory (more: 503, retry later), or
    share ``body_budget`` with the other towns' apps of a district server.
    """
    townhall_dir = Path(townhall_dir)
    max_body = min(max_body, MAX_BATCH_BYTES)  # the format's own limit is never exceeded
    keys = townhall if townhall is not None else load_townhall_keys(townhall_dir, need_encryption=False)
    enrolled = allowlist if allowlist is not None else Allowlist(townhall_dir)
    owns_storage = storage is None
    store: Storage = storage if storage is not None else open_storage(townhall_dir)
    # one largest body always fits; a district's towns share one budget (the process's memory)
    budget = body_budget if body_budget is not None else BodyBudget(max(max_buffered, max_body))

    def exchange(limit: int, kind: str, answer: Callable[[memoryview], bytes]) -> Callable:
        """One signed request in, one signed answer out; every refusal is a plain JSON error."""

        async def endpoint(request: Request) -> Response:
            try:
                async with _held(budget) as take:
                    box = [await read_body(request, limit, kind, take)]
                    body = await run_in_threadpool(_answer_and_let_go, answer, box)
            except _BodyTooLarge as exc:
                return _refusal(exc.error, 413)
            except EnvelopeError as exc:
                return _refusal(exc)
            except ClientDisconnect:
                return _gone(request)
            except BodyTimeout:
                return _too_slow(request.url.path)
            except ServerBusy:
                log_busy()
                return _busy()
            return Response(body, media_type=OCTET_STREAM)

        return endpoint

    post_batch = exchange(
        max_body, KIND_BATCH, lambda data: receive_batch(store, enrolled, data, townhall=keys).ack
    )
    post_status = exchange(
        MAX_STATUS_REQUEST_BYTES,
        KIND_STATUS_REQUEST,
        lambda data: status_updates_for(store, enrolled, data, townhall=keys),
    )

    post_downloads = exchange(
        MAX_DOWNLOAD_REQUEST_BYTES,
        KIND_DOWNLOAD_REQUEST,
        lambda data: answer_download_request(store, enrolled, data, townhall=keys, townhall_dir=townhall_dir),
    )

    uploads = UploadEndpoints(
        open_upload_store(townhall_dir), store, enrolled, keys, max_batch_bytes=max_body, refusal=_refusal
    )

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def ready(request: Request) -> Response:
        """Readiness: the database answers (a load balancer sends kiosks elsewhere until it does)."""
        return await run_in_threadpool(readiness, store)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": code, "message": str(exc.detail)}, status_code=exc.status_code)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        quiet_accept_errors(asyncio.get_running_loop())
        try:
            yield
        finally:
            uploads.close()
            if owns_storage:
                store.close()

    return Starlette(
        routes=[
            Route("/v1/batches", post_batch, methods=["POST"]),
            Route("/v1/status", post_status, methods=["POST"]),  # kiosks before protocol 1.1
            Route(DOWNLOADS_PATH, post_downloads, methods=["POST"]),
            Route("/v1/health", health, methods=["GET"]),
            Route(READY_PATH, ready, methods=["GET"]),
            *uploads.routes,
        ],
        middleware=[
            Middleware(_NeverFiveHundred),
            Middleware(_ReadDeadline, idle=body_idle_timeout, total=body_deadline),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
