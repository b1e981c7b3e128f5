"""CSRF protection for every POST, in one middleware (double-submit cookie).

Every response that has no token yet sets a random one in a cookie (HttpOnly, SameSite=Strict);
every form carries the same value in a hidden field ``csrf_token`` (templates call ``csrf_field``).
A POST whose field (or ``X-CSRF-Token`` header) does not match the cookie is refused with 403
before any view runs. A page on another site can neither read the cookie nor set it, so it cannot
fill in the field. The body is read here (bounded) and handed on unchanged.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from typing import Callable
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "rk_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
MAX_FORM_BYTES = 256 * 1024


def _cookie_token(headers: Headers) -> str:
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a broken Cookie header is no token  # noqa: BLE001
        return ""
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel is not None else ""


def token_for(scope: Scope) -> str:
    """The token of this request: the cookie's, or the new one this response will set."""
    return scope.setdefault("state", {}).get("csrf_token", "")


class CSRFMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        refused: Callable[[Request], Response],
        secure: Callable[[Scope], bool],
        elsewhere: Callable[[Request], Response] | None = None,
    ) -> None:
        self.app = app
        self.refused = refused
        self.secure = secure
        self.elsewhere = elsewhere

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        token = _cookie_token(headers)
        new = not token or len(token) > 100
        if new:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        if scope["method"] in ("GET", "HEAD") and self.elsewhere is not None and _from_elsewhere(headers, scope["path"]):
            response = self.elsewhere(Request(scope))
            await self._with_cookie(response, scope, token, new)(scope, _empty, send)
            return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            body = await _read_body(receive)
            sent = "" if new else _sent_token(headers, body)
            # Browsers say where a form came from. Another host of the town-hall network is the
            # same "site" to SameSite cookies and could plant a token cookie for this one, so only
            # this origin's own forms count (a client that does not say, e.g. a script, is judged
            # by the token alone).
            elsewhere = headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")
            if elsewhere or body is None or not sent or not hmac.compare_digest(sent.encode(), token.encode()):
                response = self.refused(Request(scope))
                await self._with_cookie(response, scope, token, new)(scope, _empty, send)
                return
            receive = _replay(body, receive)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and new:
                cookie = _set_cookie(token, self.secure(scope))
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _with_cookie(self, response: Response, scope: Scope, token: str, new: bool) -> Response:
        if new:
            response.raw_headers.append((b"set-cookie", _set_cookie(token, self.secure(scope)).encode("latin-1")))
        return response


OPEN_FROM_ANYWHERE = ("/", "/login")
"""Entry points another page may link to; everything else opens only from the workplace itself."""


def _from_elsewhere(headers: Headers, path: str) -> bool:
    """A page another site (or another host of the same site) made the browser load: opening an
    application, a PDF or an export is written into the access log, so an image tag on a
    neighbouring intranet host must not do it in a clerk's name."""
    site = headers.get("sec-fetch-site", "same-origin")
    if site in ("same-origin", "none"):
        return False
    return path not in OPEN_FROM_ANYWHERE and not path.startswith("/static/")


def _set_cookie(token: str, secure: bool) -> str:
    return f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")


async def _empty() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or ``None`` when it is larger than any form of the workplace."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """The body once, as read; after it, whatever the connection says next (a real disconnect)."""
    done = False

    async def receive() -> Message:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


def _sent_token(headers: Headers, body: bytes | None) -> str:
    if headers.get(HEADER):
        return headers[HEADER]
    if body is None:
        return ""
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            values = parse_qs(body.decode("latin-1"), max_num_fields=200).get(FIELD, [])
        except ValueError:  # more fields than any form of the workplace has: no token
            return ""
        return values[0] if values else ""
    if kind == "multipart/form-data":
        return _multipart_field(headers.get("content-type", ""), body)
    return ""


def _multipart_field(content_type: str, body: bytes) -> str:
    """The token from a multipart form: it is the form's first field (``csrf_field`` comes first)."""
    boundary = ""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return ""
    for section in body.split(b"--" + boundary.encode("latin-1")):
        head, _, value = section.partition(b"\r\n\r\n")
        if f'name="{FIELD}"'.encode() in head:
            return value.rstrip(b"\r\n").decode("latin-1")
    return ""
