"""The staff workplace as a Starlette app, built by ``create_app(config)``.

Server-rendered HTML from Jinja2 templates (``templates/``, a base layout and a block per page),
one stylesheet (``static/``), no JavaScript needed. Every view asks ``may()``; every POST passes
the CSRF middleware; every page carries ``Cache-Control: no-store`` because most show personal
data. It runs beside the private encryption key, like ``rathaus inbox``, never in the
kiosk-facing server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable
from urllib.parse import quote, urlsplit

from argon2 import PasswordHasher
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk.errors import RathausError
from kiosk.i18n import LANGUAGE_NAMES, LANGUAGES, normalise_language, ntranslator, translator
from sync.inbox import Inbox
from sync.keys import atomic_write, townhall_is_initialised
from sync.server.storage import Storage, open_storage
from sync.workplace import csrf
from sync.workplace.accounts import AccountStore, Staff, open_accounts, staff_dir
from sync.workplace.areas import Area, areas
from sync.workplace.permissions import may

log = logging.getLogger("rathaus.workplace")

HERE = Path(__file__).parent
SESSION_COOKIE = "rk_session"
LANG_COOKIE = "rk_lang"
SECRET_FILE = "workplace-secret.key"


@dataclass
class WorkplaceConfig:
    """What one workplace needs; everything but ``townhall_dir`` has a sensible default."""

    townhall_dir: Path
    forms_dirs: tuple[Path, ...] = ()
    silent_after_hours: float = 24.0
    """A kiosk not heard from for this long is shown with a warning (FIT-Connect waits 3 days)."""
    idle_minutes: int = 30
    max_session_hours: int = 10
    secure_cookies: bool | None = None
    """``None``: Secure when the request came over https (the TLS proxy says so)."""
    hasher: PasswordHasher | None = None
    default_lang: str = "de"
    storage: Storage | None = None


@dataclass
class Workplace:
    """What every view works with; made once per app."""

    config: WorkplaceConfig
    accounts: AccountStore
    storage: Storage
    inboxes: dict[str, Inbox]
    templates: Environment
    signer: TimestampSigner
    owns_storage: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    # -- who and which language ------------------------------------------------------------------

    def lang(self, request: Request) -> str:
        return normalise_language(request.cookies.get(LANG_COOKIE) or self.config.default_lang)

    def inbox(self, request: Request) -> Inbox:
        return self.inboxes[self.lang(request)]

    def session_token(self, request: Request) -> str | None:
        signed = request.cookies.get(SESSION_COOKIE)
        if not signed:
            return None
        try:
            raw = self.signer.unsign(signed, max_age=self.config.max_session_hours * 3600)
        except (BadSignature, SignatureExpired):
            return None
        return raw.decode("ascii", "replace")

    def staff(self, request: Request) -> Staff | None:
        if "staff" not in request.scope.setdefault("state", {}):
            token = self.session_token(request)
            staff = None
            if token is not None:
                staff = self.accounts.session_user(
                    token, idle_minutes=self.config.idle_minutes, max_hours=self.config.max_session_hours
                )
            request.scope["state"]["staff"] = staff
        return request.scope["state"]["staff"]

    def secure(self, scope: Scope) -> bool:
        if self.config.secure_cookies is not None:
            return self.config.secure_cookies
        return scope.get("scheme") == "https"

    # -- answers ---------------------------------------------------------------------------------

    def render(self, request: Request, template: str, *, status_code: int = 200, **values: Any) -> HTMLResponse:
        lang = self.lang(request)
        staff = self.staff(request)
        _ = translator(lang)
        token = csrf.token_for(request.scope)
        context = {
            "_": _,
            "n_": ntranslator(lang),
            "lang": lang,
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
            "staff": staff,
            "may": lambda action, resource=None: may(staff, action, resource),
            "nav": [area for area in areas() if may(staff, area.action)],
            "path": request.url.path,
            # Where the language switch returns to: a page shown in answer to a form has no address
            # of its own to load again, so it returns to the page the form lies on.
            "here": _here(request) if request.method in ("GET", "HEAD") else _page_of_form(request),
            "csrf_field": Markup('<input type="hidden" name="{}" value="{}">').format(csrf.FIELD, token),
            **values,
        }
        html = self.templates.get_template(template).render(context)
        return HTMLResponse(html, status_code=status_code)

    def problem(self, request: Request, message: str, *, status_code: int = 400) -> HTMLResponse:
        return self.render(request, "problem.html", status_code=status_code, message=message)


def _debug() -> bool:
    return bool(os.environ.get("RATHAUS_DEBUG"))


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def safe_next(target: str | None) -> str:
    """Only a path on this site: a login link must not send staff elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _page_of_form(request: Request) -> str:
    """The page a form was sent from, to return to after logging in again: an answer's form lies
    on its application's page, every other form on its area's first page."""
    path = request.url.path
    if path.endswith("/status"):
        return safe_next(path[: -len("/status")] + (f"?{request.url.query}" if request.url.query else ""))
    return safe_next("/" + path.strip("/").split("/")[0])


def needs(action: str) -> Callable:
    """Decorate a view ``(wp, request)``: log in first, then ``may(staff, action)`` or 403."""

    def wrap(view: Callable[[Workplace, Request], Response]) -> Callable[[Workplace, Request], Response]:
        @functools.wraps(view)
        def guarded(wp: Workplace, request: Request) -> Response:
            staff = wp.staff(request)
            _ = translator(wp.lang(request))
            if staff is None:
                if request.method == "GET":
                    return RedirectResponse(f"/login?next={quote(_here(request), safe='/?=&')}", status_code=303)
                return wp.render(
                    request, "login.html", status_code=401, next=_page_of_form(request),
                    error=_("Your session has ended, so what you sent last was not saved. Please log in again: you come back to the page you were on."),
                )
            if not may(staff, action):
                return wp.problem(request, _("This page is not open to your role."), status_code=403)
            try:
                return view(wp, request)
            except RathausError as exc:
                return wp.problem(request, exc.message)

        return guarded

    return wrap


def bind(wp: Workplace, view: Callable[[Workplace, Request], Response]) -> Callable[[Request], Response]:
    """A Starlette endpoint (run in the thread pool) for a view that takes the workplace first."""

    def endpoint(request: Request) -> Response:
        return view(wp, request)

    endpoint.__name__ = view.__name__
    return endpoint


class _PageHeaders:
    """Pages hold personal data: never cached, never framed, scripts only from this site."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class _QuietStarlette(Starlette):
    """Starlette answers an unexpected failure with the 500 page and then raises it again for the
    server to log, and uvicorn logs the whole traceback with the exception's text, which could quote
    an answer. The ``unexpected`` handler has already logged its type and place, so the failure
    ends here (with ``RATHAUS_DEBUG`` set it goes on, traceback and all)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            if scope["type"] != "http" or _debug():
                raise


def _secret(townhall_dir: Path) -> bytes:
    """The key that signs session cookies; made once, readable by the service's user only."""
    path = staff_dir(townhall_dir) / SECRET_FILE
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError, RathausError):
            atomic_write(path, secrets.token_hex(32).encode("ascii"), mode=0o600, overwrite=False)
    return path.read_bytes().strip()


def _templates() -> Environment:
    """Templates call ``_()`` and ``n_()`` of the request's language (passed with every page), so
    one environment serves both languages; Babel finds the texts with Jinja2's extractor."""
    return Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def create_app(config: WorkplaceConfig) -> Starlette:
    """The workplace for one town-hall data directory (its own ``staff/`` folder is made in it)."""
    from sync.workplace import views  # noqa: F401  (registers the areas)
    from sync.workplace.views import auth

    townhall_dir = Path(config.townhall_dir)
    _ = translator(config.default_lang)
    if config.storage is None and not townhall_is_initialised(townhall_dir):
        raise RathausError(
            _("No town hall is set up in {path}. Is the data directory right (--data-dir or RATHAUS_TOWNHALL_DIR)?").format(
                path=townhall_dir
            )
        )
    owns_storage = config.storage is None
    storage = config.storage if config.storage is not None else open_storage(townhall_dir)
    inboxes = {
        lang: Inbox(townhall_dir, storage=storage, forms_dirs=config.forms_dirs, lang=lang) for lang in LANGUAGES
    }
    accounts = open_accounts(townhall_dir, hasher=config.hasher, lang=config.default_lang)
    wp = Workplace(
        config=config,
        accounts=accounts,
        storage=storage,
        inboxes=inboxes,
        templates=_templates(),
        signer=TimestampSigner(_secret(townhall_dir), salt="rathaus-workplace-session"),
        owns_storage=owns_storage,
    )

    routes: list[Any] = [*auth.routes(wp)]
    for area in areas():
        routes.extend(area.routes(wp))
    routes.append(Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"))

    def csrf_refused(request: Request) -> Response:
        _ = translator(wp.lang(request))
        return wp.render(
            request,
            "problem.html",
            status_code=403,
            message=_("The form was too old or did not come from this workplace. Please go back, reload the page and try again."),
        )

    def opened_from_elsewhere(request: Request) -> Response:
        _ = translator(wp.lang(request))
        return wp.render(
            request,
            "problem.html",
            status_code=403,
            message=_("This page was opened from another address. It opens only from the workplace itself, so that nobody can open applications in your name."),
            continue_to=safe_next(_here(request)),
        )

    def not_found(request: Request, exc: Exception) -> Response:
        _ = translator(wp.lang(request))
        status = getattr(exc, "status_code", 404)
        return wp.render(request, "problem.html", status_code=status, message=_("There is no such page here."))

    def unexpected(request: Request, exc: Exception) -> Response:
        # The type and place only: an exception's text could quote an answer.
        log.error("unexpected failure at %s: %s", request.url.path, type(exc).__name__, exc_info=_debug())
        _ = translator(wp.lang(request))
        return wp.render(
            request,
            "problem.html",
            status_code=500,
            message=_("Something went wrong here. Nothing was changed by it; please try again, and tell IT if it happens again."),
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            wp.accounts.close()
            if owns_storage:
                storage.close()

    app = _QuietStarlette(
        routes=routes,
        middleware=[
            Middleware(_PageHeaders),
            Middleware(csrf.CSRFMiddleware, refused=csrf_refused, secure=wp.secure, elsewhere=opened_from_elsewhere),
        ],
        exception_handlers={HTTPException: not_found, 500: unexpected},
        lifespan=lifespan,
    )
    app.state.workplace = wp
    return app


def silent_since(last_seen: str | None, now: dt.datetime, hours: float) -> bool:
    """Whether a kiosk last heard from at ``last_seen`` (or never) counts as silent."""
    from sync.envelope import parse_timestamp

    if not last_seen:
        return True
    try:
        return now - parse_timestamp(last_seen) > dt.timedelta(hours=hours)
    except ValueError:
        return True


__all__ = ["Area", "Workplace", "WorkplaceConfig", "bind", "create_app", "needs", "safe_next", "silent_since"]
