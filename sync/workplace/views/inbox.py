"""The inbox area: lists per service with filters and age, search by receipt code, one
application opened in memory, answers with a preview of the kiosk's words, PDF, export, and
applications handed in on paper."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from kiosk import refcode
from kiosk.errors import RathausError
from kiosk.i18n import N_, format_date, translator
from sync.envelope import STATUSES, parse_timestamp, utc_timestamp
from sync.inbox import InboxEntry, local_time, status_label
from sync.inbox.damage import DamagedApplicationError, reason_in_words
from sync.inbox.export import FORMATS
from sync.inbox.status import NO_STATUS, check_status
from sync.server.storage import PAPER_KIOSK_ID
from sync.workplace.app import Workplace, bind, needs
from sync.workplace.areas import Area, register_area
from sync.workplace.views.helpers import assistance_for
from sync.workplace.kiosk_words import kiosk_preview

SKIPPED_IN_HEADER = 20
"""Damaged applications an export names in its response header (the inbox page names all)."""

FILTERS: dict[str, tuple[str, frozenset[str] | None]] = {
    "new": (N_("new"), frozenset({NO_STATUS})),
    "in_progress": (N_("in progress"), frozenset({"in_progress"})),
    "waiting": (N_("waiting for the citizen"), frozenset({"needs_information"})),
    "done": (N_("done"), frozenset({"accepted", "rejected", "appointment_confirmed"})),
    "all": (N_("all"), None),
}


@dataclass(frozen=True)
class Row:
    entry: InboxEntry
    age_days: int
    received: str


def _received(entry: InboxEntry, lang: str) -> str:
    """When it arrived; a paper application only has the day it was handed in."""
    if entry.on_paper:
        try:
            return format_date(parse_timestamp(entry.received_at).date(), lang)
        except ValueError:
            return entry.received_at
    return local_time(entry.received_at, lang)


def _age_days(received_at: str, now: dt.datetime) -> int:
    try:
        return max(0, (now - parse_timestamp(received_at)).days)
    except ValueError:
        return 0


def _services(wp: Workplace, request: Request, entries: list[InboxEntry] | None = None) -> list[tuple[str, str]]:
    """Every service staff may choose: those defined here and those that only arrived."""
    inbox = wp.inbox(request)
    arrived = {e.form_id for e in entries} if entries is not None else {item.form_id for item in wp.storage.items()}
    ids = set(inbox.catalogue.ids()) | arrived
    return sorted(((i, inbox.catalogue.title(i, inbox.lang)) for i in ids), key=lambda pair: pair[1].lower())


@needs("inbox.list")
def inbox_page(wp: Workplace, request: Request) -> Response:
    inbox = wp.inbox(request)
    lang = inbox.lang
    _ = translator(lang)
    query = request.query_params
    wanted = query.get("filter", "new")
    if wanted not in FILTERS:
        wanted = "new"
    service = query.get("service") or None
    typed = (query.get("code") or "").strip()
    problem = ""
    if typed:
        try:
            code = refcode.parse(typed, lang)
            found = wp.storage.items_with_reference(code)
            if len(found) == 1:
                return RedirectResponse(_item_url(found[0].reference, found[0].kiosk_id), status_code=303)
            if not found:
                problem = _("No application with the code {code} has arrived.").format(code=refcode.display(code))
            else:
                return wp.render(
                    request, "choose_kiosk.html", code=refcode.display(code),
                    choices=[(item.kiosk_id, _item_url(item.reference, item.kiosk_id)) for item in found],
                )
        except RathausError as exc:
            problem = exc.message
    entries = inbox.list("all", form_id=service)
    statuses = FILTERS[wanted][1]
    now = dt.datetime.now(dt.timezone.utc)
    damaged = [e for e in entries if e.damaged]
    rows = [
        Row(e, _age_days(e.received_at, now), _received(e, lang))
        for e in entries
        if not e.damaged and (statuses is None or e.status in statuses)
    ]
    counts = {
        key: sum(1 for e in entries if not e.damaged and (allowed is None or e.status in allowed))
        for key, (_label, allowed) in FILTERS.items()
    }
    if request.url.path.endswith(".json"):
        # The same list as data (routing data only, never an answer), for scripts and checks.
        return JSONResponse(
            {
                "filter": wanted,
                "service": service,
                "counts": counts,
                "applications": [_entry_json(row.entry, row.age_days) for row in rows],
                "damaged": [_entry_json(e, _age_days(e.received_at, now)) for e in damaged],
            }
        )
    return wp.render(
        request,
        "inbox.html",
        rows=rows,
        damaged=[(e, reason_in_words(e.damaged or "", lang)) for e in damaged],
        filters=[(key, _(label), counts[key]) for key, (label, _allowed) in FILTERS.items()],
        current_filter=wanted,
        services=_services(wp, request, None if service else entries),
        service=service,
        typed=typed,
        problem=problem,
        status_label=lambda status: status_label(status, _),
        item_url=_item_url,
        export_formats=FORMATS,
        refused=wp.storage.counts().refused,
    )


def _entry_json(entry: InboxEntry, age_days: int) -> dict[str, Any]:
    return {
        "reference": entry.code,
        "service": entry.form_id,
        "kiosk_id": entry.kiosk_id,
        "on_paper": entry.on_paper,
        "received_at": entry.received_at,
        "age_days": age_days,
        "status": entry.status,
        "opened": entry.opened,
        "damaged": entry.damaged,
    }


def _item_url(code: str, kiosk_id: str, suffix: str = "") -> str:
    return f"/applications/{code}{suffix}?" + urlencode({"kiosk": kiosk_id})


def _open(wp: Workplace, request: Request, code: str, kiosk_id: str | None, action: str):
    """Open one application and write the opening into the access log (never the content)."""
    inbox = wp.inbox(request)
    staff = wp.staff(request)
    assert staff is not None
    try:
        opened = inbox.open(code, kiosk_id)
    except DamagedApplicationError as exc:
        wp.accounts.log_access(staff, action + "-damaged", exc.item.code, kiosk_id=exc.item.kiosk_id, service=exc.item.form_id)
        raise
    wp.accounts.log_access(staff, action, opened.meta.code, kiosk_id=opened.meta.kiosk_id, service=opened.meta.form_id)
    return opened


def _item_page(
    wp: Workplace, request: Request, *, status_code: int = 200, form: dict[str, str] | None = None,
    preview: dict[str, str] | None = None, problem: str = "",
) -> Response:
    inbox = wp.inbox(request)
    lang = inbox.lang
    _ = translator(lang)
    code = request.path_params["code"]
    kiosk_id = request.query_params.get("kiosk") or None
    opened = _open(wp, request, code, kiosk_id, "open")
    meta = opened.meta
    return wp.render(
        request,
        "item.html",
        status_code=status_code,
        opened=opened,
        meta=meta,
        rows=opened.rows(lang),
        origin_note=opened.origin.note(lang) if opened.origin is not None else "",
        origin_checked=opened.origin is None or opened.origin.kind == "signed",
        captured=local_time(meta.captured_at, lang),
        received=_received(meta, lang),
        history=[(local_time(u.updated_at, lang), status_label(u.status, _), u) for u in opened.history],
        status_label=lambda status: status_label(status, _),
        statuses=[(s, status_label(s, _)) for s in STATUSES],
        form=form or {"status": meta.status, "message": "", "note": ""},
        preview=preview,
        problem=problem,
        item_url=_item_url,
        saved=request.query_params.get("saved") == "1",
        on_paper=meta.on_paper,
        assistance=assistance_for(wp, opened, lang),
    )


@needs("application.open")
def item_page(wp: Workplace, request: Request) -> Response:
    try:
        return _item_page(wp, request)
    except DamagedApplicationError as exc:
        return wp.problem(request, exc.message, status_code=422)


def _answer(wp: Workplace, request: Request, form: dict[str, str]) -> Response:
    inbox = wp.inbox(request)
    lang = inbox.lang
    code = request.path_params["code"]
    kiosk_id = form.get("kiosk") or request.query_params.get("kiosk") or None
    values = {key: form.get(key, "") for key in ("status", "message", "note")}
    try:
        status, message = check_status(values["status"], values["message"], translator(lang))
    except RathausError as exc:
        return _item_page(wp, request, status_code=400, form=values, problem=exc.message)
    if form.get("action") != "save":
        entry = inbox.entry(code, kiosk_id)
        form_def = inbox.catalogue.current(entry.form_id)
        return _item_page(
            wp, request, form=values, preview=kiosk_preview(status, message, getattr(form_def, "kind", None), entry, lang)
        )
    staff = wp.staff(request)
    assert staff is not None
    record = inbox.set_status(code, status, message, note=values["note"], kiosk_id=kiosk_id)
    wp.accounts.log_access(staff, "status", record.reference, kiosk_id=record.kiosk_id, service=inbox.entry(code, kiosk_id).form_id)
    return RedirectResponse(_item_url(record.reference, record.kiosk_id) + "&saved=1", status_code=303)


@needs("application.answer")
def answer_view(wp: Workplace, request: Request) -> Response:
    form = request.scope["state"]["form"]
    try:
        return _answer(wp, request, form)
    except DamagedApplicationError as exc:
        return wp.problem(request, exc.message, status_code=422)


@needs("application.print")
def pdf_view(wp: Workplace, request: Request) -> Response:
    from sync.inbox.paper import submission_pdf

    inbox = wp.inbox(request)
    code = request.path_params["code"]
    try:
        opened = _open(wp, request, code, request.query_params.get("kiosk") or None, "pdf")
    except DamagedApplicationError as exc:
        return wp.problem(request, exc.message, status_code=422)
    data = submission_pdf(opened, municipality=inbox.municipality, lang=inbox.lang)
    name = f"{opened.meta.form_id}-{opened.meta.reference}.pdf"
    return Response(data, media_type="application/pdf", headers={"content-disposition": f'attachment; filename="{name}"'})


@needs("service.export")
def export_view(wp: Workplace, request: Request) -> Response:
    inbox = wp.inbox(request)
    _ = translator(inbox.lang)
    service = request.query_params.get("service", "")
    fmt = request.query_params.get("format", "csv")
    if not service:
        return wp.problem(request, _("Please choose a service to export."))
    data, report = inbox.export_bytes(service, fmt)
    staff = wp.staff(request)
    assert staff is not None
    # Each exported application was read: the access log names every one, so "who has seen my
    # application?" is answered for exports too, not only for openings.
    wp.accounts.log_accesses(staff, "export", [(code, kiosk_id, service) for kiosk_id, code in report.exported])
    headers = {"content-disposition": f'attachment; filename="{service}-{utc_timestamp()[:10]}.{fmt}"'}
    if report.skipped:
        # The download itself cannot carry a page; the header names what was left out.
        # At most a few: a proxy refuses a whole answer whose headers outgrow its buffer (nginx:
        # 4 KiB), and a stolen kiosk can plant hundreds. The inbox page names every one.
        named = [item.reference for item in report.skipped[:SKIPPED_IN_HEADER]]
        more = len(report.skipped) - len(named)
        headers["x-rathaus-skipped"] = ", ".join(named) + (f", ... ({len(report.skipped)} in all)" if more else "")
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(data, media_type=media, headers=headers)


@needs("paper.record")
def paper_page(wp: Workplace, request: Request) -> Response:
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    return wp.render(request, "paper.html", services=_services(wp, request), form={"received_on": today}, problem="")


def _record_paper(wp: Workplace, request: Request, form: dict[str, str]) -> Response:
    inbox = wp.inbox(request)
    _ = translator(inbox.lang)
    service = form.get("service", "")
    try:
        day = dt.date.fromisoformat(form.get("received_on", ""))
    except ValueError:
        return wp.render(
            request, "paper.html", status_code=400, services=_services(wp, request), form=form,
            problem=_("Please give the day the application was handed in, e.g. 2026-03-02."),
        )
    if day > dt.datetime.now(dt.timezone.utc).date():
        return wp.render(
            request, "paper.html", status_code=400, services=_services(wp, request), form=form,
            problem=_("The day the application was handed in cannot be in the future."),
        )
    received_at = f"{day.isoformat()}T12:00:00Z"
    try:
        entry = inbox.record_paper(service, received_at, note=form.get("note", ""))
    except RathausError as exc:
        return wp.render(request, "paper.html", status_code=400, services=_services(wp, request), form=form, problem=exc.message)
    staff = wp.staff(request)
    assert staff is not None
    wp.accounts.log_access(staff, "paper", entry.code, kiosk_id=PAPER_KIOSK_ID, service=service)
    return wp.render(request, "paper_done.html", entry=entry, item_url=_item_url)


@needs("paper.record")
def paper_view(wp: Workplace, request: Request) -> Response:
    return _record_paper(wp, request, request.scope["state"]["form"])


def _with_form(view):
    """An async endpoint that reads the (small) form first, then runs ``view`` in the thread pool."""

    async def endpoint(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=50)
        request.scope.setdefault("state", {})["form"] = {k: v for k, v in form.items() if isinstance(v, str)}
        return await run_in_threadpool(view, request)

    return endpoint


def routes(wp: Workplace) -> list[Any]:
    return [
        Route("/inbox", bind(wp, inbox_page), methods=["GET"]),
        Route("/inbox.json", bind(wp, inbox_page), methods=["GET"]),
        Route("/applications/{code:str}", bind(wp, item_page), methods=["GET"]),
        Route("/applications/{code:str}/status", _with_form(bind(wp, answer_view)), methods=["POST"]),
        Route("/applications/{code:str}/pdf", bind(wp, pdf_view), methods=["GET"]),
        Route("/export", bind(wp, export_view), methods=["GET"]),
        Route("/paper", bind(wp, paper_page), methods=["GET"]),
        Route("/paper", _with_form(bind(wp, paper_view)), methods=["POST"]),
    ]


register_area(Area("inbox", N_("Applications"), "/inbox", "inbox.list", routes, order=10))
