"""Kiosks at a glance: each enrolled kiosk, its last contact, what it last sent, a warning when it
fell silent; approving an enrolment after comparing fingerprints, and revoking a kiosk."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kiosk.errors import RathausError
from kiosk.i18n import N_, translator
from sync.allowlist import EnrolledKiosk
from sync.envelope.limits import MAX_ENROLMENT_BYTES
from sync.inbox import local_time
from sync.keys import read_enrolment_file
from sync.server.storage import KioskContact
from sync.workplace.app import Workplace, bind, needs, silent_since
from sync.workplace.areas import Area, register_area


@dataclass(frozen=True)
class KioskRow:
    kiosk: EnrolledKiosk
    contact: KioskContact | None
    last_seen: str
    last_batch: str
    silent: bool
    unanswered: int
    place: str


def _rows(wp: Workplace, lang: str) -> list[KioskRow]:
    inbox = wp.inboxes[lang]
    contacts = wp.storage.kiosk_contacts()
    statuses = wp.storage.current_statuses()
    unanswered: dict[str, int] = {}
    for item in wp.storage.items():
        status = statuses.get((item.kiosk_id, item.reference))
        if status is None or status.status in ("received", "in_progress"):
            unanswered[item.kiosk_id] = unanswered.get(item.kiosk_id, 0) + 1
    now = dt.datetime.now(dt.timezone.utc)
    latest: dict[str, EnrolledKiosk] = {}
    for entry in inbox.allowlist.list():  # the latest approval of each kiosk id
        if entry.kiosk_id not in latest or entry.approved_at >= latest[entry.kiosk_id].approved_at:
            latest[entry.kiosk_id] = entry
    places = wp.accounts.kiosk_places()
    rows = []
    for kiosk_id, entry in sorted(latest.items()):
        contact = contacts.get(kiosk_id)
        rows.append(
            KioskRow(
                kiosk=entry,
                contact=contact,
                last_seen=local_time(contact.last_seen_at, lang) if contact else "",
                last_batch=local_time(contact.last_batch_at, lang) if contact and contact.last_batch_at else "",
                silent=entry.active and silent_since(contact.last_seen_at if contact else None, now, wp.config.silent_after_hours),
                unanswered=unanswered.get(kiosk_id, 0),
                place=places.get(kiosk_id, ""),
            )
        )
    return rows


def _page(wp: Workplace, request: Request, *, status_code: int = 200, **values: Any) -> Response:
    lang = wp.lang(request)
    rows = _rows(wp, lang)
    return wp.render(
        request,
        "kiosks.html",
        status_code=status_code,
        rows=rows,
        silent_count=sum(1 for row in rows if row.silent),
        silent_hours=wp.config.silent_after_hours,
        local_time=lambda moment: local_time(moment, lang) if moment else "",
        **values,
    )


@needs("kiosks.view")
def kiosks_page(wp: Workplace, request: Request) -> Response:
    return _page(wp, request, done=request.query_params.get("done", ""))


@needs("kiosks.manage")
def check_view(wp: Workplace, request: Request) -> Response:
    """Step 1: read the request file; show its kiosk id and fingerprint to compare."""
    _ = translator(wp.lang(request))
    data: bytes = request.scope["state"]["upload"]
    if not data:
        return _page(wp, request, status_code=400, problem=_("Please choose the kiosk's enrolment request file."))
    try:
        enrolment = wp.inbox(request).allowlist.check_request(data)
    except RathausError as exc:
        return _page(wp, request, status_code=400, problem=exc.message)
    return wp.render(
        request,
        "kiosk_approve.html",
        enrolment=enrolment,
        request_b64=base64.b64encode(data).decode("ascii"),
        problem="",
    )


def _squash(fingerprint: str) -> str:
    return "".join(ch for ch in fingerprint.upper() if ch.isalnum())


@needs("kiosks.manage")
def approve_view(wp: Workplace, request: Request) -> Response:
    """Step 2: the fingerprint read off the kiosk's screen must be the one in the file."""
    _ = translator(wp.lang(request))
    form = request.scope["state"]["form"]
    try:
        data = base64.b64decode(form.get("request", ""), validate=True)
        enrolment = read_enrolment_file(data)
    except (binascii.Error, ValueError, RathausError):
        return _page(wp, request, status_code=400, problem=_("The enrolment request was damaged on the way. Please choose the file again."))
    if _squash(form.get("fingerprint", "")) != _squash(enrolment.fingerprint):
        return wp.render(
            request,
            "kiosk_approve.html",
            status_code=400,
            enrolment=enrolment,
            request_b64=form.get("request", ""),
            problem=_(
                "The fingerprint you typed is not the one in the request. Do not approve: the file may not "
                "come from this kiosk. Compare again with the kiosk's screen (rathaus keys show)."
            ),
        )
    try:
        wp.inbox(request).allowlist.approve(data)
    except RathausError as exc:
        return _page(wp, request, status_code=400, problem=exc.message)
    staff = wp.staff(request)
    assert staff is not None
    if form.get("place", "").strip():
        wp.accounts.set_kiosk_place(enrolment.kiosk_id, form["place"], staff)
    return RedirectResponse("/kiosks?done=approved", status_code=303)


@needs("kiosks.manage")
def place_view(wp: Workplace, request: Request) -> Response:
    form = request.scope["state"]["form"]
    kiosk_id = form.get("kiosk_id", "")
    if kiosk_id not in {entry.kiosk_id for entry in wp.inbox(request).allowlist.list()}:
        _ = translator(wp.lang(request))
        return _page(wp, request, status_code=400, problem=_("There is no kiosk {kiosk}.").format(kiosk=kiosk_id))
    staff = wp.staff(request)
    assert staff is not None
    wp.accounts.set_kiosk_place(kiosk_id, form.get("place", ""), staff)
    return RedirectResponse("/kiosks?done=place", status_code=303)


@needs("kiosks.manage")
def revoke_view(wp: Workplace, request: Request) -> Response:
    _ = translator(wp.lang(request))
    form = request.scope["state"]["form"]
    kiosk_id = form.get("kiosk_id", "")
    if form.get("confirm") != "yes":
        return _page(wp, request, status_code=400, problem=_("Please tick the box to confirm that kiosk {kiosk} is to be blocked.").format(kiosk=kiosk_id))
    try:
        wp.inbox(request).allowlist.revoke(kiosk_id, form.get("reason", ""))
    except RathausError as exc:
        return _page(wp, request, status_code=400, problem=exc.message)
    return RedirectResponse("/kiosks?done=revoked", status_code=303)


def routes(wp: Workplace) -> list[Any]:
    def with_form(view):
        async def endpoint(request: Request) -> Response:
            form = await request.form(max_files=1, max_fields=20, max_part_size=MAX_ENROLMENT_BYTES + 1024)
            state = request.scope.setdefault("state", {})
            state["form"] = {k: v for k, v in form.items() if isinstance(v, str)}
            upload = form.get("request_file")
            state["upload"] = (await upload.read(MAX_ENROLMENT_BYTES + 1))[: MAX_ENROLMENT_BYTES + 1] if isinstance(upload, UploadFile) else b""
            return await run_in_threadpool(bind(wp, view), request)

        return endpoint

    return [
        Route("/kiosks", bind(wp, kiosks_page), methods=["GET"]),
        Route("/kiosks/check", with_form(check_view), methods=["POST"]),
        Route("/kiosks/approve", with_form(approve_view), methods=["POST"]),
        Route("/kiosks/revoke", with_form(revoke_view), methods=["POST"]),
        Route("/kiosks/place", with_form(place_view), methods=["POST"]),
    ]


register_area(Area("kiosks", N_("Kiosks"), "/kiosks", "kiosks.view", routes, order=20))
